"""WebSockets over HTTP/2 (RFC 8441): an ``h2`` client sends an extended CONNECT
(``:protocol: websocket``) over h2c prior knowledge and over TLS with ALPN h2, then
WebSocket frames (built and parsed by ``wsproto``'s frame layer) in DATA frames. The
same ``@app.websocket`` routes answer as over HTTP/1.1."""

from __future__ import annotations

import json
import socket
import ssl
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    DataReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
)
from h2.settings import SettingCodes
from wsproto.frame_protocol import FrameProtocol, Opcode

from conftest import Server
from test_tls import Files, Served, tls_flags


@pytest.fixture(scope="module")
def ws_server(start_server: Callable[..., Server]) -> Server:
    # Pings every 20 s: this client answers them, but need not hurry.
    return start_server("ws_app.py", "20")


class H2:
    """One HTTP/2 connection: waits for the server's SETTINGS, then keeps each stream's
    events apart."""

    def __init__(self, sock: socket.socket, scheme: str, authority: str) -> None:
        self.sock = sock
        self.scheme = scheme
        self.authority = authority
        self.conn = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.streams: dict[int, list[Any]] = {}
        self.settings: dict[int, int] = {}
        while not self.settings:
            self.pump()

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def pump(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        for ev in self.conn.receive_data(data):
            if isinstance(ev, RemoteSettingsChanged):
                self.settings.update({int(k): v.new_value for k, v in ev.changed_settings.items()})
            elif isinstance(ev, DataReceived):
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                self.streams.setdefault(ev.stream_id, []).append(ev)
            elif isinstance(ev, (ResponseReceived, StreamEnded, StreamReset)):
                self.streams.setdefault(ev.stream_id, []).append(ev)
        self.flush()

    def next_event(self, stream_id: int) -> Any:
        while not self.streams.get(stream_id):
            self.pump()
        return self.streams[stream_id].pop(0)

    def request(self, method: str, path: str, extra: list[tuple[str, str]]) -> tuple[int, int, dict[str, str]]:
        """Sends the headers; returns (stream id, status, response headers)."""
        sid = self.conn.get_next_available_stream_id()
        headers = [
            (":method", method),
            *([(":protocol", "websocket")] if method == "CONNECT" else []),
            (":scheme", self.scheme),
            (":path", path),
            (":authority", self.authority),
            *extra,
        ]
        self.conn.send_headers(sid, headers, end_stream=method != "CONNECT")
        self.flush()
        ev = self.next_event(sid)
        assert isinstance(ev, ResponseReceived), ev
        got = dict(ev.headers)
        return sid, int(got.pop(":status")), got

    def websocket(self, path: str, extra: list[tuple[str, str]] | None = None) -> tuple[WS, dict[str, str]]:
        sid, status, headers = self.request("CONNECT", path, [("sec-websocket-version", "13"), *(extra or [])])
        assert status == 200, (status, headers)
        return WS(self, sid), headers


class WS:
    """A WebSocket on one HTTP/2 stream: masked client frames out, whole messages in."""

    def __init__(self, h2: H2, stream_id: int) -> None:
        self.h2 = h2
        self.sid = stream_id
        self.frames = FrameProtocol(client=True, extensions=[])

    def _send(self, data: bytes) -> None:
        # In DATA frames no larger than the server allows, as its window opens.
        conn = self.h2.conn
        while data:
            room = min(conn.local_flow_control_window(self.sid), conn.max_outbound_frame_size)
            if room == 0:
                self.h2.pump()
                continue
            conn.send_data(self.sid, data[:room])
            data = data[room:]
            self.h2.flush()

    def send(self, msg: str | bytes) -> None:
        self._send(self.frames.send_data(msg))

    def close(self, code: int, reason: str) -> None:
        self._send(self.frames.close(code, reason))

    def recv(self) -> Any:
        """The next message (str or bytes), or ("close", code, reason)."""
        parts: list[Any] = []
        while True:
            for frame in self.frames.received_frames():
                if frame.opcode == Opcode.PING:
                    self._send(self.frames.pong(frame.payload))
                elif frame.opcode == Opcode.CLOSE:
                    code, reason = frame.payload
                    return ("close", int(code), reason)
                elif frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION):
                    parts.append(frame.payload)
                    if frame.message_finished:
                        return "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
            ev = self.h2.next_event(self.sid)
            if isinstance(ev, DataReceived):
                self.frames.receive_bytes(ev.data)
            else:
                raise ConnectionError(f"the stream ended: {ev}")


@pytest.fixture
def h2c(ws_server: Server) -> Iterator[H2]:
    sock = socket.create_connection(("127.0.0.1", ws_server.port), timeout=30)
    try:
        yield H2(sock, "http", f"127.0.0.1:{ws_server.port}")
    finally:
        sock.close()


