"""Slow and stalled clients against the real engine: a request body that stops
arriving gets 408 and never locks other clients out, and a request sent just as the
server shuts down is answered, not dropped."""

from __future__ import annotations

import socket
import time

from cello import App, Request
from cello.testing import TestClient

BODY_TIMEOUT = 1.0


def make_app() -> App:
    app = App()

    @app.post("/echo")
    async def echo(req: Request) -> bytes:
        return req.body

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    return app


def read_until_close(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_stalled_body_gets_408_naming_the_setting_and_the_connection_closes():
    with TestClient(make_app(), body_timeout=0.3) as client:
        with socket.create_connection(("127.0.0.1", client.port), timeout=10) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
            raw = read_until_close(sock)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), raw
    assert b"connection: close" in head.lower()
    assert b"body_timeout" in body


def test_twenty_stalled_bodies_at_a_cap_of_twenty_never_lock_out_the_next_client():
    with TestClient(make_app(), max_connections=20, body_timeout=BODY_TIMEOUT) as client:
        stalled = []
        try:
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", client.port), timeout=10)
                s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
                stalled.append(s)
            time.sleep(0.1)
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", client.port), timeout=BODY_TIMEOUT + 1.0) as s:
                s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = read_until_close(s)
            waited = time.monotonic() - started
        finally:
            for s in stalled:
                s.close()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"hello"), answer
    # It had to wait for the stalled ones to time out: the cap was really reached.
    assert waited >= BODY_TIMEOUT / 2


def test_each_stalled_client_is_told_408():
    with TestClient(make_app(), body_timeout=0.3) as client:
        socks = [socket.create_connection(("127.0.0.1", client.port), timeout=10) for _ in range(5)]
        for s in socks:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        answers = [read_until_close(s) for s in socks]
        for s in socks:
            s.close()
        # The server is still fine afterwards.
        assert client.get("/hello").text == "hello"
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers


def test_an_http2_stream_whose_body_never_comes_gets_408_and_the_connection_stays_usable():
    import h2.config
    import h2.connection
    import h2.events

    with TestClient(make_app(), body_timeout=0.3) as client:
        with socket.create_connection(("127.0.0.1", client.port), timeout=10) as sock:
            conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
            conn.initiate_connection()
            stalled = conn.get_next_available_stream_id()
            # HEADERS that promise 100 bytes, and no DATA at all.
            conn.send_headers(
                stalled,
                [(":method", "POST"), (":scheme", "http"), (":authority", "x"), (":path", "/echo"), ("content-length", "100")],
            )
            sock.sendall(conn.data_to_send())
            statuses: dict[int, int] = {}
            bodies: dict[int, bytes] = {}
            asked_hello = False
            while len(statuses) < 2 or not all(s in bodies for s in statuses):
                data = sock.recv(65536)
                assert data, "the server closed the connection"
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        statuses[event.stream_id] = int(dict(event.headers)[b":status"])
                    elif isinstance(event, h2.events.DataReceived):
                        bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        bodies.setdefault(event.stream_id, b"")
                if stalled in statuses and not asked_hello:
                    # The same connection still serves a new stream.
                    hello = conn.get_next_available_stream_id()
                    conn.send_headers(
                        hello,
                        [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/hello")],
                        end_stream=True,
                    )
                    asked_hello = True
                sock.sendall(conn.data_to_send())
    assert statuses[stalled] == 408
    assert b"body_timeout" in bodies[stalled]
    assert statuses[hello] == 200 and bodies[hello] == b"hello"
