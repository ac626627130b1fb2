"""Constant routes: `app.const(path, value)` answers from Rust with no Python call."""

from __future__ import annotations

import threading
import time

import pytest

from cello import App, Response, Router
from cello.testing import TestClient


def test_a_const_route_answers_every_request_with_its_fixed_response():
    app = App()
    app.const("/health", "ok")
    app.const("/info", {"version": 1})
    app.const("/teapot", Response.text("short and stout", status=418, headers={"x-kind": "teapot"}))
    with TestClient(app) as client:
        results = [client.get("/health") for _ in range(5)]
        info = client.get("/info")
        teapot = client.get("/teapot")
        head = client.request("HEAD", "/health")
        wrong = client.post("/health")
    assert all(r.status_code == 200 and r.text == "ok" for r in results)
    assert results[0].headers["content-type"].startswith("text/plain")
    assert info.json() == {"version": 1}
    assert (teapot.status_code, teapot.text, teapot.headers["x-kind"]) == (418, "short and stout", "teapot")
    assert head.status_code == 200 and head.content == b""
    assert wrong.status_code == 405


def test_a_const_route_runs_no_python_code_on_the_engine_thread():
    """A profiler on the engine's thread sees every Python call it makes: none for
    const requests, the handler's for a Python route (so the probe can see)."""
    app = App()
    app.const("/health", "ok")

    @app.get("/hello")
    def hello():
        return "hello"

    seen: list[str] = []

    def profile(frame, event, arg):  # noqa: ARG001
        if event == "call":
            seen.append(frame.f_code.co_name)

    threading.setprofile(profile)  # threads started from now on: the engine's
    try:
        with TestClient(app) as client:
            client.get("/hello")
            client.get("/health")  # warm
            time.sleep(0.2)  # let the loop's startup callbacks run
            seen.clear()
            const_answers = [client.get("/health").text for _ in range(20)]
            during_const = list(seen)
            seen.clear()
            handler_answers = [client.get("/hello").text for _ in range(20)]
            during_handler = list(seen)
    finally:
        threading.setprofile(None)
    assert const_answers == ["ok"] * 20 and handler_answers == ["hello"] * 20
    assert during_const == [], during_const
    assert during_handler.count("hello") == 20


def test_const_routes_come_with_an_included_router_under_its_prefix():
    api = Router("/api")
    api.const("/ping", "pong")
    app = App()
    app.include_router(api)
    with TestClient(app) as client:
        assert client.get("/api/ping").text == "pong"


def test_a_value_no_handler_could_return_is_refused_at_startup():
    app = App()
    app.const("/bad", object())
    with pytest.raises(TypeError, match="constant route"):
        app._engine()
