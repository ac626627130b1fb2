"""The app the static-file and FileResponse tests drive: ``ROOT/public`` at
``/static``, ``ROOT/site`` at ``/site`` (html mode), FileResponse routes, and the
compression middleware around everything (it must leave file answers alone when they
are precompressed or partial).

Run as ``python files_app.py PORT ROOT``.
"""

import sys
from pathlib import Path

from cello import App
from cello.middleware import Compression
from cello.responses import FileResponse
from cello.staticfiles import StaticFiles

ROOT = Path(sys.argv[2])
app = App(middleware=[Compression(minimum_size=10)])
app.mount("/static", StaticFiles(directory=ROOT / "public"), name="static")
app.mount("/site", StaticFiles(directory=ROOT / "site", html=True))


@app.middleware
async def mark(req, call_next):
    response = await call_next(req)
    response.add_header("x-python", "yes")
    return response


@app.get("/download")
def download():
    return FileResponse(ROOT / "public" / "hello.txt", filename="greeting.txt")


@app.get("/download-unicode")
async def download_unicode():
    return FileResponse(str(ROOT / "public" / "hello.txt"), filename="résumé.txt", content_disposition_type="inline")


@app.get("/big")
async def big():
    return FileResponse(ROOT / "public" / "big.bin", media_type="application/x-test", headers={"x-file": "big"})


@app.get("/missing")
def missing():
    return FileResponse(ROOT / "nope.txt")


@app.get("/made", status_code=201)
def made():
    return FileResponse(ROOT / "public" / "hello.txt", status_code=202)


@app.get("/__probe__")
def probe():
    return "ok"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
