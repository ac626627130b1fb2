"""Files in and out: a static directory served by Rust, uploads parsed by Rust as
they arrive, downloads of what was uploaded (with ``Range`` and conditional requests),
and a CSV report streamed from a generator.

    python examples/files.py [PORT] [UPLOAD_DIR]

    open http://localhost:8000/                      # public/index.html
    curl -F note=hi -F file=@README.md localhost:8000/upload
    curl localhost:8000/uploads
    curl -r 0-99 localhost:8000/uploads/1            # the first 100 bytes
    curl localhost:8000/report.csv?rows=5
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, AsyncIterator

from cello import App, Form, HTTPException, Query, UploadFile
from cello.responses import FileResponse, RedirectResponse, StreamingResponse
from cello.staticfiles import StaticFiles

HERE = Path(__file__).parent
CHUNK = 1024 * 1024

app = App(max_file_size=200 * 1024 * 1024)
# Served by Rust: ETag, 304, Range, precompressed .br/.gz siblings, traversal-safe.
app.mount("/static", StaticFiles(directory=HERE / "public"))
app.state.store = Path(tempfile.mkdtemp(prefix="cello-files-"))
app.state.uploads = {}


@app.get("/")
def index() -> Any:
    return RedirectResponse("/static/index.html")


@app.post("/upload", status_code=201)
async def upload(file: UploadFile, note: Annotated[str, Form(max_length=200)] = "") -> dict[str, Any]:
    """Copies the upload (spooled by the engine: memory up to 1 MiB, then a temporary
    file) into the store, a chunk at a time."""
    upload_id = len(app.state.uploads) + 1
    target = app.state.store / str(upload_id)
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    entry = {"id": upload_id, "filename": file.filename, "content_type": file.content_type, "size": size, "note": note}
    app.state.uploads[upload_id] = entry
    return entry


@app.get("/uploads")
def uploads() -> list[dict[str, Any]]:
    return list(app.state.uploads.values())


@app.get("/uploads/{upload_id:int}")
def download(upload_id: int) -> Any:
    """The file as uploaded, sent by Rust in chunks, never read whole here."""
    entry = app.state.uploads.get(upload_id)
    if entry is None:
        raise HTTPException(404, f"no upload {upload_id}")
    return FileResponse(
        app.state.store / str(upload_id),
        media_type=entry["content_type"] or "application/octet-stream",
        filename=entry["filename"] or f"upload-{upload_id}",
    )


async def report_rows(rows: int) -> AsyncIterator[str]:
    """One CSV line at a time: the client reads the first rows while the rest are
    made (and if it leaves, the generator is closed)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["row", "square", "note"])
    for n in range(1, rows + 1):
        writer.writerow([n, n * n, f"line {n}, with a comma"])
        if n % 1000 == 0:
            await asyncio.sleep(0)  # let other requests in
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.getvalue():  # the header alone, for rows=0
        yield buf.getvalue()


@app.get("/report.csv")
def report(rows: Annotated[int, Query(ge=0, le=1_000_000)] = 100) -> StreamingResponse:
    return StreamingResponse(
        report_rows(rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="report.csv"'},
    )


if __name__ == "__main__":
    if len(sys.argv) > 2:
        app.state.store = Path(sys.argv[2])
    app.run(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
