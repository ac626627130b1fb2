"""``@app.middleware`` / ``@router.middleware``: Python around the handlers of the
routes it applies to, through the real engine (``TestClient``)."""

from __future__ import annotations

import asyncio

import pytest
from conftest import wait_until

from cello import App, HTTPException, Request, Response, Router
from cello.middleware import RequestId
from cello.testing import TestClient


def test_async_middleware_sees_the_handlers_response_as_a_response_and_may_change_it():
    app = App()
    seen: list[tuple[int, str | None, bytes]] = []

    @app.middleware
    async def tag(req, call_next):
        response = await call_next(req)
        seen.append((response.status, response.content_type, response.body))
        response.add_header("x-tag", "tagged")
        return response

    @app.get("/sync")
    def sync_handler(req):
        return {"kind": "sync"}

    @app.get("/async/{n:int}")
    async def async_handler(n: int):
        await asyncio.sleep(0.001)
        return {"n": n}, 201

    with TestClient(app) as client:
        r = client.get("/sync")
        assert r.status_code == 200 and r.json() == {"kind": "sync"}
        assert r.headers["x-tag"] == "tagged"
        assert r.headers["content-type"] == "application/json"
        r = client.get("/async/7")
        assert r.status_code == 201 and r.json() == {"n": 7}
        assert r.headers["x-tag"] == "tagged"
    assert seen == [(200, "application/json", b'{"kind":"sync"}'), (201, "application/json", b'{"n":7}')]


def test_sync_middleware_around_sync_handler_gets_the_response_directly():
    app = App()

    @app.middleware
    def stamp(req, call_next):
        response = call_next(req)
        assert isinstance(response, Response)
        response.add_header("x-sync-mw", "1")
        return response

    @app.get("/text")
    def text(req):
        return "hello"

    with TestClient(app) as client:
        r = client.get("/text")
    assert r.text == "hello"
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["x-sync-mw"] == "1"


def test_sync_middleware_cannot_wrap_an_async_handler_and_the_app_says_so_at_start():
    app = App()

    @app.middleware
    def plain(req, call_next):
        return call_next(req)

    @app.get("/a")
    async def async_handler(req):
        return "a"

    with pytest.raises(RuntimeError) as info:
        TestClient(app).start()
    message = str(info.value.__cause__)
    assert "plain" in message and "async_handler" in message and "async def" in message


def test_first_registered_middleware_is_outermost():
    app = App()
    order: list[str] = []

    @app.middleware
    async def first(req, call_next):
        order.append("first in")
        response = await call_next(req)
        order.append("first out")
        return response

    @app.middleware
    def second(req, call_next):
        order.append("second in")
        response = call_next(req)
        order.append("second out")
        return response

    @app.get("/")
    def handler(req):
        order.append("handler")
        return "ok"

    with TestClient(app) as client:
        assert client.get("/").text == "ok"
    assert order == ["first in", "second in", "handler", "second out", "first out"]


def test_middleware_can_answer_without_calling_the_handler():
    app = App()
    calls: list[str] = []

    @app.middleware
    async def gate(req, call_next):
        if req.headers.get("authorization") != "Bearer good":
            return Response.json({"error": "who are you"}, status=401, headers={"www-authenticate": "Bearer"})
        return await call_next(req)

    @app.get("/secret")
    def secret(req):
        calls.append("secret")
        return {"secret": 42}

    with TestClient(app) as client:
        r = client.get("/secret")
        assert r.status_code == 401 and r.json() == {"error": "who are you"}
        assert r.headers["www-authenticate"] == "Bearer"
        assert calls == []
        r = client.get("/secret", headers={"authorization": "Bearer good"})
        assert r.json() == {"secret": 42}
    assert calls == ["secret"]


def test_router_middleware_runs_only_on_that_routers_routes():
    app = App()
    api = Router("/api")
    ran: list[str] = []

    @api.middleware
    async def api_only(req, call_next):
        ran.append(req.path)
        return await call_next(req)

    @api.get("/items/{id:int}")
    def item(id: int):
        return {"id": id}

    @app.get("/public")
    def public(req):
        return "public"

    app.include_router(api)
    with TestClient(app) as client:
        assert client.get("/public").text == "public"
        assert client.get("/api/items/3").json() == {"id": 3}
        assert client.get("/nowhere").status_code == 404
    assert ran == ["/api/items/3"]


def test_app_middleware_skips_const_routes_and_router_errors():
    app = App()
    ran: list[str] = []

    @app.middleware
    async def everywhere(req, call_next):
        ran.append(req.path)
        return await call_next(req)

    app.const("/health", "ok")

    @app.get("/python")
    def python_route(req):
        return "py"

    with TestClient(app) as client:
        assert client.get("/health").text == "ok"
        assert client.get("/missing").status_code == 404
        assert client.post("/python").status_code == 405
        assert client.get("/python").text == "py"
    assert ran == ["/python"]


