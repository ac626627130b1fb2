"""``examples/files.py``, run as a user runs it (``python examples/files.py PORT
DIR``) through the real engine: its static directory (served by Rust, with 304s and
ranges), uploads read back byte-exact with ranges, and the CSV streamed from a
generator, read by a strict h11 client and by Python's csv module."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from conftest import CLIENT_LIMITS, Server
from rawhttp import h11_exchange

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def files(start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    store = tmp_path_factory.mktemp("files-store")
    return start_server(str(EXAMPLES / "files.py"), str(store))


@pytest.fixture
def http(files: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=files.base_url, timeout=30.0, limits=CLIENT_LIMITS) as client:
        yield client


def test_the_static_page_is_served_with_validators_and_answers_304(http: httpx.Client) -> None:
    r = http.get("/", follow_redirects=True)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == (EXAMPLES / "public" / "index.html").read_text()
    again = http.get("/static/index.html", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert http.get("/static/../files.py").status_code == 404


def test_an_upload_is_stored_listed_and_downloaded_byte_exact_and_by_range(http: httpx.Client) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # past the 1 MiB spool threshold
    r = http.post("/upload", files={"file": ("photo.bin", data, "application/x-demo")}, data={"note": "café"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry | {"id": 0} == {"id": 0, "filename": "photo.bin", "content_type": "application/x-demo",
                                 "size": len(data), "note": "café"}
    assert entry in http.get("/uploads").json()
    down = http.get(f"/uploads/{entry['id']}")
    assert down.content == data
    assert down.headers["content-type"] == "application/x-demo"
    assert 'filename="photo.bin"' in down.headers["content-disposition"]
    part = http.get(f"/uploads/{entry['id']}", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert http.get("/uploads/999").status_code == 404


def test_an_upload_without_its_file_or_with_a_long_note_is_a_422(http: httpx.Client) -> None:
    r = http.post("/upload", data={"note": "no file"}, files={"other": ("x.txt", b"x")})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "file"]]
    r = http.post("/upload", data={"note": "n" * 201}, files={"file": ("x.txt", b"x")})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_too_long"


def test_the_report_is_streamed_chunked_and_reads_as_csv(files: Server) -> None:
    response, body, chunks = h11_exchange(files.port, "GET", "/report.csv?rows=5000")
    assert response is not None and response.status_code == 200
    headers = dict(response.headers)
    assert headers[b"transfer-encoding"] == b"chunked"
    assert headers[b"content-type"] == b"text/csv; charset=utf-8"
    assert chunks > 1
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["row", "square", "note"]
    assert len(rows) == 5001
    assert rows[-1] == ["5000", "25000000", "line 5000, with a comma"]


def test_report_rows_are_validated(http: httpx.Client) -> None:
    assert http.get("/report.csv?rows=-1").status_code == 422
    assert http.get("/report.csv?rows=0").text == "row,square,note\r\n"
