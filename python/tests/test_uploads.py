"""Multipart uploads, end to end through the real engine: ``await req.form()``,
``UploadFile``, typed ``File``/``Form`` parameters, limits, and the temporary files
gone after every kind of ending."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import httpx
import pytest

from cello import App, File, Form, UploadFile
from conftest import wait_until

BIG = 3 * 1024 * 1024 + 17  # past the test app's 64 KiB spool threshold


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def server(start_server, upload_dir: Path):
    return start_server("uploads_app.py", str(upload_dir))


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=30.0) as c:
        yield c


def no_temp_files_left(http: httpx.Client) -> bool:
    state = http.get("/tmpfiles").json()
    return state == {"open": [], "listed": []}


def raw_post(port: int, path: str, headers: dict[str, str], body: bytes, close_early: bool = False) -> bytes:
    """Sends a request by hand; returns what the server answered (until it closes)."""
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        if close_early:
            return b""
        # No half-close: hyper drops a connection whose read side ends early.
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_fields_and_several_files_arrive_as_str_and_upload_files_in_order(http):
    big = os.urandom(BIG)
    r = http.post(
        "/form",
        data={"title": "holiday", "tag": ["a", "b"]},
        files=[
            ("photo", ("small.txt", b"tiny", "text/plain")),
            ("photo", ("big.bin", big, "application/octet-stream")),
        ],
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [k for k, _ in items] == ["title", "tag", "tag", "photo", "photo"]
    assert items[0][1] == "holiday" and items[1][1] == "a" and items[2][1] == "b"
    small, large = items[3][1], items[4][1]
    assert small == {
        "filename": "small.txt",
        "content_type": "text/plain",
        "size": 4,
        "sha256": hashlib.sha256(b"tiny").hexdigest(),
        "in_memory": True,
        "header": None,
    }
    assert large["size"] == BIG
    assert large["sha256"] == hashlib.sha256(big).hexdigest()
    assert large["in_memory"] is False
    assert r.json()["body"] == 0


def test_a_file_over_the_spool_threshold_is_read_back_byte_exact(http):
    data = bytes(range(256)) * (BIG // 256)
    r = http.post("/seek", files={"file": ("f.bin", data)})
    assert r.json() == {"head": "\x00\x01\x02\x03", "again": "\x00\x01\x02\x03", "rest": len(data)}


def test_non_ascii_filenames_and_field_values_survive(http):
    r = http.post("/form", data={"name": "Zoë ✓"}, files={"doc": ("résumé – 日本.pdf", b"%PDF", "application/pdf")})
    items = r.json()["items"]
    assert items[0] == ["name", "Zoë ✓"]
    assert items[1][1]["filename"] == "résumé – 日本.pdf"
    assert items[1][1]["content_type"] == "application/pdf"


def test_part_headers_are_visible_on_the_upload_file(server):
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\nX-Part: yes\r\n\r\nhello\r\n--B--\r\n"
    )
    out = raw_post(server.port, "/form", {"Content-Type": "multipart/form-data; boundary=B",
                                          "Content-Length": str(len(body))}, body)
    assert b" 200 " in out.split(b"\r\n")[0]
    assert b'"header":"yes"' in out


def test_req_form_also_works_without_await_and_for_urlencoded_bodies(http):
    r = http.post("/form-sync", data={"a": "1", "b": ["x", "y"]})
    assert r.json() == {"a": ["1"], "b": ["x", "y"]}
    r = http.post("/form-sync", data={"a": "1"}, files={"f": ("f", b"x")})
    assert r.json() == {"a": ["1"]}
    r = http.post("/form", data={"a": "1"})
    assert r.json()["items"] == [["a", "1"]]


def test_a_truncated_body_is_a_400_and_leaves_no_temp_file(server, http):
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n"
        + b"x" * (200 * 1024)
    )
    out = raw_post(server.port, "/form", {"Content-Type": "multipart/form-data; boundary=B",
                                          "Content-Length": str(len(body))}, body)
    status, _, rest = out.partition(b"\r\n")
    assert b" 400 " in status, out[:300]
    assert b"closing boundary" in rest
    assert wait_until(lambda: no_temp_files_left(http))


def test_a_missing_boundary_is_a_400_that_says_so(http):
    r = http.post("/form", content=b"--B\r\n", headers={"content-type": "multipart/form-data"})
    assert r.status_code == 400
    assert "boundary" in r.json()["detail"]


def test_a_body_that_never_shows_its_boundary_is_a_400_not_buffered(http):
    r = http.post("/form", content=b"x" * (5 * 1024 * 1024),
                  headers={"content-type": "multipart/form-data; boundary=NEVER"})
    assert r.status_code == 400
    assert "without a part boundary" in r.json()["detail"]


def test_a_field_over_max_part_size_is_a_413(http):
    r = http.post("/form", data={"big": "x" * 2000}, files={"f": ("f", b"x")})
    assert r.status_code == 413
    assert "max_part_size" in r.json()["detail"]


def test_a_file_over_max_file_size_is_a_413_and_its_temp_file_is_removed(http):
    r = http.post("/form", files={"f": ("f", b"x" * (8 * 1024 * 1024 + 1))})
    assert r.status_code == 413
    assert "max_file_size" in r.json()["detail"]
    assert wait_until(lambda: no_temp_files_left(http))


def test_a_body_over_max_upload_size_is_a_413_though_uploads_may_exceed_max_body_size(http):
    # 1 MiB is over max_body_size (64 KiB) but a multipart body has max_upload_size.
    assert http.post("/form", files={"f": ("f", b"x" * 1024 * 1024)}).status_code == 200
    r = http.post("/form", files={"f": ("f", b"x" * (7 * 1024 * 1024)), "g": ("g", b"x" * (10 * 1024 * 1024))})
    assert r.status_code == 413
    assert "raise `max_upload_size`" in r.text
    assert http.post("/form-sync", content=b"a=" + b"x" * 100_000,
                     headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413


def test_a_route_that_reads_no_form_holds_multipart_bodies_to_max_body_size(http):
    assert http.post("/noform", files={"f": ("f", b"x" * 1000)}).json() == {"limit": 1}
    r = http.post("/noform", files={"f": ("f", b"x" * (1024 * 1024))})
    assert r.status_code == 413
    assert "max_body_size" in r.json()["detail"]


def test_too_many_files_or_fields_is_a_413(http):
    r = http.post("/form", files=[("f", (f"{i}", b"x")) for i in range(4)])
    assert r.status_code == 413
    assert "max_files" in r.json()["detail"]
    r = http.post("/form", data={f"k{i}": "v" for i in range(6)}, files={"f": ("f", b"x")})
    assert r.status_code == 413
    assert "max_fields" in r.json()["detail"]


def test_temp_files_are_gone_after_the_response(http):
    r = http.post("/form", files={"a": ("a", b"a" * BIG), "b": ("b", b"b" * BIG)})
    assert [i[1]["in_memory"] for i in r.json()["items"]] == [False, False]
    assert wait_until(lambda: no_temp_files_left(http))


def test_temp_files_are_gone_after_a_client_leaves_mid_upload(server, http):
    body = b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n" + b"x" * BIG
    declared = len(body) + 1000
    before = http.get("/tmpfiles").json()
    assert before == {"open": [], "listed": []}
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                  + f"Content-Length: {declared}\r\n\r\n".encode() + body)
        # The part is past the spool threshold: a temporary file is open.
        assert wait_until(lambda: len(http.get("/tmpfiles").json()["open"]) == 1)
    assert wait_until(lambda: no_temp_files_left(http))


def test_temp_files_are_gone_after_a_client_leaves_while_the_handler_waits(server, http):
    body = (b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n" + b"x" * BIG
            + b"\r\n--B--\r\n")
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert wait_until(lambda: len(http.get("/tmpfiles").json()["open"]) == 1)
    assert wait_until(lambda: no_temp_files_left(http))


def test_typed_upload_file_form_and_bytes_parameters(http):
    r = http.post("/typed", data={"note": "hi", "count": "3"},
                  files={"file": ("a.txt", b"abc"), "extra": ("e", b"more")})
    assert r.json() == {"filename": "a.txt", "size": 3, "note": "hi", "count": 3, "extra": "more"}
    r = http.post("/many", files=[("files", ("1", b"x")), ("files", ("2", b"y")), ("data", ("d", b"raw"))])
    assert r.json() == {"names": ["1", "2"], "data": "raw"}


def test_a_missing_file_or_field_is_fastapis_422(http):
    r = http.post("/typed", data={"count": "x"}, files={"other": ("a", b"a")})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "note"], "msg": "Field required", "input": None},
        {"type": "int_parsing", "loc": ["body", "count"],
         "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
    ]
    r = http.post("/typed", data={"note": "n"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "file"]


def test_a_json_body_to_a_file_route_is_a_415(http):
    assert http.post("/typed", json={"note": "x"}).status_code == 415


def test_openapi_documents_a_multipart_request_body_with_binary_files():
    app = App()

    @app.post("/up")
    def up(file: UploadFile, files: list[UploadFile], note: str = Form(), raw: bytes = File()):
        return {}

    doc = app.openapi()
    body = doc["paths"]["/up"]["post"]["requestBody"]
    assert body["required"] is True
    schema_ref = body["content"]["multipart/form-data"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert schema["properties"] == {
        "file": {"type": "string", "format": "binary", "title": "File"},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}, "title": "Files"},
        "note": {"type": "string", "title": "Note"},
        "raw": {"type": "string", "format": "binary", "title": "Raw"},
    }
    assert schema["required"] == ["file", "files", "note", "raw"]


def test_a_file_parameter_of_another_type_is_a_type_error_naming_it():
    app = App()

    @app.post("/bad")
    def bad(f: int = File()):
        return {}

    with pytest.raises(TypeError, match=r"file parameter `f`"):
        app._engine()


def test_unknown_limits_on_app_are_a_type_error():
    with pytest.raises(TypeError, match="max_uploads"):
        App(max_uploads=3)


def test_the_worker_keeps_serving_after_bad_uploads(http):
    for _ in range(3):
        assert http.post("/form", content=b"junk", headers={"content-type": "multipart/form-data; boundary=Q"}).status_code == 400
    assert http.post("/form", data={"a": "b"}, files={"f": ("f", b"x")}).status_code == 200


def test_an_upload_over_http2_is_parsed_and_spooled_alike(server):
    pytest.importorskip("h2")
    big = os.urandom(BIG)
    with httpx.Client(base_url=server.base_url, http1=False, http2=True, timeout=30.0) as c:
        r = c.post("/form", data={"a": "b"}, files={"f": ("f.bin", big)})
        assert r.http_version == "HTTP/2"
    items = r.json()["items"]
    assert items[0] == ["a", "b"]
    assert items[1][1]["sha256"] == hashlib.sha256(big).hexdigest()
    assert items[1][1]["in_memory"] is False