def test_the_server_settings_enable_the_extended_connect_protocol(h2c: H2) -> None:
    assert h2c.settings.get(SettingCodes.ENABLE_CONNECT_PROTOCOL) == 1


def test_text_and_binary_messages_echo_back_over_an_h2c_stream(h2c: H2) -> None:
    ws, headers = h2c.websocket("/ws/echo")
    assert "sec-websocket-accept" not in headers
    for msg in ["hello", "", "ünïcødé ✓", "x" * 60_000, b"\x00\x01\xff", b"", bytes(range(256)) * 200]:
        ws.send(msg)
        assert ws.recv() == msg


def test_a_message_over_the_size_limit_closes_with_1009_over_h2(h2c: H2) -> None:
    ws, _ = h2c.websocket("/ws/echo")
    ws.send(b"x" * (64 * 1024 + 1))
    assert ws.recv() == ("close", 1009, "message too big")


def test_two_websockets_and_a_plain_request_share_one_connection(h2c: H2) -> None:
    a, _ = h2c.websocket("/ws/echo")
    b, _ = h2c.websocket("/v1/r/bob")
    assert b.recv() == "hello bob"
    a.send("first")
    sid, status, _ = h2c.request("GET", "/plain", [])
    assert status == 200
    assert a.recv() == "first"
    b.send("second")
    assert json.loads(b.recv()) == {"type": "websocket.receive", "text": "second"}


def test_the_handler_sees_the_close_code_sent_over_h2(h2c: H2) -> None:
    ws, _ = h2c.websocket("/ws/watched")
    ws.send(b"x")
    ws.close(4003, "bye over h2")
    assert ws.recv() == ("close", 4003, "bye over h2")
    lines: list[str] = []
    for _ in range(200):
        report, _ = h2c.websocket("/ws/report")
        lines = json.loads(report.recv())
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    assert lines[:2] == ["4003 bye over h2", "send 1006"]


def test_the_server_close_code_reaches_the_client_over_h2(h2c: H2) -> None:
    ws, _ = h2c.websocket("/ws/close-code")
    ws.send("4321 enough")
    assert ws.recv() == ("close", 4321, "enough")


def test_subprotocols_are_offered_and_the_chosen_one_answered_with_200(h2c: H2) -> None:
    ws, headers = h2c.websocket("/ws/proto", [("sec-websocket-protocol", "chat.v1, chat.v2")])
    assert headers["sec-websocket-protocol"] == "chat.v2"
    assert headers["x-welcome"] == "yes"
    assert ws.recv() == "chat.v1,chat.v2"


def test_a_refused_handshake_is_403_over_h2(h2c: H2) -> None:
    sid, status, _ = h2c.request("CONNECT", "/ws/refuse", [("sec-websocket-version", "13")])
    assert status == 403


def test_a_connect_without_version_13_is_404_as_a_plain_request(h2c: H2) -> None:
    sid, status, _ = h2c.request("CONNECT", "/ws/echo", [("sec-websocket-version", "8")])
    assert status == 404


def test_a_connect_to_an_http_route_is_405_and_to_no_route_404(h2c: H2) -> None:
    _, status, headers = h2c.request("CONNECT", "/plain", [("sec-websocket-version", "13")])
    assert status == 405
    assert "CONNECT" not in headers["allow"]
    _, status, _ = h2c.request("CONNECT", "/nowhere", [("sec-websocket-version", "13")])
    assert status == 404


def test_a_plain_http2_get_to_a_websocket_route_is_404(h2c: H2) -> None:
    _, status, _ = h2c.request("GET", "/ws/echo", [])
    assert status == 404


def test_the_websocket_still_works_after_a_failed_connect_on_the_connection(h2c: H2) -> None:
    h2c.request("CONNECT", "/nowhere", [("sec-websocket-version", "13")])
    ws, _ = h2c.websocket("/ws/echo")
    ws.send("after")
    assert ws.recv() == "after"


# -- over TLS, ALPN h2 ------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Served, Files]]:
    files = Files(tmp_path)
    s = Served(tls_flags(files), tmp_path / "serve.log", ssl.create_default_context())
    try:
        yield s, files
    finally:
        s.stop()


def test_a_websocket_echoes_over_tls_with_alpn_h2(tls_server: tuple[Served, Files]) -> None:
    served, files = tls_server
    ctx = files.context()
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        assert sock.selected_alpn_protocol() == "h2"
        h2 = H2(sock, "https", f"127.0.0.1:{served.port}")
        assert h2.settings.get(SettingCodes.ENABLE_CONNECT_PROTOCOL) == 1
        ws, _ = h2.websocket("/ws/echo")
        ws.send("over tls")
        assert ws.recv() == "over tls"
        ws.send(b"bytes over tls")
        assert ws.recv() == "bytes over tls"
        ws.close(1000, "")
        assert ws.recv() == ("close", 1000, "")
