"""``TestClient`` behaves as FastAPI's (an httpx client: made at module level, used
without ``with``, following redirects, ``Host: testserver``, ``user-agent:
testclient``, cookies kept) while serving the app through the real engine; it sends
each request once and reconnects only when the server closed the kept-alive
connection while it was idle, before any byte of the request is sent."""

import gc
import select
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from cello import App, HTTPException, Request, Response
from cello.testing import TestClient
from conftest import wait_until


def counting_app(calls: list[bytes]) -> App:
    app = App()

    @app.post("/count")
    def count(req: Request):
        calls.append(req.body)
        client = req.client
        return {"calls": len(calls), "port": client[1] if client else None}

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
            client._engine_transport.port = server.port  # the client under test, against the dropping server
            with pytest.raises(httpx.RemoteProtocolError):
                client.post("/count", content=b"once")
    finally:
        server.close()
    assert len(server.requests) == 1, server.requests


def _kept_socket(client: TestClient) -> socket.socket:
    (conn,) = client._engine_transport._http._pool.connections
    return conn._connection._network_stream.get_extra_info("socket")


def test_a_kept_connection_the_server_closed_while_idle_is_replaced_before_sending():
    calls: list[bytes] = []
    with TestClient(counting_app(calls), keep_alive_timeout=0.2) as client:
        first = client.post("/count", content=b"first").json()
        assert first["calls"] == 1
        kept = _kept_socket(client)

        def server_closed_it() -> bool:
            return bool(select.select([kept], [], [], 0)[0])

        assert wait_until(server_closed_it, timeout=30), "the idle connection was never closed"
        second = client.post("/count", content=b"second").json()
        assert second["calls"] == 2
        assert second["port"] != first["port"], "a new connection"
    assert calls == [b"first", b"second"]


def test_requests_share_one_connection_while_the_server_keeps_it_open():
    calls: list[bytes] = []
    with TestClient(counting_app(calls)) as client:
        a = client.post("/count", content=b"a").json()
        b = client.post("/count", content=b"b").json()
    assert a["port"] == b["port"]
    assert calls == [b"a", b"b"]


def lifecycle_app(events: list[str]) -> App:
    app = App()

    @app.on_startup
    def started():
        events.append("startup")

    @app.on_shutdown
    def stopped():
        events.append("shutdown")

    @app.get("/ping")
    def ping(req):
        return "pong"

    return app


def test_a_client_starts_the_server_on_its_first_request_and_stops_it_at_close():
    events: list[str] = []
    client = TestClient(lifecycle_app(events))
    assert events == [], "nothing runs before the first request"
    assert client.get("/ping").text == "pong"
    assert events == ["startup"]
    client.close()
    assert events == ["startup", "shutdown"]


def test_with_runs_startup_at_entry_and_shutdown_at_exit_and_the_client_can_start_again():
    events: list[str] = []
    client = TestClient(lifecycle_app(events))
    with client:
        assert events == ["startup"]
        assert client.get("/ping").status_code == 200
    assert events == ["startup", "shutdown"]
    assert client.get("/ping").text == "pong"
    assert events == ["startup", "shutdown", "startup"]
    client.close()
    assert events == ["startup", "shutdown", "startup", "shutdown"]


