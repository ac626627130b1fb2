"""``TestClient`` sends each request once: it reconnects only when the server closed
the kept-alive connection while it was idle, before any byte of the request is sent."""

import select
import socket
import threading

import pytest

from cello import App, Request
from cello.testing import TestClient
from conftest import wait_until


def counting_app(calls: list[bytes]) -> App:
    app = App()

    @app.post("/count")
    def count(req: Request):
        calls.append(req.body)
        return {"calls": len(calls)}

    return app


class DroppingServer:
    """Reads each request it is sent, counts it, and closes the connection without
    an answer the first time (a server that broke after the request reached it);
    later requests are answered 200."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                if len(self.requests) > 1:
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._listener.close()


def test_a_request_whose_connection_breaks_after_sending_raises_and_is_never_sent_twice():
    server = DroppingServer()
    try:
        with TestClient(App()) as client:
            client.port = server.port  # the client under test, against the dropping server
            with pytest.raises(ConnectionError):
                client.post("/count", content=b"once")
    finally:
        server.close()
    assert len(server.requests) == 1, server.requests


def test_a_kept_connection_the_server_closed_while_idle_is_replaced_before_sending():
    calls: list[bytes] = []
    with TestClient(counting_app(calls), keep_alive_timeout=0.2) as client:
        assert client.post("/count", content=b"first").json() == {"calls": 1}
        kept = client._conn
        assert kept is not None and kept.sock is not None

        def server_closed_it() -> bool:
            return bool(select.select([kept.sock], [], [], 0)[0])

        assert wait_until(server_closed_it, timeout=30), "the idle connection was never closed"
        assert client.post("/count", content=b"second").json() == {"calls": 2}
        assert client._conn is not kept
    assert calls == [b"first", b"second"]


def test_requests_share_one_connection_while_the_server_keeps_it_open():
    calls: list[bytes] = []
    with TestClient(counting_app(calls)) as client:
        client.post("/count", content=b"a")
        kept = client._conn
        client.post("/count", content=b"b")
        assert client._conn is kept
    assert calls == [b"a", b"b"]
