"""An app for test_threads.py: ``python threads_app.py PORT THREADS [uds=PATH]`` for
``App.run(threads=N)``, or ``cello run threads_app:app --threads N`` from this
directory. With ``FAIL_THREAD=NAME`` the startup hook of that worker thread raises."""

import asyncio
import os
import sys
import threading

from cello import App

app = App()


@app.on_startup
def started() -> None:
    name = threading.current_thread().name
    if os.environ.get("FAIL_THREAD") == name:
        raise RuntimeError(f"startup failed in {name}")
    print(f"startup {name}", flush=True)


@app.on_shutdown
def stopped() -> None:
    print(f"shutdown {threading.current_thread().name}", flush=True)


@app.get("/who")
def who() -> dict[str, object]:
    return {"pid": os.getpid(), "thread": threading.current_thread().name}


@app.get("/async-who")
async def async_who() -> dict[str, object]:
    await asyncio.sleep(0.001)  # suspends: the worker's own asyncio loop resumes it
    return {"pid": os.getpid(), "thread": threading.current_thread().name}


if __name__ == "__main__":
    options = dict(arg.split("=", 1) for arg in sys.argv[3:])
    app.run(port=int(sys.argv[1]), threads=int(sys.argv[2]), **options)
