"""Robyn peer app for `cargo xtask bench`: one process, one worker, the shared endpoints.

Run: PORT=8000 python robyn_app.py --processes 1 --workers 1 --log-level WARNING
"""

import asyncio
import os

from robyn import Robyn, Request

app = Robyn(__file__)


@app.get("/plaintext")
def plaintext(request: Request):
    return "Hello, World!"


@app.get("/json")
def json_(request: Request):
    return {"message": "Hello, World!"}


@app.get("/users/:id")
def users(request: Request):
    return {"id": int(request.path_params["id"])}


@app.get("/user/:id")
def user(request: Request):
    return {"id": int(request.path_params["id"])}


@app.get("/async-json")
async def async_json(request: Request):
    return {"message": "Hello, World!"}


@app.get("/async-sleep")
async def async_sleep(request: Request):
    await asyncio.sleep(0.001)
    return {"ok": True}


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ["PORT"]), _check_port=False)
