"""``async for chunk in req.stream()``: on a ``stream_request=True`` route the body is
read as it arrives (the body limit and timeouts still hold); on other routes it was
read before the handler ran and comes in one chunk."""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest

from cello import App, Request
from cello.responses import StreamingResponse
from cello.testing import TestClient


def test_a_large_body_arrives_in_several_chunks_as_it_is_sent() -> None:
    app = App()

    @app.post("/upload", stream_request=True)
    async def upload(req: Request):
        digest, sizes = hashlib.sha256(), []
        async for chunk in req.stream():
            digest.update(chunk)
            sizes.append(len(chunk))
        return {"chunks": len(sizes), "size": sum(sizes), "sha256": digest.hexdigest()}

    payload = bytes(range(256)) * (8 * 1024 * 1024 // 256)  # 8 MiB

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(payload), 256 * 1024):
            yield payload[i : i + 256 * 1024]

    with TestClient(app, max_body_size=16 * 1024 * 1024) as client:
        r = client.post("/upload", content=pieces())
    assert r.status_code == 200
    body = r.json()
    assert body["size"] == len(payload)
    assert body["sha256"] == hashlib.sha256(payload).hexdigest()
    assert body["chunks"] > 1


def test_the_handler_runs_before_the_body_has_arrived() -> None:
    """The handler reads the first chunk while the client still holds the rest: the
    body was not read whole before it ran."""
    app = App()
    first = threading.Event()

    @app.post("/echo", stream_request=True)
    async def echo(req: Request):
        stream = req.stream()
        got = [await stream.__anext__()]
        first.set()
        async for chunk in stream:
            got.append(chunk)
        return b"".join(got)

    with TestClient(app) as client:
        s = socket.create_connection(("127.0.0.1", client.port), timeout=10)
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        assert first.wait(10), "the handler did not get the first chunk before the rest was sent"
        s.sendall(b"world")
        answer = b""
        while not answer.endswith(b"helloworld"):
            data = s.recv(4096)
            assert data
            answer += data
        s.close()
    assert answer.startswith(b"HTTP/1.1 200")


def test_a_streamed_body_over_the_limit_is_answered_413() -> None:
    app = App()
    seen: list[int] = []

    @app.post("/upload", stream_request=True)
    async def upload(req: Request):
        n = 0
        async for chunk in req.stream():
            n += len(chunk)
            seen.append(len(chunk))
        return {"read": n}

    def pieces() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 16 * 1024

    with TestClient(app, max_body_size=64 * 1024) as client:
        r = client.post("/upload", content=pieces())
        assert r.status_code == 413
        assert "limit" in r.json()["detail"]
        assert client.post("/upload", content=b"small").json() == {"read": 5}
    # The handler never saw more than the limit.
    assert sum(seen) <= 64 * 1024 + 5


def test_a_client_that_stalls_mid_body_is_answered_408() -> None:
    app = App()

    @app.post("/upload", stream_request=True)
    async def upload(req: Request):
        n = 0
        async for chunk in req.stream():
            n += len(chunk)
        return {"read": n}

    with TestClient(app, body_timeout=0.3) as client:
        s = socket.create_connection(("127.0.0.1", client.port), timeout=10)
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = s.recv(4096)
            assert data
            answer += data
        s.close()
    assert answer.startswith(b"HTTP/1.1 408")


def test_req_body_on_a_streaming_route_raises_an_error_that_says_what_to_do() -> None:
    app = App()

    @app.post("/raw", stream_request=True)
    async def raw(req: Request):
        try:
            req.body
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    with TestClient(app) as client:
        text = client.post("/raw", content=b"abc").text
    assert "stream_request=True" in text and "req.stream()" in text


def test_on_other_routes_req_stream_gives_the_body_already_read_in_one_chunk() -> None:
    app = App()

    @app.post("/plain")
    async def plain(req: Request):
        chunks = [c async for c in req.stream()]
        return {"chunks": [c.decode() for c in chunks], "body": req.body.decode()}

    with TestClient(app) as client:
        assert client.post("/plain", content=b"whole body").json() == {
            "chunks": ["whole body"],
            "body": "whole body",
        }
        assert client.post("/plain").json() == {"chunks": [], "body": ""}


def test_a_sync_handler_can_stream_the_request_body_back() -> None:
    app = App()

    @app.post("/echo", stream_request=True)
    def echo(req: Request):
        return StreamingResponse(req.stream(), media_type="application/octet-stream")

    def pieces() -> Iterator[bytes]:
        for i in range(20):
            yield bytes([65 + i]) * 10_000

    with TestClient(app) as client:
        r = client.post("/echo", content=pieces())
    assert r.content == b"".join(bytes([65 + i]) * 10_000 for i in range(20))


@dataclass
class Item:
    name: str


def test_stream_request_with_a_body_parameter_is_refused_at_registration() -> None:
    app = App()

    @app.post("/both", stream_request=True)
    async def both(item: Item):
        return item

    with pytest.raises(TypeError, match="stream_request=True leaves the body unread"):
        app._engine()


def test_streaming_a_request_body_over_http2() -> None:
    app = App()

    @app.post("/count", stream_request=True)
    async def count(req: Request):
        n = 0
        async for chunk in req.stream():
            n += len(chunk)
        return {"n": n}

    def pieces() -> Iterator[bytes]:
        for _ in range(10):
            yield b"z" * 50_000

    with TestClient(app) as client:
        with httpx.Client(http1=False, http2=True, base_url=f"http://127.0.0.1:{client.port}") as h2:
            r = h2.post("/count", content=pieces())
    assert r.http_version == "HTTP/2"
    assert r.json() == {"n": 500_000}