def test_middleware_sets_req_state_and_the_handler_reads_it_fresh_per_request():
    app = App()

    @app.middleware
    async def user(req, call_next):
        name = req.headers.get("x-user")
        if name:
            req.state.user = name
        return await call_next(req)

    @app.get("/me")
    def me(req: Request):
        return {"user": getattr(req.state, "user", None)}

    with TestClient(app) as client:
        assert client.get("/me", headers={"x-user": "ada"}).json() == {"user": "ada"}
        assert client.get("/me").json() == {"user": None}


def test_handler_exception_comes_out_of_call_next_where_middleware_can_catch_it():
    app = App()

    @app.middleware
    async def recover(req, call_next):
        try:
            return await call_next(req)
        except LookupError as exc:
            return Response.json({"caught": type(exc).__name__}, status=418)

    @app.get("/sync")
    def sync_raises(req):
        raise KeyError("k")

    @app.get("/async")
    async def async_raises(req):
        await asyncio.sleep(0.001)
        raise IndexError("i")

    @app.get("/http")
    def http_raises(req):
        raise HTTPException(409, "taken")

    with TestClient(app) as client:
        assert client.get("/sync").json() == {"caught": "KeyError"}
        assert client.get("/async").json() == {"caught": "IndexError"}
        r = client.get("/http")  # not caught by this middleware: the default answer
        assert r.status_code == 409 and r.json() == {"detail": "taken"}


@pytest.mark.parametrize("is_async", [False, True])
def test_middleware_that_raises_is_a_logged_500_and_the_worker_keeps_serving(cello_log, is_async):
    app = App()

    if is_async:

        @app.middleware
        async def broken(req, call_next):
            if req.path == "/boom":
                raise RuntimeError("middleware exploded")
            return await call_next(req)

    else:

        @app.middleware
        def broken(req, call_next):
            if req.path == "/boom":
                raise RuntimeError("middleware exploded")
            return call_next(req)

    @app.get("/boom")
    def boom(req):
        return "never"

    @app.get("/fine")
    def fine(req):
        return "fine"

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
        assert r.status_code == 500 and r.json() == {"detail": "Internal Server Error"}
        assert "exploded" not in r.text
        assert wait_until(lambda: "middleware exploded" in cello_log.text)
        assert "Traceback" in cello_log.text and "broken" in cello_log.text
        assert client.get("/fine").text == "fine"


@pytest.mark.parametrize("returned, type_name", [({"not": "a response"}, "dict"), (None, "NoneType")])
def test_middleware_returning_something_else_than_a_response_is_a_500_naming_it(cello_log, returned, type_name):
    app = App()

    @app.middleware
    async def sloppy(req, call_next):
        await call_next(req)
        return returned

    @app.get("/")
    def handler(req):
        return "ok"

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/")
        assert r.status_code == 500 and r.json() == {"detail": "Internal Server Error"}
        assert wait_until(lambda: "sloppy" in cello_log.text)
        assert "TypeError" in cello_log.text
        assert f"returned {type_name}" in cello_log.text
        assert client.get("/").status_code == 500  # the worker keeps serving


def test_handler_returning_an_unsupported_type_under_middleware_is_a_500_naming_the_handler(cello_log):
    app = App()

    @app.middleware
    async def passthrough(req, call_next):
        return await call_next(req)

    @app.get("/set")
    def returns_set(req):
        return {1, 2}

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/set").status_code == 500
    assert wait_until(lambda: "returns_set" in cello_log.text)
    assert "`set`" in cello_log.text


def test_rust_middleware_is_outside_python_middleware():
    app = App(middleware=[RequestId()])

    @app.middleware
    async def sees_request_id(req, call_next):
        response = await call_next(req)
        response.add_header("x-seen-id", req.request_id or "none")
        return response

    @app.get("/")
    def handler(req):
        return "ok"

    with TestClient(app) as client:
        r = client.get("/", headers={"x-request-id": "abc-123"})
    assert r.headers["x-seen-id"] == "abc-123"
    assert r.headers["x-request-id"] == "abc-123"


def test_app_state_filled_at_startup_is_read_by_handlers():
    app = App()

    @app.on_startup
    def connect():
        app.state.greeting = "hello from startup"

    @app.get("/")
    def handler(req):
        return app.state.greeting

    with TestClient(app) as client:
        assert client.get("/").text == "hello from startup"


def test_fastapis_middleware_http_form_registers_the_same_middleware():
    app = App()

    @app.middleware("http")
    async def tag(req, call_next):
        response = await call_next(req)
        response.add_header("x-tag", "http")
        return response

    @app.get("/")
    def root(req):
        return "ok"

    with TestClient(app) as client:
        assert client.get("/").headers["x-tag"] == "http"
    with pytest.raises(ValueError, match='only "http"'):
        app.middleware("websocket")
