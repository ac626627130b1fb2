"""A sync handler that blocks can opt into the thread pool (``blocking=True``) so the
other connections keep being served meanwhile."""

import http.client
import threading
import time

import pytest

from cello import App, Request
from cello.testing import TestClient


def make_app() -> App:
    app = App()

    @app.get("/block/{seconds}", blocking=True)
    def block(req: Request, seconds: float):
        time.sleep(seconds)
        return {"slept": seconds, "thread": threading.current_thread().name}

    @app.get("/fast")
    def fast(req: Request):
        return {"thread": threading.current_thread().name}

    return app


def test_a_blocking_handler_does_not_stall_other_connections():
    with TestClient(make_app()) as client:
        slow: dict = {}

        def call_slow():
            conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
            conn.request("GET", "/block/0.5")
            resp = conn.getresponse()
            slow["status"], slow["body"] = resp.status, resp.read()
            conn.close()

        t = threading.Thread(target=call_slow)
        t.start()
        time.sleep(0.1)  # the slow request is in its handler now
        started = time.monotonic()
        fast = client.get("/fast")
        took = time.monotonic() - started
        t.join(5)
        assert fast.status_code == 200
        assert took < 0.3, f"/fast waited {took:.2f}s behind the blocking handler"
        assert slow["status"] == 200
        body = client.get("/block/0").json()
        assert body["slept"] == 0
        # It ran on a pool thread, not on the engine's thread.
        assert body["thread"] != fast.json()["thread"]


def test_blocking_is_refused_for_async_handlers():
    app = App()
    with pytest.raises(TypeError, match="blocking=True is for sync handlers"):

        @app.get("/x", blocking=True)
        async def x(req):
            return {}
