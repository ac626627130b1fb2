"""Cello app for `cargo xtask bench`'s streamed response (issue 11): `GET /stream-10m`
sends 10 MiB from an async generator, 160 chunks of 64 KiB. The port is the first
argument.

Run: python cello_stream_app.py 8000
"""

import sys

from cello import App
from cello.responses import StreamingResponse

app = App()
CHUNK = b"x" * (64 * 1024)


@app.get("/stream-10m")
async def stream_10m(req):
    async def chunks():
        for _ in range(160):
            yield CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
