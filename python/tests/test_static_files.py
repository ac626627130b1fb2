"""StaticFiles (``app.mount``) and FileResponse, served from Rust: validators,
conditional requests, ranges, precompressed siblings, HEAD, and every traversal
vector, through the real engine (``apps/files_app.py``). Traversal vectors go over
raw sockets: httpx would normalize them away."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from rawhttp import connect, port_of, read_response

DIGITS = b"0123456789" * 10
BIG = os.urandom(300 * 1024 + 7)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("files")
    public = root / "public"
    (public / "sub").mkdir(parents=True)
    (public / ".hidden").mkdir()
    (public / "hello.txt").write_bytes(b"hello, world\n")
    (public / "digits.txt").write_bytes(DIGITS)
    (public / "big.bin").write_bytes(BIG)
    (public / "sub" / "inner.txt").write_bytes(b"inner")
    (public / ".hidden" / "secret.txt").write_bytes(b"hidden but served")
    (public / "app.js").write_bytes(b"console.log('plain');" * 10)
    (public / "app.js.br").write_bytes(b"BROTLI-BYTES")
    (public / "app.js.gz").write_bytes(gzip.compress(b"console.log('plain');" * 10))
    (root / "outside.txt").write_bytes(b"SECRET")
    (root / "outside_dir").mkdir()
    (root / "outside_dir" / "x.txt").write_bytes(b"SECRET")
    (public / "link-inside.txt").symlink_to(public / "hello.txt")
    (public / "link-out.txt").symlink_to(root / "outside.txt")
    (public / "dir-out").symlink_to(root / "outside_dir")
    site = root / "site"
    (site / "docs").mkdir(parents=True)
    (site / "empty").mkdir()
    (site / "index.html").write_bytes(b"<h1>home</h1>")
    (site / "docs" / "index.html").write_bytes(b"<h1>docs</h1>")
    (site / "404.html").write_bytes(b"<h1>lost</h1>")
    return root


@pytest.fixture(scope="module")
def server(start_server: Any, root: Path) -> Any:
    return start_server("files_app.py", str(root))


@pytest.fixture()
def http(server: Any) -> Any:
    # The app compresses (to check it leaves file answers alone where it must):
    # ask for identity unless a test says otherwise.
    with httpx.Client(base_url=server.base_url, headers={"accept-encoding": "identity"}) as client:
        yield client


def raw_get(server: Any, target: str, *headers: str) -> Any:
    """One GET with `target` written exactly as given."""
    lines = [f"GET {target} HTTP/1.1", "Host: x", *headers, "Connection: close", "", ""]
    with connect(port_of(server.base_url)) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        return read_response(sock, bytearray())


# -- traversal ---------------------------------------------------------------------

TRAVERSALS = [
    "/static/../outside.txt",
    "/static/sub/../../outside.txt",
    "/static/%2e%2e/outside.txt",
    "/static/%2E%2E/outside.txt",
    "/static/.%2e/outside.txt",
    "/static/..%2foutside.txt",
    "/static/sub%2f..%2f..%2foutside.txt",
    "/static/%2fetc%2fpasswd",
    "/static/..%5coutside.txt",
    "/static/..\\outside.txt",
    "/static/sub\\..\\..\\outside.txt",
    "/static/hello.txt%00.png",
    "/static/%00",
    "/static//etc/passwd",
    "/static//../outside.txt",
    "/static/link-out.txt",
    "/static/dir-out/x.txt",
    "/static/dir-out/",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_every_traversal_vector_is_answered_404(server, target):
    r = raw_get(server, target)
    assert r.status == 404, (target, r.status_line)
    assert b"SECRET" not in r.body


def test_a_symlink_inside_the_root_is_followed(http):
    r = http.get("/static/link-inside.txt")
    assert r.status_code == 200
    assert r.content == b"hello, world\n"


def test_hidden_files_are_served_as_starlette_serves_them(http):
    assert http.get("/static/.hidden/secret.txt").content == b"hidden but served"


def test_percent_encoded_names_are_decoded(server, root):
    (root / "public" / "with space.txt").write_bytes(b"spaced")
    r = raw_get(server, "/static/with%20space.txt")
    assert (r.status, r.body) == (200, b"spaced")


# -- basic answers ---------------------------------------------------------------------

def test_a_file_has_type_length_validators_and_accept_ranges(http):
    r = http.get("/static/hello.txt")
    assert r.status_code == 200
    assert r.content == b"hello, world\n"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == "13"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and r.headers["etag"].endswith('"')
    assert r.headers["last-modified"].endswith(" GMT")


def test_head_has_the_headers_and_no_body(http):
    r = http.head("/static/hello.txt")
    assert r.status_code == 200
    assert r.headers["content-length"] == "13"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == b""


def test_methods_other_than_get_and_head_get_405_with_allow(http):
    r = http.post("/static/hello.txt")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


def test_a_missing_file_or_a_directory_is_404(http):
    assert http.get("/static/nope.txt").status_code == 404
    assert http.get("/static/").status_code == 404
    assert http.get("/static/sub").status_code == 404
    assert http.get("/static/hello.txt/").status_code == 404


def test_a_file_larger_than_a_chunk_is_read_back_byte_exact(http):
    r = http.get("/static/big.bin", headers={"accept-encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-length"] == str(len(BIG))
    assert r.content == BIG


def test_static_requests_never_reach_python_middleware(http):
    assert "x-python" not in http.get("/static/hello.txt").headers
    assert http.get("/download").headers["x-python"] == "yes"


def test_mounted_paths_are_not_in_the_openapi_document(http):
    paths = http.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/static", "/site")) for p in paths)


# -- conditional requests ---------------------------------------------------------------

def test_if_none_match_with_the_etag_is_304(http):
    etag = http.get("/static/hello.txt").headers["etag"]
    for value in [etag, f"W/{etag}", f'"other", {etag}', "*"]:
        r = http.get("/static/hello.txt", headers={"if-none-match": value})
        assert r.status_code == 304, value
        assert r.content == b""
        assert r.headers["etag"] == etag
    assert http.get("/static/hello.txt", headers={"if-none-match": '"other"'}).status_code == 200


def test_if_modified_since_the_last_modification_is_304(http):
    lm = http.get("/static/hello.txt").headers["last-modified"]
    assert http.get("/static/hello.txt", headers={"if-modified-since": lm}).status_code == 304
    old = "Mon, 01 Jan 1990 00:00:00 GMT"
    assert http.get("/static/hello.txt", headers={"if-modified-since": old}).status_code == 200


def test_if_match_that_fails_is_412(http):
    etag = http.get("/static/hello.txt").headers["etag"]
    assert http.get("/static/hello.txt", headers={"if-match": '"other"'}).status_code == 412
    assert http.get("/static/hello.txt", headers={"if-match": etag}).status_code == 200


def test_if_unmodified_since_before_the_file_changed_is_412(http):
    old = "Mon, 01 Jan 1990 00:00:00 GMT"
    assert http.get("/static/hello.txt", headers={"if-unmodified-since": old}).status_code == 412


# -- ranges --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "content_range", "body"),
    [
        ("bytes=0-9", "bytes 0-9/100", DIGITS[:10]),
        ("bytes=-5", "bytes 95-99/100", DIGITS[-5:]),
        ("bytes=5-", "bytes 5-99/100", DIGITS[5:]),
        ("bytes=90-500", "bytes 90-99/100", DIGITS[90:]),
        ("bytes=0-5,3-9", "bytes 0-9/100", DIGITS[:10]),
    ],
)
def test_one_range_is_206_with_content_range(http, spec, content_range, body):
    r = http.get("/static/digits.txt", headers={"range": spec, "accept-encoding": "gzip"})
    assert r.status_code == 206
    assert r.headers["content-range"] == content_range
    assert r.headers["content-length"] == str(len(body))
    # Not compressed by the middleware: a partial answer is left alone.
    assert "content-encoding" not in r.headers
    assert r.content == body


def test_several_ranges_are_a_multipart_byteranges_body(http):
    r = http.get("/static/digits.txt", headers={"range": "bytes=0-1, 50-52"})
    assert r.status_code == 206
    ctype = r.headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    assert r.headers["content-length"] == str(len(r.content))
    parts = r.content.split(b"--" + boundary)
    assert parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        assert b"Content-Type: text/plain; charset=utf-8" in head
        bodies.append((head.split(b"Content-Range: ")[1].strip(), data.removesuffix(b"\r\n")))
    assert bodies == [(b"bytes 0-1/100", b"01"), (b"bytes 50-52/100", b"012")]


def test_an_unsatisfiable_range_is_416_with_the_length(http):
    r = http.get("/static/digits.txt", headers={"range": "bytes=200-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == "bytes */100"


@pytest.mark.parametrize("spec", ["bytes=abc", "bytes=5-1", "items=0-1", "bytes="])
def test_a_malformed_range_gets_the_whole_file(http, spec):
    r = http.get("/static/digits.txt", headers={"range": spec})
    assert r.status_code == 200
    assert r.content == DIGITS


def test_if_range_applies_the_range_only_to_the_same_version(http):
    etag = http.get("/static/digits.txt").headers["etag"]
    r = http.get("/static/digits.txt", headers={"range": "bytes=0-1", "if-range": etag})
    assert (r.status_code, r.content) == (206, b"01")
    r = http.get("/static/digits.txt", headers={"range": "bytes=0-1", "if-range": '"stale"'})
    assert (r.status_code, r.content) == (200, DIGITS)


def test_a_range_of_a_large_file_is_read_from_its_offset(http):
    r = http.get("/static/big.bin", headers={"range": "bytes=70000-200000"})
    assert r.status_code == 206
    assert r.content == BIG[70000:200001]


# -- precompressed siblings ------------------------------------------------------------------

def test_brotli_sibling_is_sent_to_a_client_that_prefers_it(server):
    r = raw_get(server, "/static/app.js", "Accept-Encoding: gzip, br")
    assert r.status == 200
    assert r.header("content-encoding") == b"br"
    assert r.body == b"BROTLI-BYTES"
    assert r.header("content-type") == b"text/javascript; charset=utf-8"
    assert b"accept-encoding" in (r.header("vary") or b"").lower()


def test_quality_values_choose_the_gzip_sibling(server):
    r = raw_get(server, "/static/app.js", "Accept-Encoding: br;q=0.5, gzip;q=0.9")
    assert r.header("content-encoding") == b"gzip"
    assert gzip.decompress(r.body) == b"console.log('plain');" * 10


def test_a_client_without_accept_encoding_gets_the_plain_file(server):
    r = raw_get(server, "/static/app.js")
    assert r.header("content-encoding") is None
    assert r.body == b"console.log('plain');" * 10


def test_a_range_request_gets_ranges_of_the_plain_file(server):
    r = raw_get(server, "/static/app.js", "Accept-Encoding: br", "Range: bytes=0-6")
    assert r.status == 206
    assert r.header("content-encoding") is None
    assert r.body == b"console"


def test_a_precompressed_answer_is_not_compressed_again(server):
    # The middleware would gzip a 210-byte script; the sibling is sent as it is.
    r = raw_get(server, "/static/app.js", "Accept-Encoding: gzip")
    assert r.header("content-encoding") == b"gzip"
    assert gzip.decompress(r.body) == b"console.log('plain');" * 10


# -- html mode ---------------------------------------------------------------------------------

def test_html_mode_serves_index_html_for_directories(http):
    r = http.get("/site/")
    assert (r.status_code, r.content) == (200, b"<h1>home</h1>")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert http.get("/site/docs/").content == b"<h1>docs</h1>"


def test_html_mode_adds_the_trailing_slash_with_a_redirect(http):
    r = http.get("/site/docs")
    assert r.status_code == 307
    assert r.headers["location"] == "docs/"
    assert http.get("/site/docs", follow_redirects=True).content == b"<h1>docs</h1>"
    assert http.get("/site", follow_redirects=True).content == b"<h1>home</h1>"


def test_html_mode_answers_a_miss_with_404_html(http):
    for path in ["/site/nope", "/site/empty/", "/site/%2e%2e/public/hello.txt"]:
        r = http.get(path)
        assert (r.status_code, r.content) == (404, b"<h1>lost</h1>"), path


# -- FileResponse ---------------------------------------------------------------------------------

def test_file_response_with_filename_is_an_attachment(http):
    r = http.get("/download")
    assert r.status_code == 200
    assert r.content == b"hello, world\n"
    assert r.headers["content-disposition"] == 'attachment; filename="greeting.txt"'
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "etag" in r.headers and "last-modified" in r.headers


def test_file_response_encodes_a_non_ascii_filename(http):
    r = http.get("/download-unicode")
    assert r.headers["content-disposition"] == "inline; filename*=utf-8''r%C3%A9sum%C3%A9.txt"


def test_file_response_honours_range_conditionals_and_head(http):
    r = http.get("/download", headers={"range": "bytes=0-4"})
    assert (r.status_code, r.content) == (206, b"hello")
    assert r.headers["content-range"] == "bytes 0-4/13"
    etag = http.get("/download").headers["etag"]
    assert http.get("/download", headers={"if-none-match": etag}).status_code == 304
    h = http.head("/download")
    assert (h.status_code, h.headers["content-length"], h.content) == (200, "13", b"")


def test_file_response_of_a_large_file_from_an_async_handler(http):
    r = http.get("/big", headers={"accept-encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-test"
    assert r.headers["x-file"] == "big"
    assert r.content == BIG
    r = http.get("/big", headers={"range": "bytes=-10"})
    assert (r.status_code, r.content) == (206, BIG[-10:])


def test_file_response_keeps_its_own_status_over_the_routes(http):
    assert http.get("/made").status_code == 202


def test_file_response_of_a_missing_file_is_404_and_logged_with_the_path(http, server, root):
    r = http.get("/missing")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}
    from conftest import wait_until

    assert wait_until(lambda: str(root / "nope.txt") in server.log())
