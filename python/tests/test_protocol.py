"""HTTP/1.1 as a strict client sees it: h11 checks every byte the server sends.
Keep-alive and pipelining over one real connection to the subprocess server."""

from __future__ import annotations

import socket

import h11


def _events_until_end(conn: h11.Connection, sock: socket.socket) -> list:
    """Reads until h11 has one complete response (EndOfMessage)."""
    events = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
            continue
        events.append(event)
        if isinstance(event, h11.EndOfMessage):
            return events


def _request(target: str, method: str = "GET", body: bytes = b"") -> list:
    headers = [("Host", "127.0.0.1")]
    if body:
        headers.append(("Content-Length", str(len(body))))
    return [h11.Request(method=method, target=target, headers=headers), h11.Data(data=body), h11.EndOfMessage()]


def _send(conn: h11.Connection, events: list) -> bytes:
    return b"".join(conn.send(e) or b"" for e in events if not (isinstance(e, h11.Data) and not e.data))


def test_keep_alive_serves_several_requests_on_one_connection(main_server):
    with socket.create_connection(("127.0.0.1", main_server.port), timeout=10) as sock:
        conn = h11.Connection(h11.CLIENT)
        for path, expected in [("/sync", b'{"kind":"sync"}'), ("/async", b'{"kind":"async"}'), ("/async-suspend", b"suspended")]:
            sock.sendall(_send(conn, _request(path)))
            events = _events_until_end(conn, sock)
            response = events[0]
            assert response.status_code == 200
            headers = dict(response.headers)
            assert headers[b"content-type"] == b"application/json"
            assert b"date" in headers and headers[b"server"] == b"cello"
            assert int(headers[b"content-length"]) == sum(len(e.data) for e in events if isinstance(e, h11.Data))
            assert expected in b"".join(e.data for e in events if isinstance(e, h11.Data))
            assert conn.our_state is h11.DONE and conn.their_state is h11.DONE
            conn.start_next_cycle()


def test_pipelined_requests_are_answered_in_order(main_server):
    with socket.create_connection(("127.0.0.1", main_server.port), timeout=10) as sock:
        paths = ["/async-suspend", "/sync", "/users/7", "/async"]
        raw = b"".join(
            f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths
        ) + b'POST /body-bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello'
        sock.sendall(raw)  # all five before reading anything
        conn = h11.Connection(h11.CLIENT)
        bodies = []
        for p in paths + ["/body-bytes"]:
            # h11 parses responses only for requests it sent; send the same one so
            # its state machine follows (the bytes were already written above).
            conn.send(h11.Request(method="POST" if p == "/body-bytes" else "GET", target=p, headers=[("Host", "127.0.0.1")] + ([("Content-Length", "5")] if p == "/body-bytes" else [])))
            if p == "/body-bytes":
                conn.send(h11.Data(data=b"hello"))
            conn.send(h11.EndOfMessage())
            events = _events_until_end(conn, sock)
            assert events[0].status_code == 200, (p, events[0])
            bodies.append(b"".join(e.data for e in events if isinstance(e, h11.Data)))
            conn.start_next_cycle()
        assert b"suspended" in bodies[0]
        assert bodies[1] == b'{"kind":"sync"}'
        assert b'"user_id":7' in bodies[2]
        assert bodies[3] == b'{"kind":"async"}'
        assert bodies[4] == b"hello"
