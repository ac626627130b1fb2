"""Background tasks through the real engine: ``BackgroundTasks`` injected into a
handler, ``background=`` on a response; they run after the response, in order,
their exceptions logged and never affecting the response."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
import pytest

from cello import App, BackgroundTasks, Depends, Request
from cello.background import BackgroundTask
from cello.responses import JSONResponse, PlainTextResponse, StreamingResponse
from cello.testing import TestClient


def test_tasks_run_after_the_client_has_the_whole_response() -> None:
    """The task waits for an event only the test sets, after it has read the whole
    response: were the response held until the task finished, the request would
    never complete."""
    app = App()
    release = asyncio.Event()
    done = threading.Event()
    effects: list[str] = []

    async def side_effect(what: str) -> None:
        await release.wait()
        effects.append(what)
        done.set()

    @app.post("/order")
    def order(tasks: BackgroundTasks):
        tasks.add_task(side_effect, "mail sent")
        return {"ordered": True}

    @app.post("/release")
    def do_release():
        release.set()
        return None

    with TestClient(app) as client:
        r = client.post("/order")
        assert r.status_code == 200 and r.json() == {"ordered": True}
        assert effects == []
        assert client.post("/release").status_code == 204
        assert done.wait(10)
    assert effects == ["mail sent"]


def test_tasks_run_in_the_order_they_were_added_sync_and_async_with_arguments() -> None:
    app = App()
    calls: list[Any] = []
    finished = threading.Event()

    def sync_task(n: int, *, tag: str) -> None:
        calls.append(("sync", n, tag))

    async def async_task(n: int) -> None:
        await asyncio.sleep(0.01)
        calls.append(("async", n))

    @app.get("/many", status_code=201)
    async def many(tasks: BackgroundTasks):
        tasks.add_task(sync_task, 1, tag="a")
        tasks.add_task(async_task, 2)
        tasks.add_task(sync_task, 3, tag="b")
        tasks.add_task(finished.set)
        return {"queued": 4}

    with TestClient(app) as client:
        r = client.get("/many")
        assert r.status_code == 201  # the route's status_code= still applies
        assert r.json() == {"queued": 4}
        assert finished.wait(10)
    assert calls == [("sync", 1, "a"), ("async", 2), ("sync", 3, "b")]


def test_an_exception_in_a_task_is_logged_with_its_traceback_and_the_next_task_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()
    finished = threading.Event()

    def broken() -> None:
        raise RuntimeError("smtp is down")

    @app.get("/fails")
    def fails(tasks: BackgroundTasks):
        tasks.add_task(broken)
        tasks.add_task(finished.set)
        return "accepted"

    with caplog.at_level(logging.ERROR, logger="cello"):
        with TestClient(app) as client:
            r = client.get("/fails")
            assert r.status_code == 200 and r.text == "accepted"
            assert finished.wait(10)
            assert client.get("/fails").status_code == 200
    failures = [r for r in caplog.records if "broken" in r.getMessage()]
    assert failures and failures[0].exc_info is not None
    assert "smtp is down" in str(failures[0].exc_info[1])


def test_background_on_a_response_class_runs_after_it() -> None:
    app = App()
    ran = threading.Event()
    order: list[str] = []

    @app.get("/text")
    def text():
        return PlainTextResponse("sent", background=BackgroundTask(order.append, "text"))

    @app.get("/json")
    async def json_():
        tasks = BackgroundTasks()
        tasks.add_task(order.append, "json")
        tasks.add_task(ran.set)
        return JSONResponse({"a": 1}, status_code=202, background=tasks)

    with TestClient(app) as client:
        assert client.get("/text").text == "sent"
        r = client.get("/json")
        assert (r.status_code, r.json()) == (202, {"a": 1})
        assert ran.wait(10)
    assert order == ["text", "json"]


def test_a_streaming_responses_background_runs_after_its_last_chunk() -> None:
    app = App()
    order: list[str] = []
    ran = threading.Event()

    @app.get("/stream")
    async def stream():
        async def parts():
            for i in range(3):
                order.append(f"chunk {i}")
                yield f"{i}"

        def after() -> None:
            order.append("background")
            ran.set()

        return StreamingResponse(parts(), background=BackgroundTask(after))

    with TestClient(app) as client:
        assert client.get("/stream").text == "012"
        assert ran.wait(10)
    assert order == ["chunk 0", "chunk 1", "chunk 2", "background"]


def test_injected_tasks_and_the_responses_own_background_both_run() -> None:
    app = App()
    order: list[str] = []
    ran = threading.Event()

    @app.get("/both")
    def both(tasks: BackgroundTasks):
        tasks.add_task(order.append, "injected")
        tasks.add_task(ran.set)
        return JSONResponse({}, background=BackgroundTask(order.append, "own"))

    with TestClient(app) as client:
        assert client.get("/both").status_code == 200
        assert ran.wait(10)
    assert order == ["own", "injected"]


def test_a_dependency_can_take_the_same_background_tasks_as_its_handler() -> None:
    app = App()
    order: list[str] = []
    ran = threading.Event()

    def audit(tasks: BackgroundTasks) -> str:
        tasks.add_task(order.append, "audit")
        return "user"

    @app.get("/dep")
    def dep(req: Request, user: str = Depends(audit), tasks: BackgroundTasks = None):  # type: ignore[assignment]
        tasks.add_task(order.append, f"handler {user}")
        tasks.add_task(ran.set)
        return {"path": req.path}

    with TestClient(app) as client:
        assert client.get("/dep").json() == {"path": "/dep"}
        assert ran.wait(10)
    assert order == ["audit", "handler user"]


def test_the_openapi_document_leaves_background_tasks_out() -> None:
    app = App()

    @app.get("/items")
    def items(tasks: BackgroundTasks, limit: int = 10):
        return []

    op = app.openapi()["paths"]["/items"]["get"]
    assert [p["name"] for p in op["parameters"]] == ["limit"]
    assert "requestBody" not in op


def test_a_constant_route_cannot_have_background_tasks() -> None:
    app = App()
    app.const("/c", JSONResponse({}, background=BackgroundTask(print)))
    with pytest.raises(TypeError, match="constant route cannot have background tasks"):
        app._engine()


def test_tasks_still_run_when_the_client_leaves_before_the_body_is_sent() -> None:
    app = App()
    ran = threading.Event()

    @app.get("/slow")
    async def slow(tasks: BackgroundTasks):
        tasks.add_task(ran.set)

        async def parts():
            yield b"a"
            await asyncio.sleep(3600)

        return StreamingResponse(parts())

    with TestClient(app) as client:
        with httpx.Client(base_url=f"http://127.0.0.1:{client.port}") as http:
            with http.stream("GET", "/slow") as r:
                assert next(r.iter_raw()) == b"a"
        assert ran.wait(10)
