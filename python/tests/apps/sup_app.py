"""An app for the supervisor's tests (test_supervisor.py): ``cello run sup_app:app
--workers N`` from this directory, or ``python sup_app.py PORT WORKERS [OPTION=VALUE...]``
for ``App.run(workers=N)`` (forked workers)."""

import os
import sys

from cello import App

app = App()


@app.get("/pid")
def pid():
    return {"pid": os.getpid()}


@app.get("/stuck")
async def stuck():
    while True:  # a handler that never yields: the event loop stops with it
        pass


if __name__ == "__main__":
    options = dict(arg.split("=", 1) for arg in sys.argv[3:])
    app.run(port=int(sys.argv[1]), workers=int(sys.argv[2]), **{k: int(v) if v.isdigit() else float(v) for k, v in options.items()})
