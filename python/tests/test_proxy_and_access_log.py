"""Trusted proxies and the access log, Rust middleware configured from Python, on the
real engine: forwarding headers change ``req.client``/``scheme``/``host``/``url`` only
from a trusted peer, and every request's record reaches ``logging`` (``cello.access``)
in batches, or stderr."""

from __future__ import annotations

import logging
import re
import socket
import threading

import httpx
import pytest

from cello import App, Request
from cello.middleware import AccessLog, RequestId, TrustedProxies
from cello.testing import TestClient

from conftest import wait_until

FORWARDED = {
    "x-forwarded-for": "6.6.6.6, 203.0.113.9",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "shop.example:8443",
}


def echo_app(*middleware) -> App:
    app = App(middleware=list(middleware))

    @app.get("/who")
    def who(req: Request) -> dict:
        return {
            "client": list(req.client) if req.client else None,
            "scheme": req.scheme,
            "host": req.host,
            "url": req.url,
            "xff": req.headers.get("x-forwarded-for"),
        }

    return app


def get_who(client: TestClient, headers: dict[str, str]) -> dict:
    with httpx.Client(base_url=client.server_url, timeout=10) as http:
        response = http.get("/who?x=1", headers=headers)
    assert response.status_code == 200
    return response.json()


def test_a_trusted_proxy_sets_client_scheme_host_and_url():
    with TestClient(echo_app(TrustedProxies(trusted=["127.0.0.1"], host=True))) as client:
        seen = get_who(client, FORWARDED)
    assert seen["client"] == ["203.0.113.9", 0]
    assert seen["scheme"] == "https"
    assert seen["host"] == "shop.example:8443"
    assert seen["url"] == "https://shop.example:8443/who?x=1"


def test_the_forwarded_host_is_ignored_unless_turned_on():
    # nginx passes a client's X-Forwarded-Host through unless told otherwise.
    with TestClient(echo_app(TrustedProxies(trusted=["127.0.0.1"]))) as client:
        seen = get_who(client, FORWARDED)
        assert seen["client"] == ["203.0.113.9", 0]
        assert seen["scheme"] == "https"
        assert seen["host"] == f"127.0.0.1:{client.port}"
        assert seen["url"] == f"https://127.0.0.1:{client.port}/who?x=1"


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored():
    with TestClient(echo_app(TrustedProxies(trusted=["10.0.0.0/8"]))) as client:
        seen = get_who(client, FORWARDED)
        assert seen["client"][0] == "127.0.0.1"
        assert seen["client"][1] != 0, "the real peer's port"
        assert seen["scheme"] == "http"
        assert seen["url"] == f"http://127.0.0.1:{client.port}/who?x=1"
        # Left in place for the handler to see, as uvicorn does.
        assert seen["xff"] == "6.6.6.6, 203.0.113.9"


def test_without_the_middleware_the_headers_change_nothing():
    with TestClient(echo_app()) as client:
        seen = get_who(client, FORWARDED)
        port = client.port
    assert seen["client"][0] == "127.0.0.1"
    assert seen["scheme"] == "http"
    assert seen["host"] == f"127.0.0.1:{port}"


@pytest.mark.parametrize(
    "headers",
    [
        {"x-forwarded-for": "not-an-address"},
        {"x-forwarded-for": ""},
        {"x-forwarded-for": "203.0.113.9,", "x-forwarded-proto": "gopher"},
        {"x-forwarded-proto": "javascript", "x-forwarded-host": "user@evil.example"},
        {"x-forwarded-host": "a b"},
    ],
)
def test_malformed_forwarding_headers_from_a_trusted_proxy_are_ignored_and_the_worker_keeps_serving(headers):
    with TestClient(echo_app(TrustedProxies(trusted=["127.0.0.1"]))) as client:
        seen = get_who(client, headers)
        assert seen["client"][0] == "127.0.0.1"
        assert seen["scheme"] == "http"
        assert seen["host"] == f"127.0.0.1:{client.port}"
        assert get_who(client, FORWARDED)["client"] == ["203.0.113.9", 0]


def test_rfc_7239_forwarded_is_read_when_turned_on():
    headers = {"forwarded": 'for="[2001:db8::17]:4711";proto=https;host=api.example'}
    with TestClient(echo_app(TrustedProxies(trusted=["127.0.0.1"], forwarded=True, host=True))) as client:
        seen = get_who(client, headers)
    assert seen["client"] == ["2001:db8::17", 4711]
    assert seen["url"] == "https://api.example/who?x=1"

    with TestClient(echo_app(TrustedProxies(trusted=["127.0.0.1"]))) as client:
        assert get_who(client, headers)["client"][0] == "127.0.0.1", "off by default"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.guard:
            self.records.append(record)

    def snapshot(self) -> list[logging.LogRecord]:
        with self.guard:
            return list(self.records)


