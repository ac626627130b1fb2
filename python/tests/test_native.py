"""Native handlers: `app.native(path, capsule)` serves a Rust function from another
extension module (examples/native-handler, built and installed by `cargo xtask build`)
with no Python call per request."""

from __future__ import annotations

import datetime
import logging
import threading
import time

import cello_native_example as native
import pytest

from cello import App, Router
from cello.testing import TestClient


def test_a_native_handler_answers_json_with_its_headers():
    app = App()
    app.native("/json", native.json)
    with TestClient(app) as client:
        res = client.get("/json")
        head = client.request("HEAD", "/json")
        wrong = client.post("/json")
    assert res.status_code == 200
    assert res.content == b'{"message":"Hello, World!"}'
    assert res.headers["content-type"] == "application/json"
    assert res.headers["content-length"] == "27"
    assert res.headers["server"] == "cello"
    assert head.status_code == 200 and head.content == b""
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"


def test_a_native_handler_reads_params_query_headers_and_body():
    app = App()
    app.native("/echo/{name}", native.echo, methods=["GET", "POST"])
    app.native("/num/{name:int}", native.echo)
    with TestClient(app) as client:
        got = client.get("/echo/J%C3%BCrgen?a=1&b=%20", headers={"user-agent": "probe/1"})
        posted = client.post("/echo/x?status=201", content=b"hello", headers={"user-agent": "probe/2"})
        typed = client.get("/num/+7")
        not_int = client.get("/num/seven")
    assert got.status_code == 200
    assert got.headers["x-native"] == "yes"
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert got.text == "method=GET name=Jürgen query=a=1&b=%20 agent=probe/1 body=0"
    assert posted.status_code == 201
    assert posted.text == "method=POST name=x query=status=201 agent=probe/2 body=5"
    # A typed parameter comes converted, as text: `+7` is the integer 7.
    assert typed.text.startswith("method=GET name=7 ")
    assert not_int.status_code == 422


def test_a_panicking_native_handler_answers_500_and_the_worker_keeps_serving(caplog):
    app = App()
    app.native("/json", native.json)
    app.native("/panics", native.panics)
    with caplog.at_level(logging.ERROR, logger="cello"), TestClient(app) as client:
        first = client.get("/panics")
        after = [client.get("/json").status_code for _ in range(3)]
        again = client.get("/panics")
    assert first.status_code == 500 and again.status_code == 500
    assert first.json() == {"detail": "Internal Server Error"}
    assert b"never sent" not in first.content
    assert after == [200, 200, 200]
    assert "native handler for GET /panics panicked; answered 500" in caplog.text


def test_a_header_with_a_line_break_is_never_sent(caplog):
    app = App()
    app.native("/bad", native.bad_header)
    with caplog.at_level(logging.ERROR, logger="cello"), TestClient(app) as client:
        res = client.get("/bad")
    assert res.status_code == 500
    assert "x-injected" not in res.headers and "x-bad" not in res.headers
    assert "native handler for GET /bad set an invalid header name or value" in caplog.text


def test_a_native_route_runs_no_python_code_on_the_engine_thread():
    """As for const routes: a profiler on the engine's thread sees every Python call."""
    app = App()
    app.native("/json", native.json)

    @app.get("/hello")
    def hello():
        return "hello"

    seen: list[str] = []

    def profile(frame, event, arg):  # noqa: ARG001
        if event == "call":
            seen.append(frame.f_code.co_name)

    threading.setprofile(profile)
    try:
        with TestClient(app) as client:
            client.get("/hello")
            client.get("/json")
            time.sleep(0.2)  # let the loop's startup callbacks run
            seen.clear()
            native_answers = [client.get("/json").status_code for _ in range(20)]
            during_native = list(seen)
            seen.clear()
            [client.get("/hello") for _ in range(5)]
            during_handler = list(seen)
    finally:
        threading.setprofile(None)
    assert native_answers == [200] * 20
    assert during_native == [], during_native
    assert during_handler.count("hello") == 5


def test_native_routes_come_with_an_included_router_under_its_prefix():
    api = Router("/api")
    api.native("/json", native.json)
    app = App()
    app.include_router(api, prefix="/v1")
    with TestClient(app) as client:
        assert client.get("/v1/api/json").json() == {"message": "Hello, World!"}


def test_an_object_that_is_not_a_capsule_is_refused_naming_the_route():
    app = App()
    with pytest.raises(TypeError, match=r"native route GET /fast: expected a capsule named 'cello\.native\.v1'.*got a function"):
        app.native("/fast", lambda req: "hi")


def test_a_capsule_with_another_name_is_refused_naming_it():
    app = App()
    with pytest.raises(TypeError, match=r"native route GET /dt: .*got a capsule named 'datetime\.datetime_CAPI'"):
        app.native("/dt", datetime.datetime_CAPI)  # type: ignore[attr-defined]


def test_a_capsule_of_another_abi_version_is_refused():
    app = App()
    with pytest.raises(ValueError, match=r"native route POST /old: the handler was built for cello-native ABI 999, this Cello speaks ABI 1"):
        app.native("/old", native.wrong_abi, methods=["post"])


def test_a_native_route_that_conflicts_is_refused_at_startup():
    app = App()
    app.const("/json", "taken")
    app.native("/json", native.json)
    with pytest.raises(ValueError, match="/json"):
        app._engine()


def test_a_body_over_the_limit_is_413_before_the_native_handler_runs():
    app = App()
    app.native("/echo/{name}", native.echo, methods=["POST"])
    with TestClient(app, max_body_size=16) as client:
        small = client.post("/echo/a", content=b"x" * 16)
        big = client.post("/echo/a", content=b"x" * 17)
    assert small.status_code == 200 and small.text.endswith("body=16")
    assert big.status_code == 413
