"""The app `cargo xtask soak` serves: the bench endpoints plus an echo, a large
response for slow readers, and handlers that fail. The port is the first argument.

Run: python soak_app.py 8000
"""

import asyncio
import sys

from cello import App, HTTPException, Request

app = App()

BIG = b"x" * (256 * 1024)


@app.get("/plaintext")
def plaintext(req: Request):
    return "Hello, World!"


@app.get("/json")
def json_(req: Request):
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
def users(req: Request, id: int):
    return {"id": id}


@app.get("/async-sleep")
async def async_sleep(req: Request):
    await asyncio.sleep(0.001)
    return {"ok": True}


@app.post("/echo")
async def echo(req: Request):
    return req.body


@app.get("/big")
def big(req: Request):
    return BIG


@app.get("/raise")
def raise_(req: Request):
    raise RuntimeError("soak: a handler that fails")


@app.get("/async-raise")
async def async_raise(req: Request):
    await asyncio.sleep(0)
    raise RuntimeError("soak: an async handler that fails")


@app.get("/teapot")
def teapot(req: Request):
    raise HTTPException(418, "soak: short and stout")


# Small timeouts, so stalled clients are cut off within a sample period. The lead is
# adding body/write timeouts to App.run; until the engine knows them, they are left
# out (and the log says so).
LIMITS = {
    "header_timeout": 2.0,
    "keep_alive_timeout": 2.0,
    "max_connections": 512,
    "body_timeout": 2.0,
    "request_read_timeout": 10.0,
    "write_timeout": 5.0,
}

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1, **LIMITS)
