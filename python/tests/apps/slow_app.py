"""The app the slow-client tests attack: small timeouts and a small connection cap.

Run as ``python slow_app.py PORT``. It passes each timeout in ``WANTED`` that the
engine knows (the body and write timeouts are being added to ``App.run``) and says
in its log which ones it could not.
"""

import sys

from cello import App, Request, _cello

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


LIMITS = {"header_timeout": 2.0, "keep_alive_timeout": 2.0, "max_connections": 64}
WANTED = {"body_timeout": 2.0, "request_read_timeout": 5.0, "write_timeout": 2.0}

if __name__ == "__main__":
    signature = _cello.Engine.serve.__text_signature__ or ""
    missing = [k for k in WANTED if k not in signature]
    if missing:
        print(f"slow_app: this engine has no {', '.join(missing)}; serving without", flush=True)
    supported = {k: v for k, v in WANTED.items() if k not in missing}
    app.run(host="127.0.0.1", port=int(sys.argv[1]), **LIMITS, **supported)
