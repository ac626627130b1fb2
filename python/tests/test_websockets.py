"""WebSockets through the real engine: the ``websockets`` client end to end, and
``wsproto`` on a raw socket as a strict client for the protocol errors (DESIGN's
bad-input table: invalid UTF-8 → 1007, reserved bits or an unmasked frame → 1002,
a message too big → 1009)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import struct
from typing import Any, Callable

import httpx
import pytest
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage

from conftest import Server

MAX_SIZE = 64 * 1024


@pytest.fixture(scope="module")
def ws_server(start_server: Callable[..., Server]) -> Server:
    return start_server("ws_app.py")


@pytest.fixture(scope="module")
def ws_server_slow_pings(start_server: Callable[..., Server]) -> Server:
    """For a client too busy to answer a ping within 0.5 s: uvicorn's 20 s."""
    return start_server("ws_app.py", "20")


def url(server: Server, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


# -- the websockets client ------------------------------------------------------------


def test_text_and_binary_messages_echo_back_unchanged(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/echo")) as ws:
        for text in ["hello", "", "ünïcødé ✓", "x" * 10_000]:
            ws.send(text)
            assert ws.recv() == text
        for data in [b"\x00\x01\xff", b"", os.urandom(30_000)]:
            ws.send(data)
            assert ws.recv() == data


def test_fragmented_messages_arrive_joined(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/echo")) as ws:
        ws.send(["frag", "ment", "ed ✓"])
        assert ws.recv() == "fragmented ✓"
        ws.send([b"\x01", b"\x02\x03", b""])
        assert ws.recv() == b"\x01\x02\x03"


def test_a_client_ping_gets_a_pong(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/echo")) as ws:
        pong = ws.ping(b"are you there")
        assert pong.wait(10)
        ws.send("still open")
        assert ws.recv() == "still open"


def test_the_server_pings_and_a_client_that_answers_stays_connected(ws_server: Server) -> None:
    # The app pings every 0.5 s; the client's automatic pongs keep it open (and the
    # handler, which does not read meanwhile, is not involved).
    with connect(url(ws_server, "/ws/slow-reader")) as ws:
        assert ws.recv(timeout=30) == "still here"


def test_the_server_closes_with_the_code_and_reason_the_handler_gives(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/close-code")) as ws:
        ws.send("4003 go away")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4003, "go away")


def test_a_handler_that_returns_after_accepting_closes_with_1000(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/proto")) as ws:
        ws.recv()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


def test_the_handler_sees_the_clients_close_code_and_reason_and_a_dropped_connection(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/watched")) as ws:
        ws.send(b"x")
        ws.close(4002, "bye now")
    # A client that vanishes without a close frame.
    sock, _ = raw_client(ws_server, "/ws/watched")
    sock.close()

    def report() -> list[str]:
        with connect(url(ws_server, "/ws/report")) as ws:
            got: list[str] = json.loads(ws.recv())
            return got

    for _ in range(200):
        lines = report()
        if len(lines) >= 4:
            break
        asyncio.run(asyncio.sleep(0.05))
    assert lines == ["4002 bye now", "send 1006", "1006 ", "send 1006"]


def test_subprotocols_are_offered_to_the_handler_and_the_chosen_one_answered(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/proto"), subprotocols=["chat.v1", "chat.v2"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v2"
        assert ws.response.headers["x-welcome"] == "yes"
        assert ws.recv() == "chat.v1,chat.v2"
    with connect(url(ws_server, "/ws/proto")) as ws:
        assert ws.subprotocol is None
        assert ws.recv() == ""


def test_path_query_headers_and_dependencies_reach_the_handler(ws_server: Server) -> None:
    with connect(
        url(ws_server, "/ws/rooms/lobby/7?token=abc&limit=5"), additional_headers={"x-agent": "pytest"}
    ) as ws:
        first = json.loads(ws.recv())
        assert first == {
            "room": "lobby",
            "n": 7,
            "who": "ABC",
            "limit": 5,
            "path_params": {"room": "lobby", "n": 7},
            "query": {"token": "abc", "limit": "5"},
            "agent": "pytest",
            "url": f"ws://127.0.0.1:{ws_server.port}/ws/rooms/lobby/7?token=abc&limit=5",
            "client_is_local": True,
        }
        ws.send(json.dumps({"a": [1, 2]}))
        assert json.loads(ws.recv()) == {"got": {"a": [1, 2]}}
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


def test_a_routers_websocket_route_is_served_under_its_prefixes_and_receive_gives_asgi_messages(
    ws_server: Server,
) -> None:
    with connect(url(ws_server, "/v1/r/bob")) as ws:
        assert ws.recv() == "hello bob"
        ws.send("hi")
        assert json.loads(ws.recv()) == {"type": "websocket.receive", "text": "hi"}


def handshake_status(server: Server, path: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        with connect(url(server, path)):
            pass
    return refused.value.response.status_code


def test_a_dependency_or_parameter_that_fails_refuses_the_handshake_with_its_status(ws_server: Server) -> None:
    assert handshake_status(ws_server, "/ws/rooms/lobby/7?token=bad") == 401
    assert handshake_status(ws_server, "/ws/rooms/lobby/7?limit=many") == 422


def test_a_handler_that_closes_or_returns_before_accepting_refuses_with_403(ws_server: Server) -> None:
    assert handshake_status(ws_server, "/ws/refuse") == 403
    assert handshake_status(ws_server, "/ws/silent") == 403


def test_a_handler_that_raises_gives_500_before_accepting_and_1011_after(ws_server: Server) -> None:
    assert handshake_status(ws_server, "/ws/raise-before") == 500
    with connect(url(ws_server, "/ws/raise-after")) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    assert "boom after accept" in ws_server.log()


def test_a_plain_get_to_a_websocket_route_is_404_and_an_upgrade_to_a_plain_route_is_served(ws_server: Server) -> None:
    base = f"http://127.0.0.1:{ws_server.port}"
    assert httpx.get(base + "/ws/echo").status_code == 404
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    res = httpx.get(base + "/plain", headers=upgrade)
    assert (res.status_code, res.json()) == (200, {"plain": True})


def test_a_thousand_concurrent_connections_each_echo_a_hundred_messages(ws_server_slow_pings: Server) -> None:
    ws_server = ws_server_slow_pings

    async def one(i: int, all_open: asyncio.Event, count: list[int]) -> int:
        async with aconnect(url(ws_server, "/ws/echo"), open_timeout=120, ping_interval=None) as ws:
            count[0] += 1
            if count[0] == 1000:
                all_open.set()
            await all_open.wait()
            echoed = 0
            for j in range(100):
                await ws.send(f"{i}:{j}")
                if await ws.recv() == f"{i}:{j}":
                    echoed += 1
            return echoed

    async def main() -> list[int]:
        all_open = asyncio.Event()
        count = [0]
        return await asyncio.gather(*(one(i, all_open, count) for i in range(1000)))

    results = asyncio.run(main())
    assert results == [100] * 1000


# -- wsproto as a strict client on a raw socket -------------------------------------------


def raw_client(server: Server, path: str) -> tuple[socket.socket, WSConnection]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    conn = WSConnection(ConnectionType.CLIENT)
    sock.sendall(conn.send(Request(host="127.0.0.1", target=path)))
    while True:
        data = sock.recv(65536)
        assert data, "the server closed during the handshake"
        conn.receive_data(data)
        for event in conn.events():
            if isinstance(event, AcceptConnection):
                return sock, conn
            raise AssertionError(f"handshake answered with {event!r}")


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True) -> bytes:
    """One frame as RFC 6455 §5.2 lays it out, built by hand: wsproto will not send
    an invalid one."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_code_after(server: Server, raw: bytes, path: str = "/ws/echo") -> int:
    """Sends `raw` after the handshake; the code of the close frame the server sends."""
    sock, conn = raw_client(server, path)
    with sock:
        sock.sendall(raw)
        while True:
            data = sock.recv(65536)
            assert data, "the server dropped the connection without a close frame"
            conn.receive_data(data)
            for event in conn.events():
                if isinstance(event, CloseConnection):
                    return int(event.code)


def test_invalid_utf8_in_a_text_message_closes_with_1007(ws_server: Server) -> None:
    assert close_code_after(ws_server, frame(0x1, b"ok \xff\xfe")) == 1007


def test_invalid_utf8_split_across_fragments_closes_with_1007(ws_server: Server) -> None:
    raw = frame(0x1, b"abc\xe2", fin=False) + frame(0x0, b"\x28\xa1", fin=True)
    assert close_code_after(ws_server, raw) == 1007


def test_reserved_bits_close_with_1002(ws_server: Server) -> None:
    assert close_code_after(ws_server, frame(0x1, b"hi", rsv=0b100)) == 1002
    assert close_code_after(ws_server, frame(0x2, b"hi", rsv=0b001)) == 1002


def test_an_unmasked_client_frame_closes_with_1002(ws_server: Server) -> None:
    assert close_code_after(ws_server, frame(0x1, b"hi", masked=False)) == 1002


def test_a_message_over_the_size_limit_closes_with_1009(ws_server: Server) -> None:
    assert close_code_after(ws_server, frame(0x2, b"x" * (MAX_SIZE + 1))) == 1009
    # Fragments that add up to too much, too.
    half = b"y" * (MAX_SIZE // 2 + 1)
    assert close_code_after(ws_server, frame(0x2, half, fin=False) + frame(0x0, half)) == 1009


def test_a_message_at_the_size_limit_is_accepted(ws_server: Server) -> None:
    with connect(url(ws_server, "/ws/echo"), max_size=None) as ws:
        ws.send(b"z" * MAX_SIZE)
        assert ws.recv() == b"z" * MAX_SIZE


def test_a_peer_that_never_answers_pings_is_closed_with_1011(ws_server: Server) -> None:
    sock, conn = raw_client(ws_server, "/ws/echo")
    pings = 0
    with sock:
        while True:
            data = sock.recv(65536)
            assert data, "dropped without a close frame"
            conn.receive_data(data)
            for event in conn.events():
                if isinstance(event, Ping):
                    pings += 1  # and no pong
                elif isinstance(event, CloseConnection):
                    assert pings >= 1
                    assert event.code == 1011
                    return


def test_a_text_message_sent_over_a_raw_socket_is_echoed(ws_server: Server) -> None:
    sock, conn = raw_client(ws_server, "/ws/echo")
    with sock:
        sock.sendall(conn.send(TextMessage(data="raw hello")))
        got: list[Any] = []
        while not got:
            conn.receive_data(sock.recv(65536))
            got = [e for e in conn.events() if isinstance(e, TextMessage)]
        assert got[0].data == "raw hello"


def test_sigterm_closes_open_websockets_with_1001_and_the_server_exits(start_server: Callable[..., Server]) -> None:
    server = start_server("ws_app.py", "20")
    with connect(url(server, "/ws/watched")) as ws:
        ws.send(b"x")
        server.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")
    assert server.proc.wait(30) == 0
