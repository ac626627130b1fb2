"""Server-Sent Events through the real engine, read with a parser written from the
WHATWG spec (the "event stream interpretation" section): event formatting, keep-alive
pings while the generator is idle, Last-Event-ID, HTTP/2."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterator

import httpx
import pytest

from cello import App, Request
from cello.sse import EventSourceResponse, ServerSentEvent, encode
from cello.testing import TestClient


@dataclass
class Event:
    data: str = ""
    event: str = "message"
    id: str | None = None
    retry: int | None = None


@dataclass
class Parsed:
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def parse(stream: str) -> Parsed:
    """The spec's algorithm: lines end with CRLF, LF or CR; a blank line dispatches;
    ``:`` starts a comment; ``field: value`` (one leading space dropped); data lines
    are joined with LF; an event without data is not dispatched."""
    out = Parsed()
    data: list[str] = []
    kind, last_id, retry = "", None, None
    for line in re.split(r"\r\n|\r|\n", stream):
        if line == "":
            if data:
                out.events.append(Event("\n".join(data), kind or "message", last_id, retry))
            data, kind, retry = [], "", None
            continue
        if line.startswith(":"):
            out.comments.append(line[1:].lstrip(" "))
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)
    return out


def test_events_are_formatted_per_the_spec_and_parse_back() -> None:
    app = App()

    @app.get("/events")
    async def events():
        async def feed() -> AsyncIterator[Any]:
            yield ServerSentEvent(data="first", event="greeting", id=1, retry=2500)
            yield ServerSentEvent(data="line one\nline two\r\nline three")
            yield {"data": {"a": 1}, "event": "dict", "id": "x-2"}
            yield "plain text"
            yield ServerSentEvent(comment="just a comment")
            yield ServerSentEvent(data="", event="empty-data")

        return EventSourceResponse(feed())

    with TestClient(app) as client:
        r = client.get("/events")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    parsed = parse(r.text)
    assert [(e.event, e.data, e.id, e.retry) for e in parsed.events] == [
        ("greeting", "first", "1", 2500),
        ("message", "line one\nline two\nline three", "1", None),
        ("dict", "{'a': 1}", "x-2", None),
        ("message", "plain text", "x-2", None),
        ("empty-data", "", "x-2", None),
    ]
    assert "just a comment" in parsed.comments
    # Multi-line data is several `data:` lines on the wire.
    assert "data: line one\r\ndata: line two\r\ndata: line three\r\n\r\n" in r.text


def test_an_id_or_event_cannot_smuggle_a_line_break_into_the_stream() -> None:
    wire = encode(ServerSentEvent(data="d", event="a\nevent: evil", id="1\ndata: injected")).decode()
    parsed = parse(wire)
    assert [(e.event, e.data, e.id) for e in parsed.events] == [("aevent: evil", "d", "1data: injected")]


def test_retry_must_be_milliseconds_as_an_int() -> None:
    with pytest.raises(TypeError, match="retry must be an int"):
        ServerSentEvent(data="x", retry="soon")  # type: ignore[arg-type]


def test_a_sync_generator_and_the_lf_separator_work_too() -> None:
    app = App()

    @app.get("/sync")
    def sync_feed():
        def feed() -> Iterator[Any]:
            yield ServerSentEvent(data="a", id=1)
            yield b"data: raw bytes pass through\n\n"

        return EventSourceResponse(feed(), sep="\n")

    with TestClient(app) as client:
        r = client.get("/sync")
    assert r.text == "id: 1\ndata: a\n\ndata: raw bytes pass through\n\n"


def test_keep_alive_comments_are_sent_while_the_generator_is_idle() -> None:
    """The generator waits for an event the test releases only once the client has
    seen two pings: pings come while it is idle, and the events still follow."""
    app = App()
    release = asyncio.Event()

    @app.get("/quiet")
    async def quiet():
        async def feed() -> AsyncIterator[Any]:
            yield ServerSentEvent(data="hello")
            await release.wait()
            yield ServerSentEvent(data="after the wait")

        return EventSourceResponse(feed(), ping=0.05)

    @app.post("/release")
    def do_release():
        release.set()
        return None

    with TestClient(app) as client:
        with httpx.Client(base_url=f"http://127.0.0.1:{client.port}", timeout=30) as http:
            with http.stream("GET", "/quiet") as r:
                seen = ""
                pieces = r.iter_text()
                while seen.count(": ping") < 2:
                    seen += next(pieces)
                assert http.post("/release").status_code == 204
                seen += "".join(pieces)
    parsed = parse(seen)
    assert [e.data for e in parsed.events] == ["hello", "after the wait"]
    assert parsed.comments.count("ping") >= 2
    assert seen.index("data: hello") < seen.index(": ping") < seen.index("data: after the wait")


def test_no_pings_when_ping_is_zero() -> None:
    app = App()

    @app.get("/silent")
    async def silent():
        async def feed() -> AsyncIterator[Any]:
            await asyncio.sleep(0.3)
            yield "done"

        return EventSourceResponse(feed(), ping=0)

    with TestClient(app) as client:
        assert client.get("/silent").text == "data: done\r\n\r\n"


def test_the_handler_sees_last_event_id_to_resume_from() -> None:
    app = App()

    @app.get("/resume")
    async def resume(req: Request):
        start = int(req.headers.get("last-event-id") or 0)

        async def feed() -> AsyncIterator[Any]:
            for n in range(start + 1, start + 3):
                yield ServerSentEvent(data=f"event {n}", id=n)

        return EventSourceResponse(feed())

    with TestClient(app) as client:
        fresh = parse(client.get("/resume").text)
        resumed = parse(client.get("/resume", headers={"Last-Event-ID": "41"}).text)
    assert [e.id for e in fresh.events] == ["1", "2"]
    assert [(e.id, e.data) for e in resumed.events] == [("42", "event 42"), ("43", "event 43")]


def test_events_and_pings_flow_over_http2() -> None:
    app = App()
    release = asyncio.Event()

    @app.get("/h2")
    async def h2_feed():
        async def feed() -> AsyncIterator[Any]:
            yield ServerSentEvent(data="one", id=1)
            await release.wait()
            yield ServerSentEvent(data="two", id=2)

        return EventSourceResponse(feed(), ping=0.05)

    @app.post("/release")
    def do_release():
        release.set()
        return None

    with TestClient(app) as client:
        url = f"http://127.0.0.1:{client.port}"
        with httpx.Client(http1=False, http2=True, base_url=url, timeout=30) as h2:
            with h2.stream("GET", "/h2") as r:
                assert r.http_version == "HTTP/2"
                seen = ""
                pieces = r.iter_text()
                while ": ping" not in seen:
                    seen += next(pieces)
                assert h2.post("/release").status_code == 204
                seen += "".join(pieces)
    assert [e.data for e in parse(seen).events] == ["one", "two"]
