"""An app whose startup and shutdown hooks (sync and async) append a line to the
file named by ``CELLO_HOOK_LOG``: ``<event> <pid>``. With ``CELLO_FAIL_STARTUP`` set,
the sync startup hook raises ``RuntimeError`` with that text after recording.

Run as ``python hooks_app.py PORT [WORKERS]``.
"""

import asyncio
import os
import sys

from cello import App, Request

app = App()


def record(event: str) -> None:
    path = os.environ.get("CELLO_HOOK_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{event} {os.getpid()}\n")


@app.on_startup
def startup_sync():
    record("startup-sync")
    failure = os.environ.get("CELLO_FAIL_STARTUP")
    if failure:
        raise RuntimeError(failure)


@app.on_startup
async def startup_async():
    await asyncio.sleep(0.001)
    record("startup-async")


@app.on_shutdown
def shutdown_sync():
    record("shutdown-sync")


@app.on_shutdown
async def shutdown_async():
    await asyncio.sleep(0.001)
    record("shutdown-async")


@app.get("/pid")
def pid(req: Request):
    return {"pid": os.getpid()}


if __name__ == "__main__":
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    app.run(host="127.0.0.1", port=port, workers=workers)
