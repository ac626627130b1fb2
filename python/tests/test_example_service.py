"""``examples/service.py``, run as a user runs it (``python examples/service.py PORT``)
through the real engine, driven with httpx: CORS, gzip, request ids, auth in Python
on ``/api``, one error format for every error, and the ``/health`` const route."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from conftest import CLIENT_LIMITS, Server, wait_until

EXAMPLE = Path(__file__).parents[2] / "examples" / "service.py"
ORIGIN = "https://notes.example"
AUTH = {"authorization": "Bearer demo-token"}
MAX_BODY = 64 * 1024  # the example's max_body_size


@pytest.fixture(scope="module")
def service(start_server: Callable[..., Server]) -> Server:
    return start_server(str(EXAMPLE))


@pytest.fixture
def http(service: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, timeout=10.0, limits=CLIENT_LIMITS) as client:
        yield client


def assert_error(r: httpx.Response, status: int, request_id: str | None = None) -> dict[str, Any]:
    """The service's error format, with the request id of the response."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err = r.json()["error"]
    assert err["status"] == status
    assert err["request_id"] == r.headers["x-request-id"]
    if request_id is not None:
        assert err["request_id"] == request_id
    return err  # type: ignore[no-any-return]


def test_health_is_answered_from_rust(http):
    r = http.get("/health")
    assert r.status_code == 200 and r.text == "ok"
    assert r.headers["x-request-id"]


def test_cors_preflight_is_answered_without_auth(http):
    r = http.options(
        "/api/notes",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()


def test_cors_headers_on_answers_to_an_allowed_origin_only(http):
    r = http.get("/api/notes", headers={"origin": ORIGIN, **AUTH})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    r = http.get("/api/notes", headers={"origin": "https://evil.example", **AUTH})
    assert "access-control-allow-origin" not in r.headers


def test_api_without_a_valid_token_is_401_in_the_error_format(http):
    r = http.get("/api/notes", headers={"x-request-id": "req-401"})
    err = assert_error(r, 401, request_id="req-401")
    assert err["message"] == "missing or invalid bearer token"
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(http.get("/api/notes", headers={"authorization": "Bearer wrong"}), 401)


def test_notes_are_created_read_and_deleted_by_their_owner(http):
    r = http.post("/api/notes", json={"text": "buy milk"}, headers=AUTH)
    assert r.status_code == 201
    note = r.json()
    assert note["owner"] == "ada" and note["text"] == "buy milk"
    assert http.get(f"/api/notes/{note['id']}", headers=AUTH).json() == note
    assert note in http.get("/api/notes", headers=AUTH).json()
    # Another user's token does not see it.
    other = {"authorization": "Bearer other-token"}
    assert_error(http.get(f"/api/notes/{note['id']}", headers=other), 404)
    assert http.delete(f"/api/notes/{note['id']}", headers=AUTH).status_code == 204
    err = assert_error(http.get(f"/api/notes/{note['id']}", headers=AUTH), 404)
    assert err["message"] == f"no note {note['id']}"


def test_a_large_answer_is_gzipped_for_a_client_that_accepts_it(http):
    for i in range(20):
        http.post("/api/notes", json={"text": f"note {i} " + "lorem ipsum " * 10}, headers=AUTH)
    raw = http.get("/api/notes", headers={**AUTH, "accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert len(raw.json()) >= 20  # httpx decoded it
    with http.stream("GET", "/api/notes", headers={**AUTH, "accept-encoding": "gzip"}) as r:
        body = b"".join(r.iter_raw())
    assert gzip.decompress(body).startswith(b"[")
    assert "content-encoding" not in http.get("/api/notes", headers={**AUTH, "accept-encoding": "identity"}).headers


def test_request_id_is_kept_from_the_client_or_made(http):
    assert http.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    a, b = http.get("/health").headers["x-request-id"], http.get("/health").headers["x-request-id"]
    assert a and b and a != b


def test_router_errors_are_in_the_error_format(http):
    err = assert_error(http.get("/no/such/page", headers={"x-request-id": "req-404"}), 404, "req-404")
    assert err["message"] == "Not Found"
    r = http.put("/api/notes", headers=AUTH)
    err = assert_error(r, 405)
    assert err["message"] == "Method Not Allowed"
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    err = assert_error(http.get("/api/notes/not-a-number", headers=AUTH), 422)
    assert err["message"][0]["loc"] == ["path", "note_id"]


def test_invalid_note_is_422_in_the_error_format(http):
    err = assert_error(http.post("/api/notes", json={"text": ""}, headers=AUTH), 422)
    assert "text" in err["message"]


def test_body_over_the_limit_is_413_in_the_error_format(service):
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 4096 + 2):
            yield b"x" * 4096

    # Fresh connections: the server closes them after a 413.
    streamed = httpx.post(service.base_url + "/api/notes", content=chunks(), headers=AUTH, timeout=10.0)
    declared = httpx.post(service.base_url + "/api/notes", content=b"x" * (MAX_BODY + 1), headers=AUTH, timeout=10.0)
    for r in (streamed, declared):
        err = assert_error(r, 413)
        assert "max_body_size" in err["message"]
        assert r.headers["connection"] == "close"


def test_unexpected_exception_is_500_in_the_error_format_and_logged(http, service):
    mark = len(service.log())
    err = assert_error(http.get("/api/crash", headers={**AUTH, "x-request-id": "req-500"}), 500, "req-500")
    assert err["message"] == "Internal Server Error"
    assert "this is a bug" not in str(err)
    assert wait_until(lambda: "this is a bug" in service.log()[mark:])
    assert "Traceback" in service.log()[mark:]
    assert http.get("/health").text == "ok"
