"""``@app.exception_handler``: a service sets its error format everywhere, through the
real engine (``TestClient``, and httpx for a streamed body)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from conftest import wait_until

from cello import App, HTTPException, Response
from cello.testing import TestClient


class AppError(Exception):
    pass


class NotFoundError(AppError):
    pass


def reshaping_app() -> App:
    """An app whose every error answers ``{"error": {"status", "message"}}``."""
    app = App()

    @app.exception_handler(HTTPException)
    def http_error(req, exc):
        return {"error": {"status": exc.status_code, "message": exc.detail, "path": req.path}}, exc.status_code

    @app.exception_handler(Exception)
    def unexpected(req, exc):
        return {"error": {"status": 500, "message": "internal error"}}, 500

    @app.get("/items/{id:int}")
    def item(id: int):
        if id == 0:
            raise HTTPException(404, "no item 0")
        return {"id": id}

    @app.post("/upload")
    def upload(req):
        return {"size": len(req.body)}

    @app.get("/crash")
    def crash(req):
        raise RuntimeError("secret internals")

    return app


def test_router_404_405_422_reach_the_httpexception_handler():
    with TestClient(reshaping_app()) as client:
        r = client.get("/nowhere")
        assert r.status_code == 404
        assert r.json() == {"error": {"status": 404, "message": "Not Found", "path": "/nowhere"}}
        r = client.delete("/items/1")
        assert r.status_code == 405
        assert r.json()["error"]["message"] == "Method Not Allowed"
        assert r.headers["allow"] == "GET, HEAD"
        r = client.get("/items/abc")
        assert r.status_code == 422
        assert r.json()["error"]["status"] == 422
        assert r.json()["error"]["message"][0]["loc"] == ["path", "id"]


def test_handler_httpexception_and_unexpected_exception_are_reshaped(cello_log):
    with TestClient(reshaping_app(), raise_server_exceptions=False) as client:
        r = client.get("/items/0")
        assert r.status_code == 404
        assert r.json() == {"error": {"status": 404, "message": "no item 0", "path": "/items/0"}}
        r = client.get("/crash")
        assert r.status_code == 500
        assert r.json() == {"error": {"status": 500, "message": "internal error"}}
        assert "secret internals" not in r.text
        # Handled, but unexpected: the traceback is still logged.
        assert wait_until(lambda: "secret internals" in cello_log.text)
        assert "Traceback" in cello_log.text and "crash" in cello_log.text
        assert client.get("/items/5").json() == {"id": 5}


def test_body_over_the_limit_while_streaming_reaches_the_413_handler():
    with TestClient(reshaping_app(), max_body_size=1024) as client:

        def chunks():
            for _ in range(8):
                yield b"x" * 512

        r = httpx.post(client.server_url + "/upload", content=chunks(), timeout=10)
        assert r.status_code == 413
        assert r.json()["error"]["status"] == 413
        assert "max_body_size" in r.json()["error"]["message"]
        assert r.headers["connection"] == "close"
        assert client.post("/upload", content=b"small").json() == {"size": 5}


def test_declared_body_over_the_limit_reaches_the_413_handler_without_being_read():
    with TestClient(reshaping_app(), max_body_size=1024) as client:
        r = httpx.post(client.server_url + "/upload", content=b"x" * 2048, timeout=10)
        assert r.status_code == 413
        assert r.json()["error"]["status"] == 413
        assert r.headers["connection"] == "close"


def test_declared_body_over_the_limit_is_answered_early_without_a_413_handler():
    app = App()

    @app.exception_handler(404)
    def not_found(req, exc):
        return "no", 404

    @app.post("/upload")
    def upload(req):
        return "never"

    with TestClient(app, max_body_size=1024) as client:
        r = httpx.post(client.server_url + "/upload", content=b"x" * 2048, timeout=10)
    assert r.status_code == 413
    assert "max_body_size" in r.text


def test_router_errors_keep_the_default_answer_without_a_handler_for_them():
    app = App()

    @app.exception_handler(ValueError)
    def value_error(req, exc):
        return {"bad value": str(exc)}, 400

    @app.get("/v")
    def raises_value_error(req):
        raise ValueError("nope")

    with TestClient(app) as client:
        r = client.get("/nowhere")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        r = client.get("/v")
        assert r.status_code == 400 and r.json() == {"bad value": "nope"}


def test_status_handler_takes_only_its_status():
    app = App()

    @app.exception_handler(404)
    def not_found(req, exc):
        return Response.text(f"nothing at {req.path}", status=404)

    @app.get("/gone")
    def gone(req):
        raise HTTPException(404, "gone")

    @app.get("/forbidden")
    def forbidden(req):
        raise HTTPException(403)

    with TestClient(app) as client:
        assert client.get("/missing").text == "nothing at /missing"
        assert client.get("/gone").text == "nothing at /gone"
        r = client.get("/forbidden")
        assert r.status_code == 403 and r.json() == {"detail": "Forbidden"}
        assert client.post("/gone").json() == {"detail": "Method Not Allowed"}


def test_the_nearest_exception_class_in_the_mro_wins(cello_log):
    app = App()

    @app.exception_handler(AppError)
    def app_error(req, exc):
        return {"kind": "app", "type": type(exc).__name__}, 400

    @app.exception_handler(NotFoundError)
    def not_found(req, exc):
        return {"kind": "not found"}, 404

    @app.get("/base")
    def base(req):
        raise AppError()

    @app.get("/sub")
    async def sub(req):
        await asyncio.sleep(0.001)
        raise NotFoundError()

    with TestClient(app) as client:
        assert client.get("/base").json() == {"kind": "app", "type": "AppError"}
        r = client.get("/sub")
        assert r.status_code == 404 and r.json() == {"kind": "not found"}
    # Expected errors, handled: nothing logged.
    assert "Traceback" not in cello_log.text


def test_async_exception_handler_that_suspends_answers():
    app = App()

    @app.exception_handler(AppError)
    async def slow_handler(req, exc):
        await asyncio.sleep(0.001)
        return {"handled": "later"}, 409

    @app.exception_handler(404)
    async def slow_404(req, exc):
        await asyncio.sleep(0.001)
        return {"missing": req.path}, 404

    @app.get("/")
    def raises(req):
        raise AppError()

    with TestClient(app) as client:
        r = client.get("/")
        assert r.status_code == 409 and r.json() == {"handled": "later"}
        r = client.get("/nope")
        assert r.status_code == 404 and r.json() == {"missing": "/nope"}


@pytest.mark.parametrize("is_async", [False, True])
def test_exception_handler_that_raises_is_a_logged_500_and_the_worker_keeps_serving(cello_log, is_async):
    app = App()

    if is_async:

        @app.exception_handler(HTTPException)
        async def broken_handler(req, exc):
            await asyncio.sleep(0.001)
            raise RuntimeError("handler broke")

    else:

        @app.exception_handler(HTTPException)
        def broken_handler(req, exc):
            raise RuntimeError("handler broke")

    @app.get("/ok")
    def ok(req):
        return "ok"

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/missing")
        assert r.status_code == 500 and r.json() == {"detail": "Internal Server Error"}
        assert wait_until(lambda: "handler broke" in cello_log.text)
        assert "broken_handler" in cello_log.text and "Traceback" in cello_log.text
        assert client.get("/ok").text == "ok"


def test_unsupported_return_value_goes_to_the_500_handler(cello_log):
    app = App()

    @app.exception_handler(500)
    def internal(req, exc):
        return {"error": type(exc).__name__}, 500

    @app.get("/set")
    def returns_set(req):
        return {1}

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/set")
    assert r.status_code == 500 and r.json() == {"error": "TypeError"}
    assert wait_until(lambda: "returns_set" in cello_log.text)


def test_exception_handler_returning_an_unsupported_type_is_a_logged_500(cello_log):
    app = App()

    @app.exception_handler(AppError)
    def returns_object(req, exc):
        return object()

    @app.get("/")
    def raises(req):
        raise AppError()

    with TestClient(app) as client:
        r = client.get("/")
        assert r.status_code == 500 and r.json() == {"detail": "Internal Server Error"}
    assert wait_until(lambda: "returns_object" in cello_log.text)
    assert "`object`" in cello_log.text


def test_middleware_exception_goes_to_the_exception_handlers():
    app = App()

    @app.exception_handler(PermissionError)
    def denied(req, exc):
        return {"denied": str(exc)}, 403

    @app.middleware
    async def guard(req, call_next):
        if "x-key" not in req.headers:
            raise PermissionError("no key")
        return await call_next(req)

    @app.get("/")
    def handler(req):
        return "in"

    with TestClient(app) as client:
        r = client.get("/")
        assert r.status_code == 403 and r.json() == {"denied": "no key"}
        assert client.get("/", headers={"x-key": "1"}).text == "in"


def test_exception_handler_keys_are_checked_at_registration():
    app = App()
    with pytest.raises(TypeError, match="exception class or a status code"):
        app.exception_handler("404")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exception class"):
        app.exception_handler(dict)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="400-599"):
        app.exception_handler(200)