def test_a_client_dropped_without_close_stops_its_server():
    events: list[str] = []
    client = TestClient(lifecycle_app(events))
    port = client.port
    del client
    gc.collect()
    assert events == ["startup", "shutdown"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def echo_app() -> App:
    app = App()

    @app.get("/echo")
    def echo(req: Request):
        return {
            "host": req.headers.get("host"),
            "user_agent": req.headers.get("user-agent"),
            "x_token": req.headers.get("x-token"),
            "cookie": req.headers.get("cookie"),
            "query": req.query_string,
        }

    @app.get("/login")
    def login(req: Request):
        res = Response("ok")
        res.set_cookie("session", "abc")
        return res

    @app.get("/old")
    def old(req: Request):
        return Response.redirect("/echo?from=old")

    @app.get("/teapot")
    def teapot(req: Request):
        raise HTTPException(418, "short and stout", headers={"x-tea": "earl grey"})

    return app


client = TestClient(echo_app())  # at module level, as FastAPI tests make theirs


def test_a_module_level_client_sends_host_testserver_and_user_agent_testclient():
    body = client.get("/echo").json()
    assert body["host"] == "testserver"
    assert body["user_agent"] == "testclient"


def test_redirects_are_followed_unless_turned_off_per_request():
    followed = client.get("/old")
    assert followed.status_code == 200
    assert followed.json()["query"] == "from=old"
    assert [r.status_code for r in followed.history] == [307]
    assert str(followed.url) == "http://testserver/echo?from=old"
    kept = client.get("/old", follow_redirects=False)
    assert kept.status_code == 307
    assert kept.headers["location"] == "/echo?from=old"


def test_a_client_made_with_follow_redirects_false_returns_the_redirect():
    with TestClient(echo_app(), follow_redirects=False) as c:
        assert c.get("/old").status_code == 307


def test_default_headers_params_and_cookies_are_sent():
    with TestClient(echo_app(), headers={"x-token": "t1"}, cookies={"theme": "dark"}) as c:
        body = c.get("/echo", params={"q": "a b", "n": 2}).json()
    assert body["x_token"] == "t1"
    assert body["cookie"] == "theme=dark"
    assert body["query"] == "q=a+b&n=2"


def test_set_cookie_updates_client_cookies_and_they_are_sent_back():
    with TestClient(echo_app()) as c:
        assert c.get("/login").status_code == 200
        assert c.cookies.get("session") == "abc"
        assert c.get("/echo").json()["cookie"] == "session=abc"


def test_an_http_exception_keeps_its_status_detail_and_headers():
    r = client.get("/teapot")
    assert r.status_code == 418
    assert r.json() == {"detail": "short and stout"}
    assert r.headers["x-tea"] == "earl grey"


class Overheated(Exception):
    pass


def failing_app() -> App:
    app = App()

    @app.get("/boom")
    async def boom():
        raise Overheated("the kettle")

    @app.get("/fine")
    def fine():
        return "fine"

    return app


def test_a_handlers_exception_is_raised_in_the_test_with_its_traceback_as_fastapis_client_does():
    with TestClient(failing_app()) as c:
        with pytest.raises(Overheated, match="the kettle") as raised:
            c.get("/boom")
        assert any(entry.name == "boom" for entry in raised.traceback)
        # The server kept serving, and the next request raises nothing.
        assert c.get("/fine").text == "fine"


def test_raise_server_exceptions_false_gives_the_500_the_engine_answered():
    with TestClient(failing_app(), raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500
        assert r.json() == {"detail": "Internal Server Error"}


def test_an_exception_from_a_raw_socket_request_is_not_raised_by_a_later_client_request():
    with TestClient(failing_app()) as c:
        assert httpx.get(f"{c.server_url}/boom").status_code == 500
        assert c.get("/fine").text == "fine"


_WEBSOCKET_THEN_COLLECT = """
import gc
from cello import App, WebSocket
from cello.testing import TestClient
from websockets.sync.client import connect

app = App()

@app.websocket("/ws")
async def echo(ws: WebSocket):
    await ws.accept()
    async for msg in ws:
        await ws.send_text(msg)

with TestClient(app) as client:
    with connect(f"ws://127.0.0.1:{client.port}/ws") as ws:
        ws.send("hi")
        assert ws.recv() == "hi"
gc.collect()
print("collected")
"""


def test_a_websocket_served_by_a_client_leaves_nothing_to_free_on_the_main_thread(tmp_path):
    # The native side of a WebSocket may only be freed on its server's thread; a
    # collection on the main thread after the client stopped found it there before.
    script = tmp_path / "ws_then_collect.py"
    script.write_text(_WEBSOCKET_THEN_COLLECT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "collected"
    assert "unsendable" not in run.stderr
