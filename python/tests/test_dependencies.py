"""Dependency injection (``Depends``) through the real engine: dependencies' own
parameters read and validated with the handler's, sub-dependencies, caching per
request, ``yield`` cleanup, route/router/app dependencies and
``app.dependency_overrides`` used from a ``TestClient``."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from dataclasses import dataclass
from typing import Annotated, Any, AsyncIterator, Iterator

import pytest

from cello import App, Depends, HTTPException, Request, Router
from cello._signature import compile_signature
from cello.testing import TestClient
from conftest import wait_until


def common(q: str | None = None, skip: int = 0, limit: int = 10) -> dict[str, Any]:
    return {"q": q, "skip": skip, "limit": limit}


def test_a_dependency_reads_query_parameters_and_the_handler_gets_its_value() -> None:
    app = App()

    @app.get("/items")
    def items(commons: Annotated[dict[str, Any], Depends(common)]):
        return commons

    with TestClient(app) as c:
        assert c.get("/items?q=x&limit=3").json() == {"q": "x", "skip": 0, "limit": 3}
        assert c.get("/items").json() == {"q": None, "skip": 0, "limit": 10}


def test_failures_of_the_handler_and_its_dependencies_come_in_one_422() -> None:
    app = App()

    @app.get("/items")
    def items(page: int, commons: dict[str, Any] = Depends(common)):
        return {"page": page, **commons}

    with TestClient(app) as c:
        r = c.get("/items?skip=no&limit=1.5")
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert [(e["loc"], e["type"]) for e in detail] == [
            (["query", "page"], "missing"),
            (["query", "skip"], "int_parsing"),
            (["query", "limit"], "int_parsing"),
        ]
        assert detail[1]["input"] == "no"


def test_a_parameter_read_by_the_handler_and_a_dependency_is_read_once() -> None:
    def by_q(q: str = "") -> str:
        return q.upper()

    app = App()

    @app.get("/search")
    def search(q: str = "", shout: str = Depends(by_q)):
        return {"q": q, "shout": shout}

    signature = compile_signature("/search", search, (), {})
    assert [(p.source, p.alias) for p in signature.params] == [("query", "q")]
    with TestClient(app) as c:
        assert c.get("/search?q=hi").json() == {"q": "hi", "shout": "HI"}


def test_dependencies_read_path_parameters_and_the_request() -> None:
    def load_user(user_id: int, request: Request) -> dict[str, Any]:
        return {"id": user_id, "agent": request.headers.get("x-agent")}

    app = App()

    @app.get("/users/{user_id}")
    def user(u: dict[str, Any] = Depends(load_user)):
        return u

    with TestClient(app) as c:
        assert c.get("/users/7", headers={"x-agent": "t"}).json() == {"id": 7, "agent": "t"}
        # Typed by the dependency's annotation: the router converts it.
        assert c.get("/users/seven").status_code == 422


def test_sub_dependencies_run_first_and_a_shared_one_runs_once_per_request() -> None:
    calls: list[str] = []

    def settings() -> dict[str, int]:
        calls.append("settings")
        return {"max": 5}

    def limit(n: int = 1, s: dict[str, int] = Depends(settings)) -> int:
        calls.append("limit")
        return min(n, s["max"])

    def fresh() -> str:
        calls.append("fresh")
        return "fresh"

    app = App()

    @app.get("/page")
    def page(
        lim: int = Depends(limit),
        s: dict[str, int] = Depends(settings),
        a: str = Depends(fresh, use_cache=False),
        b: str = Depends(fresh, use_cache=False),
    ):
        return {"limit": lim, "max": s["max"], "calls": list(calls)}

    with TestClient(app) as c:
        assert c.get("/page?n=9").json() == {"limit": 5, "max": 5, "calls": ["settings", "limit", "fresh", "fresh"]}
        calls.clear()
        assert c.get("/page?n=2").json()["calls"] == ["settings", "limit", "fresh", "fresh"]


def test_async_dependencies_are_awaited_also_for_a_sync_handler() -> None:
    async def token(t: str = "none", suffix: str = "") -> str:
        await asyncio.sleep(0.01)
        return t + suffix

    app = App()

    @app.get("/t")
    def handler(value: str = Depends(token), bang: str = Depends(functools.partial(token, suffix="!"))):
        return {"value": value, "bang": bang}

    with TestClient(app) as c:
        assert c.get("/t?t=abc").json() == {"value": "abc", "bang": "abc!"}


@dataclass
class Pagination:
    page: int = 1
    size: int = 20


class Filter:
    def __init__(self, name: str | None = None, active: bool = True) -> None:
        self.name, self.active = name, active


def test_class_dependencies_take_their_parameters_from_init() -> None:
    app = App()

    @app.get("/list")
    def listing(p: Pagination = Depends(), f: Annotated[Filter, Depends(Filter)] = None):  # type: ignore[assignment]
        return {"page": p.page, "size": p.size, "name": f.name, "active": f.active}

    with TestClient(app) as c:
        assert c.get("/list?page=3&name=x&active=false").json() == {"page": 3, "size": 20, "name": "x", "active": False}
        assert c.get("/list?size=big").status_code == 422


def fake_user(token: str = "anon") -> dict[str, str]:
    return {"name": token}


CurrentUser = Annotated[dict, Depends(fake_user)]


def greeting(user: CurrentUser) -> str:
    return f"hi {user['name']}"


def test_annotated_aliases_of_dependencies_work_in_handlers_and_dependencies() -> None:
    app = App()

    @app.get("/me")
    def me(user: CurrentUser, text: Annotated[str, Depends(greeting)]):
        return {"user": user, "text": text}

    with TestClient(app) as c:
        assert c.get("/me?token=ann").json() == {"user": {"name": "ann"}, "text": "hi ann"}


def test_yield_cleanup_runs_after_the_response_last_entered_first() -> None:
    events: list[str] = []

    def outer() -> Iterator[str]:
        events.append("outer open")
        yield "outer"
        events.append("outer close")

    async def inner(o: str = Depends(outer)) -> AsyncIterator[str]:
        events.append("inner open")
        yield "inner"
        events.append("inner close")

    app = App()

    @app.get("/work")
    def work(i: str = Depends(inner)):
        events.append("handler")
        return {"seen": list(events)}

    @app.get("/events")
    def seen():
        return list(events)

    with TestClient(app) as c:
        assert c.get("/work").json() == {"seen": ["outer open", "inner open", "handler"]}
        assert c.get("/events").json() == ["outer open", "inner open", "handler", "inner close", "outer close"]


def test_an_exception_in_the_handler_reaches_the_yield_dependencys_except_then_the_exception_handlers() -> None:
    events: list[str] = []

    class Conflict(Exception):
        pass

    def session() -> Iterator[str]:
        try:
            yield "s"
        except Conflict as exc:
            events.append(f"rollback {exc}")
            raise
        finally:
            events.append("close")

    app = App()

    @app.exception_handler(Conflict)
    def on_conflict(req, exc):
        return {"error": str(exc), "events": list(events)}, 409

    @app.post("/save")
    def save(s: str = Depends(session)):
        raise Conflict("taken")

    async def async_session() -> AsyncIterator[str]:
        try:
            yield "a"
        except HTTPException as exc:
            events.append(f"async saw {exc.status_code}")
            raise
        finally:
            events.append("async close")

    @app.get("/missing")
    async def missing(s: str = Depends(session), a: str = Depends(async_session)):
        raise HTTPException(404, "no such thing")

    with TestClient(app) as c:
        r = c.post("/save")
        assert r.status_code == 409
        assert r.json() == {"error": "taken", "events": ["rollback taken", "close"]}
        events.clear()
        r = c.get("/missing")
        assert r.status_code == 404
        assert r.json() == {"detail": "no such thing"}
        assert events == ["async saw 404", "async close", "close"]


def test_a_dependency_that_swallows_the_handlers_exception_does_not_hide_it() -> None:
    def lenient() -> Iterator[None]:
        try:
            yield
        except Exception:
            pass

    app = App()

    @app.get("/x")
    def x(_: None = Depends(lenient)):
        raise HTTPException(418, "still me")

    with TestClient(app) as c:
        r = c.get("/x")
        assert (r.status_code, r.json()) == (418, {"detail": "still me"})


def test_a_dependency_that_raises_stops_the_handler_and_leaves_entered_ones() -> None:
    events: list[str] = []

    def opened() -> Iterator[None]:
        try:
            yield
        finally:
            events.append("closed")

    def guard(o: None = Depends(opened)) -> None:
        raise HTTPException(403, "no")

    app = App()

    @app.get("/guarded")
    def guarded(g: None = Depends(guard)):
        events.append("handler")
        return "ran"

    with TestClient(app) as c:
        r = c.get("/guarded")
        assert (r.status_code, r.json()) == (403, {"detail": "no"})
        assert events == ["closed"]


def test_a_cleanup_that_raises_is_logged_and_the_response_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Iterator[str]:
        yield "value"
        raise RuntimeError("cleanup failed")

    app = App()

    @app.get("/ok")
    def ok(v: str = Depends(broken)):
        return {"v": v}

    with caplog.at_level(logging.ERROR, logger="cello"):
        with TestClient(app, raise_server_exceptions=False) as c:
            assert c.get("/ok").json() == {"v": "value"}
            assert c.get("/ok").status_code == 200
    messages = [r.getMessage() for r in caplog.records]
    assert any("dependency" in m and "broken" in m and "cleanup" in m for m in messages), messages


def _marker(calls: list[str], name: str) -> Any:
    """A dependency (named after ``name``) that records that it ran."""

    def dep() -> None:
        calls.append(name)

    dep.__qualname__ = f"mark_{name}"
    return dep


def test_route_router_and_app_dependencies_run_before_the_handler_outermost_first() -> None:
    calls: list[str] = []
    mark = functools.partial(_marker, calls)

    def require_key(key: str) -> None:
        if key != "k":
            raise HTTPException(401, "bad key")

    app = App(dependencies=[Depends(mark("app"))])
    router = Router("/r", dependencies=[Depends(mark("router"))])

    @router.get("/x", dependencies=[Depends(mark("route")), Depends(require_key)])
    def x():
        calls.append("handler")
        return list(calls)

    app.include_router(router)
    with TestClient(app) as c:
        assert c.get("/r/x?key=k").json() == ["app", "router", "route", "handler"]
        r = c.get("/r/x")
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "key"]
        assert c.get("/r/x?key=no").status_code == 401


def test_include_router_dependencies_and_tags_come_before_the_routers_own() -> None:
    calls: list[str] = []
    mark = functools.partial(_marker, calls)

    app = App(dependencies=[Depends(mark("app"))])
    router = Router("/r", tags=["router"], dependencies=[Depends(mark("router"))])

    @router.get("/x", tags=["route"], dependencies=[Depends(mark("route"))])
    def x():
        calls.append("handler")
        return list(calls)

    app.include_router(router, prefix="/v1", tags=["include"], dependencies=[Depends(mark("include"))])
    with TestClient(app) as c:
        assert c.get("/v1/r/x").json() == ["app", "include", "router", "route", "handler"]
    assert app.openapi()["paths"]["/v1/r/x"]["get"]["tags"] == ["include", "router", "route"]


def get_db() -> str:
    return "real"


def test_dependency_overrides_set_before_and_after_the_testclient_starts() -> None:
    app = App()

    @app.get("/db")
    def db(name: str = Depends(get_db)):
        return {"db": name}

    app.dependency_overrides[get_db] = lambda: "before"
    client = TestClient(app, raise_server_exceptions=False)
    try:
        assert client.get("/db").json() == {"db": "before"}
        app.dependency_overrides[get_db] = lambda: "after"
        assert client.get("/db").json() == {"db": "after"}
        app.dependency_overrides = {}
        assert client.get("/db").json() == {"db": "real"}

        def reads_a_new_parameter(other: int = 0) -> str:
            return "unreachable"

        app.dependency_overrides[get_db] = reads_a_new_parameter
        assert client.get("/db").status_code == 500

        async def async_db() -> str:
            return "async"

        # The route started sync: an async replacement needs a restart.
        app.dependency_overrides[get_db] = async_db
        assert client.get("/db").status_code == 500
        app.dependency_overrides.clear()
        assert client.get("/db").json() == {"db": "real"}
    finally:
        client.close()


def test_an_override_set_before_start_takes_its_own_parameters_and_may_be_async() -> None:
    app = App()

    @app.get("/db")
    def db(name: str = Depends(get_db)):
        return {"db": name}

    async def per_test(tenant: str = "t0") -> str:
        await asyncio.sleep(0)
        return f"fake-{tenant}"

    app.dependency_overrides[get_db] = per_test
    with TestClient(app) as c:
        assert c.get("/db?tenant=t9").json() == {"db": "fake-t9"}
        app.dependency_overrides.clear()
        assert c.get("/db?tenant=t9").json() == {"db": "real"}


def test_dependencies_compose_with_middleware_and_blocking_handlers() -> None:
    events: list[tuple[str, bool]] = []
    closed = threading.Event()

    def resource() -> Iterator[str]:
        events.append(("open", _on_loop_thread()))
        yield "r"
        events.append(("close", _on_loop_thread()))
        closed.set()

    app = App()

    @app.middleware
    async def tag(req, call_next):
        response = await call_next(req)
        response.add_header("x-mw", "1")
        return response

    @app.get("/slow", blocking=True)
    def slow(limit: int = 1, r: str = Depends(resource)):
        events.append(("handler", _on_loop_thread()))
        return {"limit": limit, "r": r}

    with TestClient(app) as c:
        r = c.get("/slow?limit=4")
        assert r.json() == {"limit": 4, "r": "r"}
        assert r.headers.get("x-mw") == "1"
        # With blocking=True the cleanup runs on the thread pool too, after the response.
        assert closed.wait(30)
        assert events == [("open", False), ("handler", False), ("close", False)]
        assert c.get("/slow?limit=x").status_code == 422
        assert len(events) == 3


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_registration_rejects_what_it_cannot_resolve() -> None:
    def bad(x: dict = {}) -> None:  # noqa: B006
        return None

    def needs(v: None = Depends(bad)):
        return None

    with pytest.raises(TypeError, match="bad"):
        compile_signature("/x", needs, (), {})

    def no_target(v=Depends()):
        return None

    with pytest.raises(TypeError, match="Depends\\(\\) without a dependency"):
        compile_signature("/x", no_target, (), {})

    with pytest.raises(TypeError, match="takes Depends"):
        compile_signature("/x", lambda: None, [get_db], {})  # type: ignore[list-item]


def test_a_route_without_dependencies_has_no_plan() -> None:
    def plain(limit: int = 1):
        return limit

    assert compile_signature("/p", plain).plan is None


def paging(*, limit: int, offset: int = 0) -> tuple[int, int]:
    return limit, offset


def test_keyword_only_parameters_are_read_and_passed_by_name_in_handlers_and_dependencies() -> None:
    app = App()

    @app.get("/items")
    def items(*, q: str, page: tuple[int, int] = Depends(paging)):
        return {"q": q, "page": list(page)}

    @app.get("/plain")
    async def plain(*, q: str, n: int = 1):
        return {"q": q, "n": n}

    with TestClient(app) as c:
        assert c.get("/items?q=a&limit=5").json() == {"q": "a", "page": [5, 0]}
        assert c.get("/plain?q=b&n=3").json() == {"q": "b", "n": 3}
        r = c.get("/items?q=a")
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "limit"]
        assert c.get("/plain").json()["detail"][0]["loc"] == ["query", "q"]
    names = [p["name"] for p in app.openapi()["paths"]["/items"]["get"]["parameters"]]
    assert sorted(names) == ["limit", "offset", "q"]


EVENTS: list[str] = []


def session() -> Iterator[str]:
    EVENTS.append("open")
    yield "s"
    EVENTS.append("close")


async def strict() -> AsyncIterator[str]:
    yield "x"
    raise HTTPException(409, "commit failed")


def request_scoped() -> Iterator[str]:
    yield "r"
    EVENTS.append("request-scoped close")


def test_function_scoped_yield_dependencies_end_before_the_response_and_their_errors_are_the_response() -> None:
    EVENTS.clear()
    events = EVENTS
    app = App()

    @app.get("/sync")
    def sync_route(
        s: Annotated[str, Depends(session, scope="function")], r: Annotated[str, Depends(request_scoped)]
    ):
        # The function-scoped cleanup has not run yet while the handler runs.
        events.append("handler")
        return {"events": list(events)}

    @app.get("/seen")
    def seen():
        return events

    @app.get("/strict")
    async def strict_route(x: Annotated[str, Depends(strict, scope="function")]):
        return {"x": x}

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/sync").json() == {"events": ["open", "handler"]}
        wait_until(lambda: "request-scoped close" in c.get("/seen").json())
        assert c.get("/seen").json()[:3] == ["open", "handler", "close"]
        r = c.get("/strict")
        assert (r.status_code, r.json()) == (409, {"detail": "commit failed"})
    with pytest.raises(ValueError, match="scope"):
        Depends(session, scope="session")  # type: ignore[arg-type]
