"""StreamingResponse through the real engine: chunked framing read by a strict client,
sync and async generators, str/bytes/bad items, backpressure, and the generator
closed when the client goes away."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any, AsyncIterator, Iterator

import h11
import httpx
import pytest

from cello import App
from cello.responses import StreamingResponse
from cello.testing import TestClient

CHUNK = 64 * 1024


def h11_get(port: int, path: str) -> tuple[h11.Response, list[bytes], bool]:
    """GET with h11 as the client: the response head, each Data event's bytes, and
    whether the message ended properly (EndOfMessage after a terminating chunk)."""
    conn = h11.Connection(h11.CLIENT)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(conn.send(h11.Request(method="GET", target=path, headers=[("Host", "x")])))
        s.sendall(conn.send(h11.EndOfMessage()))
        head: Any = None
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = s.recv(65536)
                conn.receive_data(data)
                if not data:
                    return head, chunks, False
                continue
            if isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return head, chunks, True


def test_a_sync_generator_is_sent_chunked_and_a_strict_h11_client_reads_every_chunk() -> None:
    app = App()

    @app.get("/count")
    def count():
        def numbers() -> Iterator[str]:
            for i in range(5):
                yield f"line {i}\n"

        return StreamingResponse(numbers(), media_type="text/plain", headers={"x-kind": "numbers"})

    with TestClient(app) as client:
        head, chunks, ended = h11_get(client.port, "/count")
    assert head.status_code == 200
    headers = {k.decode(): v.decode() for k, v in head.headers}
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["x-kind"] == "numbers"
    assert ended
    assert b"".join(chunks) == b"".join(f"line {i}\n".encode() for i in range(5))


def test_an_async_generator_streams_bytes_and_str_encoded_as_utf8() -> None:
    app = App()

    @app.get("/mixed")
    async def mixed():
        async def parts() -> AsyncIterator[bytes | str]:
            yield b"bytes,"
            await asyncio.sleep(0.01)
            yield "h\u00e9llo \u2603,"
            yield bytearray(b"end")

        return StreamingResponse(parts(), status_code=201)

    with TestClient(app) as client:
        r = client.get("/mixed")
    assert r.status_code == 201
    assert r.content == "bytes,h\u00e9llo \u2603,end".encode()
    assert "content-type" not in r.headers  # Starlette's default: none


def test_a_plain_iterable_and_a_single_string_are_streamed_too() -> None:
    app = App()

    @app.get("/list")
    def listed():
        return StreamingResponse([b"a", "b", b"c"])

    @app.get("/one")
    def one():
        return StreamingResponse("just this")

    with TestClient(app) as client:
        assert client.get("/list").content == b"abc"
        assert client.get("/one").content == b"just this"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_item_that_is_not_bytes_or_str_cuts_the_response_short_and_is_logged_naming_the_handler(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = App()
    closed = threading.Event()

    def numbers() -> Iterator[Any]:
        try:
            yield b"ok,"
            yield 42
            yield b"never"
        finally:
            closed.set()

    async def anumbers() -> AsyncIterator[Any]:
        for item in numbers():
            yield item

    @app.get("/bad")
    def bad_items():
        return StreamingResponse(numbers() if kind == "sync" else anumbers())

    with caplog.at_level(logging.ERROR, logger="cello"):
        with TestClient(app) as client:
            head, chunks, ended = h11_get(client.port, "/bad")
            # The connection is aborted: the client never sees a complete message
            # (hyper may not have flushed the head or the first chunk yet).
            assert not ended, "the client must see the body cut short (no final chunk)"
            assert head is None or head.status_code == 200
            assert b"".join(chunks) in (b"", b"ok,")
            assert closed.wait(10)
            assert client.get("/nope").status_code == 404  # the worker goes on
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "bad_items" in messages and "`int`" in messages, messages


def test_an_exception_in_the_generator_is_logged_with_its_traceback_and_cuts_the_response_short(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.get("/boom")
    async def boom():
        async def parts() -> AsyncIterator[bytes]:
            yield b"start,"
            raise ValueError("the feed broke")

        return StreamingResponse(parts())

    with caplog.at_level(logging.ERROR, logger="cello"):
        with TestClient(app) as client:
            _, chunks, ended = h11_get(client.port, "/boom")
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/boom")
    assert not ended and b"".join(chunks) in (b"", b"start,")
    records = [r for r in caplog.records if "boom" in r.getMessage()]
    assert records and records[0].exc_info is not None
    assert "the feed broke" in str(records[0].exc_info[1])


def test_a_slow_reader_keeps_the_generator_from_running_ahead() -> None:
    """Backpressure: the generator is pulled only as the connection drains. With the
    client not reading, the chunks made stop growing at what the buffers hold
    (kernel socket buffers + hyper's write queue + the one chunk in hand), and while
    the client reads slowly the generator stays within that of what it received."""
    app = App()
    made = [0]

    @app.get("/endless")
    async def endless():
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                made[0] += 1
                yield b"x" * CHUNK

        return StreamingResponse(chunks())

    bound = 16 * 1024 * 1024  # far below what an unthrottled generator makes in a second
    with TestClient(app) as client:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.connect(("127.0.0.1", client.port))
        s.settimeout(10)
        s.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        received = len(s.recv(4096))
        # Not reading: the count settles (no chunk made for a while), bounded.
        last, still = -1, 0
        deadline = time.monotonic() + 30
        while still < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
            still = still + 1 if made[0] == last else 0
            last = made[0]
        assert still == 5, "the generator kept running while the client read nothing"
        assert made[0] * CHUNK - received < bound
        # Reading slowly: it follows the reader, never far ahead.
        worst = 0
        while received < 32 * 1024 * 1024:
            data = s.recv(CHUNK)
            assert data
            received += len(data)
            worst = max(worst, made[0] * CHUNK - received)
        s.close()
    assert worst < bound, f"the generator ran {worst} bytes ahead of the reader"


def _wait(events: dict[str, float], key: str, timeout: float = 10.0) -> float | None:
    deadline = time.monotonic() + timeout
    while key not in events and time.monotonic() < deadline:
        time.sleep(0.005)
    return events.get(key)


@pytest.mark.parametrize("where", ["awaiting", "at_yield", "sync"])
def test_a_client_leaving_mid_stream_runs_the_generators_finally_at_once(where: str) -> None:
    """The generator is closed when the client goes away, wherever it is: awaiting
    something (its ``__anext__`` is cancelled), suspended at a ``yield`` because the
    client stopped reading (``aclose()``), or a sync generator (``close()``).
    Measured here: well under a millisecond; the bound is generous for a loaded
    machine, the brief's one second."""
    app = App()
    closed: dict[str, float] = {}

    @app.get("/awaiting")
    async def awaiting():
        async def parts() -> AsyncIterator[bytes]:
            try:
                yield b"first"
                await asyncio.sleep(3600)
                yield b"never"
            finally:
                closed["awaiting"] = time.monotonic()

        return StreamingResponse(parts())

    @app.get("/at_yield")
    async def at_yield():
        async def parts() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"y" * CHUNK
            finally:
                closed["at_yield"] = time.monotonic()

        return StreamingResponse(parts())

    @app.get("/sync")
    def sync():
        def parts() -> Iterator[bytes]:
            try:
                while True:
                    yield b"s" * CHUNK
            finally:
                closed["sync"] = time.monotonic()

        return StreamingResponse(parts())

    with TestClient(app) as client:
        s = socket.create_connection(("127.0.0.1", client.port), timeout=10)
        s.sendall(f"GET /{where} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.2)  # the generator is now idle (awaiting) or blocked (buffers full)
        assert where not in closed
        left = time.monotonic()
        s.close()
        at = _wait(closed, where)
        assert at is not None, "the generator's finally never ran"
        assert at - left < 1.0, f"finally ran {at - left:.3f} s after the client left"
        assert client.get("/nope").status_code == 404


def test_a_head_request_answers_the_head_without_pulling_the_generator() -> None:
    app = App()
    pulled: list[int] = []

    @app.get("/data")
    def data():
        def parts() -> Iterator[bytes]:
            pulled.append(1)
            yield b"body"

        return StreamingResponse(parts(), media_type="text/plain")

    with TestClient(app) as client:
        r = client.head("/data")
        assert r.status_code == 200 and r.content == b""
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert client.get("/data").content == b"body"
    assert pulled == [1]


def test_streaming_over_http2_sends_the_chunks_as_data_frames() -> None:
    app = App()

    @app.get("/h2")
    async def over_h2():
        async def parts() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0.01)
                yield f"part{i};".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    with TestClient(app) as client:
        with httpx.Client(http1=False, http2=True, base_url=f"http://127.0.0.1:{client.port}") as h2:
            with h2.stream("GET", "/h2") as r:
                assert r.http_version == "HTTP/2"
                pieces = list(r.iter_raw())
    assert b"".join(pieces) == b"part0;part1;part2;"
