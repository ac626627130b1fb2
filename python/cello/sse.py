"""Server-Sent Events, with sse-starlette's names: ``EventSourceResponse`` sends what
a generator yields as events; ``ServerSentEvent`` is one event.

    @app.get("/feed")
    async def feed(req: Request):
        last = req.headers.get("last-event-id")      # a reconnecting browser's
        async def events():
            n = int(last or 0)
            while True:
                n += 1
                yield ServerSentEvent(data=f"tick {n}", event="tick", id=n)
                await asyncio.sleep(1)
        return EventSourceResponse(events())

A yielded item is a ``ServerSentEvent``, a dict of its fields, ``bytes`` (sent as they
are, already encoded) or anything else (its ``str()`` is the data). Multi-line data
becomes several ``data:`` lines. While an async generator is idle, a ``: ping``
comment goes out every ``ping`` seconds (sent from Rust, no Python runs), so proxies
keep the connection open. Events are encoded here, in Python: an event is small
and the encoding is a few string joins, 3-5 µs (see ``docs/streams-and-files.md``).
"""

from __future__ import annotations

import re
from typing import Any, AsyncIterator, Iterator, Mapping

from .responses import Content, Response, StreamingResponse

__all__ = ["EventSourceResponse", "ServerSentEvent"]

_LINES = re.compile(r"\r\n|\r|\n")


class ServerSentEvent:
    """One event: ``data`` (multi-line allowed), ``event`` (its type), ``id``,
    ``retry`` (the client's reconnection delay, in milliseconds) and ``comment``."""

    __slots__ = ("data", "event", "id", "retry", "comment", "sep")

    def __init__(
        self,
        data: Any = None,
        event: str | None = None,
        id: int | str | None = None,
        retry: int | None = None,
        comment: str | None = None,
        sep: str | None = None,
    ) -> None:
        if retry is not None and not isinstance(retry, int):
            raise TypeError(f"retry must be an int (milliseconds), not {type(retry).__name__}")
        self.data, self.event, self.id, self.retry, self.comment = data, event, id, retry, comment
        self.sep = sep or "\r\n"

    def encode(self) -> bytes:
        """The event as it goes on the wire, ending with a blank line."""
        sep = self.sep
        out: list[str] = []
        if self.comment is not None:
            out.extend(f": {line}{sep}" for line in _LINES.split(str(self.comment)))
        if self.id is not None:
            # An id cannot span lines (a line break would start a new field).
            out.append(f"id: {_LINES.sub('', str(self.id))}{sep}")
        if self.event is not None:
            out.append(f"event: {_LINES.sub('', str(self.event))}{sep}")
        if self.data is not None:
            out.extend(f"data: {line}{sep}" for line in _LINES.split(str(self.data)))
        if self.retry is not None:
            out.append(f"retry: {self.retry}{sep}")
        out.append(sep)
        return "".join(out).encode()

    def __repr__(self) -> str:
        return f"ServerSentEvent(data={self.data!r}, event={self.event!r}, id={self.id!r})"


def encode(item: Any, sep: str = "\r\n") -> bytes:
    """One yielded item as wire bytes (see the module doc)."""
    if isinstance(item, bytes):
        return bytes(item)
    if isinstance(item, ServerSentEvent):
        event = item if item.sep == sep else ServerSentEvent(item.data, item.event, item.id, item.retry, item.comment, sep)
        return event.encode()
    if isinstance(item, Mapping):
        return ServerSentEvent(**item, sep=sep).encode()
    return ServerSentEvent(item, sep=sep).encode()


async def _events_async(source: Any, sep: str) -> AsyncIterator[bytes]:
    try:
        async for item in source:
            yield encode(item, sep)
    finally:
        # Closed early (the client went away): close the app's generator too.
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


def _events_sync(source: Any, sep: str) -> Iterator[bytes]:
    try:
        for item in source:
            yield encode(item, sep)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


class EventSourceResponse(StreamingResponse):
    """``EventSourceResponse(content, ping=15, headers=None, ...)``: a
    ``text/event-stream`` response of the events ``content`` (a sync or async
    generator) yields, with ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no``
    (nginx must not buffer it). ``ping``: seconds between keep-alive comments while
    an async generator is idle (0 or None: none). ``sep``: the line separator
    (``"\\r\\n"``, or ``"\\n"``/``"\\r"``)."""

    #: ``(seconds, comment bytes)``: read by the engine for the keep-alive comments.
    _cello_ping: tuple[float, bytes] | None = None

    def __new__(
        cls,
        content: Content,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str = "text/event-stream",
        background: Any = None,
        ping: float | None = 15,
        sep: str | None = None,
    ) -> "EventSourceResponse":
        sep = sep or "\r\n"
        if sep not in ("\r\n", "\r", "\n"):
            raise ValueError(f"sep must be '\\r\\n', '\\r' or '\\n', not {sep!r}")
        if hasattr(content, "__aiter__"):
            events: Any = _events_async(content.__aiter__(), sep)
        else:
            events = _events_sync(iter(content), sep)
        merged = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})}
        response = Response.__new__(cls, events, status_code, merged, media_type, background)
        if ping:
            response._cello_ping = (float(ping), f": ping{sep}{sep}".encode())
        return response
