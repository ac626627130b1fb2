"""WebSockets with Starlette's API: ``@app.websocket("/ws/{room}")`` and the
``WebSocket`` its handler gets.

Frames are parsed, unmasked, joined, validated and pinged in Rust (``cello::ws`` on
tokio-tungstenite); Python sees whole messages only. ``receive_*`` and ``send_*``
await the Rust side: a send finishes once the message is written to the
connection, so a client that reads slowly slows the handler down instead of
filling memory.

A handler that returns without accepting refuses the handshake with 403 (as
Starlette); one that raises before accepting gives 500 (an ``HTTPException`` its
status), after accepting closes the socket with 1011. When the client leaves, the
next ``receive`` raises ``WebSocketDisconnect(1006)``, and so does a ``send``.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Mapping

from . import _cello
from .datastructures import Headers, QueryParams, State

__all__ = ["WebSocket", "WebSocketDisconnect"]


class WebSocketDisconnect(Exception):
    """The connection is closed: ``code`` and ``reason`` are what the client sent
    (1005 when it sent no code), what the server closed with (1002, 1007, 1009, 1011
    for a protocol error, invalid UTF-8, a message too big, a dead peer), or 1006
    when the connection dropped."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code}, reason={self.reason!r})"


_TEXT, _BYTES, _CLOSED = 0, 1, 2


class WebSocket:
    """One WebSocket connection, as a Starlette handler knows it."""

    __slots__ = ("_request", "_conn", "_closed")

    def __init__(self, request: _cello.Request, conn: _cello.WebSocketConn) -> None:
        self._request = request
        self._conn = conn
        self._closed: WebSocketDisconnect | None = None

    # -- the handshake request ---------------------------------------------------

    @property
    def path_params(self) -> dict[str, Any]:
        """The path parameters, converted as the route's pattern says."""
        return self._request.path_params

    @property
    def query_params(self) -> QueryParams:
        """The query string's parameters."""
        return self._request.query

    @property
    def headers(self) -> Headers:
        """The handshake request's headers."""
        return self._request.headers

    @property
    def cookies(self) -> dict[str, str]:
        """The handshake request's cookies."""
        return self._request.cookies

    @property
    def url(self) -> str:
        """The URL the client connected to, with a ``ws``/``wss`` scheme."""
        url = self._request.url
        if url.startswith("http"):
            url = "ws" + url[4:]
        return url

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's ``(host, port)``."""
        return self._request.client

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``), in its
        order; pick one with ``accept(subprotocol=...)``."""
        return self._conn.subprotocols

    @property
    def state(self) -> State:
        """Per-connection attributes (``ws.state.user = ...``)."""
        return self._request.state

    # -- the socket ----------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: Mapping[str, str] | Any = None) -> None:
        """Accepts the handshake (101; 200 over HTTP/2) with ``subprotocol`` chosen and
        ``headers`` (a mapping or ``(name, value)`` pairs) added to the response."""
        items: list[tuple[Any, Any]] = []
        if isinstance(headers, Mapping):
            items = list(headers.items())
        elif headers is not None:
            items = list(headers)
        pairs = [(_text(k), _text(v)) for k, v in items]
        await self._conn.accept(subprotocol, pairs)

    async def _next(self) -> tuple[Any, ...]:
        if self._closed is not None:
            raise WebSocketDisconnect(self._closed.code, self._closed.reason)
        got: tuple[Any, ...] = await self._conn.receive()
        if got[0] == _CLOSED:
            self._closed = WebSocketDisconnect(got[1], got[2])
            raise self._closed
        return got

    async def receive(self) -> dict[str, Any]:
        """The next event as an ASGI message: ``{"type": "websocket.receive",
        "text": ...}`` or ``"bytes"``, or ``{"type": "websocket.disconnect", "code":
        ..., "reason": ...}`` once (then ``WebSocketDisconnect``)."""
        try:
            got = await self._next()
        except WebSocketDisconnect as e:
            return {"type": "websocket.disconnect", "code": e.code, "reason": e.reason}
        key = "text" if got[0] == _TEXT else "bytes"
        return {"type": "websocket.receive", key: got[1]}

    async def receive_text(self) -> str:
        """The next message, which must be text."""
        got = await self._next()
        if got[0] != _TEXT:
            raise TypeError("expected a text message, got a binary one; use receive_bytes()")
        text: str = got[1]
        return text

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary."""
        got = await self._next()
        if got[0] != _BYTES:
            raise TypeError("expected a binary message, got a text one; use receive_text()")
        data: bytes = got[1]
        return data

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message decoded as JSON (sent as text, or binary with
        ``mode="binary"``)."""
        got = await self._next()
        return json.loads(got[1])

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the client closes."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Binary messages until the client closes."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        """JSON messages until the client closes."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        """``async for msg in ws``: each message (``str`` or ``bytes``) until the
        client closes."""
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        try:
            while True:
                got = await self._next()
                yield got[1]
        except WebSocketDisconnect:
            pass

    async def _sent(self, outcome: Any) -> None:
        failed = await outcome
        if failed is not None:
            raise WebSocketDisconnect(failed[0], failed[1])

    async def send_text(self, data: str) -> None:
        """Sends a text message; returns once it is written. Raises
        ``WebSocketDisconnect`` when the connection is closed."""
        await self._sent(self._conn.send_text(data))

    async def send_bytes(self, data: bytes) -> None:
        """Sends a binary message (as ``send_text``)."""
        await self._sent(self._conn.send_bytes(bytes(data)))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Sends ``data`` as JSON, in a text message (or binary with
        ``mode="binary"``)."""
        encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "binary":
            await self.send_bytes(encoded.encode())
        else:
            await self.send_text(encoded)

    async def send(self, message: Mapping[str, Any]) -> None:
        """Sends an ASGI message: ``websocket.accept``, ``websocket.send`` (with
        ``text`` or ``bytes``) or ``websocket.close``."""
        kind = message.get("type")
        if kind == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
        elif kind == "websocket.send":
            if message.get("text") is not None:
                await self.send_text(message["text"])
            else:
                await self.send_bytes(message.get("bytes") or b"")
        elif kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
        else:
            raise ValueError(f"unknown WebSocket message type {kind!r}")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Closes the connection with ``code`` and ``reason``; before ``accept()``,
        refuses the handshake with 403."""
        await self._conn.close(code, reason)

    def __repr__(self) -> str:
        return f"<WebSocket {self.url}>"


def _text(v: Any) -> str:
    return v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else str(v)


def run_handler(handler: Any) -> Any:
    """``handler`` as the coroutine function the engine runs: a
    ``WebSocketDisconnect`` it lets out is the normal end of a connection, not an
    error to log."""

    async def run(*args: Any) -> None:
        try:
            await handler(*args)
        except WebSocketDisconnect:
            pass

    run.__qualname__ = getattr(handler, "__qualname__", "websocket")
    return run