@pytest.fixture
def access_records():
    logger = logging.getLogger("cello.access")
    handler = Collect()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def logged_app() -> App:
    app = App(middleware=[TrustedProxies(trusted=["127.0.0.1"]), RequestId(), AccessLog()])

    @app.get("/items")
    def items() -> dict:
        return {"items": [1, 2, 3]}

    @app.get("/missing")
    def missing() -> tuple:
        return "nope", 404

    return app


def test_the_access_log_delivers_each_request_to_the_cello_access_logger(access_records):
    with TestClient(logged_app()) as client:
        with httpx.Client(base_url=client.server_url, timeout=10) as http:
            ok = http.get("/items?page=2", headers={"x-request-id": "req-42", "x-forwarded-for": "203.0.113.9"})
            missing = http.get("/missing")
        assert wait_until(lambda: len(access_records.snapshot()) >= 2), "records arrive while serving"
    records = access_records.snapshot()
    assert len(records) == 2
    first, second = records
    assert first.levelno == logging.INFO
    assert (first.method, first.path, first.http_version) == ("GET", "/items?page=2", "1.1")
    assert first.status == 200
    assert first.bytes == len(ok.content)
    assert first.request_id == "req-42"
    assert first.client == "203.0.113.9:0"
    assert first.complete is True
    assert first.duration_ms >= 0
    # uvicorn's line, assembled in Rust.
    assert first.getMessage() == '203.0.113.9:0 - "GET /items?page=2 HTTP/1.1" 200 OK'
    assert (first.client_addr, first.request_line, first.status_code) == (
        "203.0.113.9:0",
        "GET /items?page=2 HTTP/1.1",
        "200 OK",
    )
    assert second.status == 404
    assert second.bytes == len(missing.content)
    assert second.request_id == missing.headers["x-request-id"]
    assert second.client.startswith("127.0.0.1:")


def test_records_still_in_a_batch_are_flushed_at_shutdown(access_records):
    client = TestClient(logged_app())
    with httpx.Client(base_url=client.server_url, timeout=10) as http:
        for _ in range(3):
            assert http.get("/items").status_code == 200
    client.close()
    assert [r.status for r in access_records.snapshot()] == [200, 200, 200]


def test_a_batch_is_one_python_call_with_one_log_record_per_request(access_records, monkeypatch):
    from cello.middleware import _access_log

    batches: list[int] = []
    real_emit = _access_log.emit

    def counting_emit(rows):
        batches.append(len(rows))
        real_emit(rows)

    monkeypatch.setattr(_access_log, "emit", counting_emit)
    client = TestClient(logged_app())
    # Twenty requests pipelined on one connection, answered back to back: their
    # records meet in the worker's batch (at most 100 ms or 256 records), however
    # slow the machine is between one test and the next.
    raw = b"GET /items HTTP/1.1\r\nHost: x\r\n\r\n" * 19 + b"GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", client.port), timeout=10) as sock:
        sock.sendall(raw)
        answered = b""
        while chunk := sock.recv(65536):
            answered += chunk
    client.close()
    assert answered.count(b"HTTP/1.1 200") == 20
    assert sum(batches) == 20
    assert len(access_records.snapshot()) == 20
    assert max(batches) > 1, f"batched, not one call per request: {batches}"


def test_the_stderr_target_prints_one_line_per_request(start_server):
    server = start_server("proxy_app.py")
    response = httpx.get(
        server.base_url + "/hello?a=1",
        headers={"x-forwarded-for": "198.51.100.23", "x-request-id": "line-id-1"},
    )
    assert response.status_code == 200
    pattern = re.compile(
        r'^198\.51\.100\.23:0 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
        r'"GET /hello\?a=1 HTTP/1\.1" 200 12 \d+\.\d{3}ms line-id-1$',
        re.M,
    )
    assert wait_until(lambda: pattern.search(server.log()) is not None), server.log()
    assert server.terminate() == 0


@pytest.mark.parametrize(
    "middleware, says",
    [
        (TrustedProxies(trusted=["localhost"]), "trusted_proxies.*not an IP address"),
        (TrustedProxies(trusted=["10.0.0.0/40"]), "trusted_proxies"),
        (AccessLog(target="syslog"), "access_log.*unknown target"),
    ],
)
def test_a_bad_setting_stops_the_app_at_startup_naming_the_middleware(middleware, says):
    with pytest.raises(RuntimeError, match=says):
        TestClient(echo_app(middleware)).start()
