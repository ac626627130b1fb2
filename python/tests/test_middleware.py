"""Rust middleware configured from Python: CORS, compression, request ids, security
headers and timeouts, on the real engine. None of them calls into Python for a request
that needs no handler (a preflight never runs one)."""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest

from cello import App, Request
from cello.middleware import CORS, Compression, RequestId, SecurityHeaders, Timeout
from cello.testing import TestClient

ORIGIN = "https://app.example"
BIG = {"items": [{"id": i, "name": f"item number {i}"} for i in range(200)]}


def make_app(calls: list[str]) -> App:
    app = App(
        middleware=[
            RequestId(),
            SecurityHeaders(content_security_policy="default-src 'self'"),
            CORS(allow_origins=[ORIGIN], allow_methods=["GET", "POST"], allow_headers=["x-token"]),
            Compression(),
            Timeout(seconds=0.5),
        ]
    )

    @app.get("/big")
    def big() -> dict:
        calls.append("big")
        return BIG

    @app.post("/items")
    def create(req: Request) -> dict:
        calls.append("create")
        return {"request_id": req.request_id}

    @app.get("/framed")
    def framed() -> tuple:
        return "ok", 200, {"x-frame-options": "SAMEORIGIN"}

    @app.get("/slow")
    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        finally:
            calls.append("slow-finally")
        return "late"

    return app


@pytest.fixture(scope="module")
def served():
    calls: list[str] = []
    with TestClient(make_app(calls)) as client:
        with httpx.Client(base_url=client.server_url, timeout=10) as http:
            yield http, calls


def test_a_preflight_is_answered_without_running_the_handler(served):
    http, calls = served
    calls.clear()
    r = http.options(
        "/items",
        headers={"origin": ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "x-token"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]
    assert calls == []


def test_cors_headers_go_on_responses_and_router_errors_for_an_allowed_origin_only(served):
    http, _ = served
    ok = http.get("/big", headers={"origin": ORIGIN})
    missing = http.get("/nope", headers={"origin": ORIGIN})
    other = http.get("/big", headers={"origin": "https://evil.example"})
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in other.headers


def test_a_large_body_is_compressed_for_a_client_that_accepts_it(served):
    http, _ = served
    r = http.get("/big", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert r.json() == BIG  # httpx decoded it
    with http.stream("GET", "/big", headers={"accept-encoding": "gzip"}) as streamed:
        compressed = b"".join(streamed.iter_raw())
    assert len(compressed) < len(gzip.decompress(compressed)) / 3


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "", "garbage;;==,", "br;q=nope"])
def test_no_acceptable_coding_or_garbage_means_an_uncompressed_answer(served, accept):
    http, _ = served
    r = http.get("/big", headers={"accept-encoding": accept})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.json() == BIG


def test_a_request_id_is_made_kept_and_visible_to_the_handler(served):
    http, _ = served
    made = http.post("/items")
    assert made.headers["x-request-id"]
    assert made.json() == {"request_id": made.headers["x-request-id"]}
    kept = http.post("/items", headers={"x-request-id": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    assert kept.json() == {"request_id": "abc-123"}


def test_security_headers_are_added_and_a_handler_set_one_is_kept(served):
    http, _ = served
    r = http.get("/big")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == "default-src 'self'"
    assert http.get("/framed").headers["x-frame-options"] == "SAMEORIGIN"


def test_a_slow_handler_gets_504_and_its_task_is_cancelled(served):
    http, calls = served
    calls.clear()
    r = http.get("/slow")
    assert r.status_code == 504
    # The Task was cancelled, not left to finish its five seconds.
    for _ in range(100):
        if "slow-finally" in calls:
            break
        http.get("/big")
    assert "slow-finally" in calls


@pytest.mark.parametrize(
    "middleware, says",
    [
        (Compression(gzip=False, br=False, zstd=False), "compression"),
        (CORS(allow_headers=["bad header"]), "cors"),
        (Timeout(seconds=-1), "timeout"),
    ],
)
def test_a_bad_setting_stops_the_app_at_startup_naming_the_middleware(middleware, says):
    app = App(middleware=[middleware])

    @app.get("/")
    def root() -> str:
        return "x"

    with pytest.raises(RuntimeError, match=says):
        TestClient(app).start()


def test_only_cello_middleware_is_accepted():
    with pytest.raises(TypeError, match="cello.middleware"):
        App(middleware=[object()])


def test_a_middleware_listed_twice_stops_the_app_at_startup_naming_it():
    app = App(middleware=[RequestId(), CORS(allow_origins=["*"]), RequestId(header="x-other-id")])

    @app.get("/")
    def root() -> str:
        return "x"

    with pytest.raises(RuntimeError, match="request_id is listed twice"):
        TestClient(app).start()
