"""The app the slow-client tests attack: small timeouts and a small connection cap.

Run as ``python slow_app.py PORT``.
"""

import sys

from cello import App, Request

app = App()

BIG = b"y" * (1024 * 1024)


@app.get("/ping")
def ping(req: Request):
    return "pong"


@app.get("/big")
def big(req: Request):
    return BIG


@app.post("/upload")
def upload(req: Request):
    return {"size": len(req.body)}


LIMITS = {
    "header_timeout": 2.0,
    "keep_alive_timeout": 2.0,
    "max_connections": 64,
    "body_timeout": 2.0,
    "request_read_timeout": 5.0,
    "write_timeout": 2.0,
}

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), **LIMITS)
