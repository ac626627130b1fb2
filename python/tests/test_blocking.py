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
    entered, release = threading.Event(), threading.Event()
    app = make_app()

    @app.get("/held", blocking=True)
    def held(req: Request):
        entered.set()
        # Held until the test has had its answer from /fast. Run inline, it would
        # stall the engine and /fast could only be answered after this wait gave up.
        return {"released": release.wait(60)}

    with TestClient(app) as client:
        slow: dict = {}

        def call_held():
            conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=90)
            conn.request("GET", "/held")
            resp = conn.getresponse()
            slow["status"], slow["body"] = resp.status, resp.read()
            conn.close()

        t = threading.Thread(target=call_held)
        t.start()
        assert entered.wait(30), "the blocking handler never started"
        fast = client.get("/fast")
        release.set()
        t.join(90)
        assert fast.status_code == 200
        assert slow["status"] == 200
        assert slow["body"] == b'{"released":true}'
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
