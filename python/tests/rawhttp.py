"""A raw-socket HTTP/1.x client for tests that need to send or see exact bytes:
malformed requests, non-UTF-8 header values, the status line as written."""

from __future__ import annotations

import socket
from typing import Any
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    """One response as the server wrote it."""

    status_line: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def status(self) -> int:
        return int(self.status_line.split(b" ")[1])

    def header(self, name: str) -> bytes | None:
        values = [v for k, v in self.headers if k.lower() == name.lower().encode()]
        return values[0] if values else None


def port_of(base_url: str) -> int:
    port = urlsplit(base_url).port
    assert port is not None, base_url
    return port


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket, buf: bytearray) -> RawResponse:
    """Reads one response (Content-Length framed, or none for a bodiless one) from
    `sock`; bytes past it stay in `buf` for the next call."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        assert data, f"server closed before a whole response head: {bytes(buf)!r}"
        buf += data
    head, _, _ = bytes(buf).partition(b"\r\n\r\n")
    del buf[: len(head) + 4]
    status_line, *lines = head.split(b"\r\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(b":") for line in lines)]
    length = next((int(v) for k, v in headers if k.lower() == b"content-length"), 0)
    while len(buf) < length:
        data = sock.recv(65536)
        assert data, "server closed mid-body"
        buf += data
    body = bytes(buf[:length])
    del buf[:length]
    return RawResponse(status_line, headers, body)


def exchange(port: int, raw: bytes) -> tuple[RawResponse, bytes]:
    """Sends `raw`, reads one response, then reads on until the server closes the
    connection; returns the response and whatever came after it."""
    with connect(port) as sock:
        sock.sendall(raw)
        buf = bytearray()
        response = read_response(sock, buf)
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            buf += data
        return response, bytes(buf)


def h11_exchange(port: int, method: str, target: str, body: bytes = b"") -> tuple[Any, bytes, int]:
    """One request with h11 (a strict client: it checks the framing byte by byte)
    over a raw socket: the response (not followed), its body, and how many pieces
    (chunks, or reads of a sized body) the body came in."""
    import h11

    conn = h11.Connection(h11.CLIENT)
    headers = [("host", "example.test"), ("content-length", str(len(body)))]
    with connect(port) as sock:
        sock.sendall(conn.send(h11.Request(method=method, target=target, headers=headers)))
        sock.sendall(conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))
        response, payload, pieces = None, b"", 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                payload += event.data
                pieces += 1
            elif isinstance(event, h11.EndOfMessage):
                break
    assert response is not None
    return response, payload, pieces
