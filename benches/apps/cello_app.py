"""Cello app for `cargo xtask bench` and `../shared/tools/py313-peers.sh`: the shared
endpoints, written with Cello's public API. The port is the first argument.

Run: python cello_app.py 8000
"""

import asyncio
import sys

from cello import App

app = App()


@app.get("/plaintext")
def plaintext(req):
    return "Hello, World!"


@app.get("/json")
def json_(req):
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
def users(req, id: int):
    return {"id": id}


# the route name py313-peers.sh loads
@app.get("/user/{id}")
def user(req, id: int):
    return {"id": id}


@app.get("/async-json")
async def async_json(req):
    return {"message": "Hello, World!"}


@app.get("/async-sleep")
async def async_sleep(req):
    await asyncio.sleep(0.001)
    return {"ok": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
