"""Uploads: multipart forms read by ``req.form()`` and by typed parameters.

Run as ``uploads_app.py PORT UPLOAD_DIR``: small limits so the 413 tests send
little, temporary files in ``UPLOAD_DIR`` so a test can see they are gone."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from typing import Annotated

from cello import App, File, Form, Request, UploadFile

app = App(
    max_files=3,
    max_fields=5,
    max_part_size=1024,
    max_file_size=8 * 1024 * 1024,
    max_upload_size=16 * 1024 * 1024,
    max_body_size=64 * 1024,
)


async def describe(value: object) -> object:
    if isinstance(value, UploadFile):
        data = await value.read()
        return {
            "filename": value.filename,
            "content_type": value.content_type,
            "size": value.size,
            "sha256": hashlib.sha256(data).hexdigest(),
            "in_memory": _is_memory(value),
            "header": value.headers.get("x-part"),
        }
    return value


def _is_memory(value: UploadFile) -> bool:
    try:
        value.file.fileno()
    except Exception:
        return True
    return False


@app.post("/form")
async def form(req: Request):
    form = await req.form()
    return {"items": [[k, await describe(v)] for k, v in form.multi_items()], "body": len(req.body)}


@app.post("/form-sync")
def form_sync(req: Request):
    form = req.form()
    return {k: form.getlist(k) for k in form if all(isinstance(v, str) for v in form.getlist(k))}


@app.post("/slow")
async def slow(req: Request):
    """Holds its uploads until the client leaves (the Task is cancelled)."""
    form = await req.form()
    assert len(form) >= 0
    await asyncio.sleep(60)
    return {}


@app.post("/seek")
async def seek(file: UploadFile):
    head = await file.read(4)
    await file.seek(0)
    again = await file.read(4)
    await file.seek(0)
    await file.write(b"")
    return {"head": head.decode(), "again": again.decode(), "rest": len(await file.read())}


@app.post("/typed")
async def typed(
    file: UploadFile,
    note: Annotated[str, Form()],
    count: Annotated[int, Form()] = 1,
    extra: Annotated[bytes | None, File()] = None,
):
    data = await file.read()
    return {
        "filename": file.filename,
        "size": len(data),
        "note": note,
        "count": count,
        "extra": None if extra is None else extra.decode(),
    }


@app.post("/many")
def many(files: list[UploadFile], data: Annotated[bytes, File()]):
    return {"names": [f.filename for f in files], "data": data.decode()}


@app.post("/noform")
def noform(limit: int = 1):
    """Reads no form: a multipart body is held to max_body_size, never spooled."""
    return {"limit": limit}


@app.get("/tmpfiles")
def tmpfiles():
    """This worker's open descriptors that point into the upload directory."""
    here = os.environ["UPLOAD_DIR"]
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(here):
            out.append(target)
    return {"open": out, "listed": os.listdir(here)}


if __name__ == "__main__":
    port = int(sys.argv[1])
    os.environ["UPLOAD_DIR"] = sys.argv[2]
    app.run(host="127.0.0.1", port=port, upload_dir=sys.argv[2], upload_spool_size=64 * 1024)
