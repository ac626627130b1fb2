"""``async def`` handlers keep asyncio semantics, and many of them run at once."""

import asyncio
import time

import httpx
import pytest

from cello import App
from cello.testing import TestClient
from conftest import CLIENT_LIMITS, KEEPALIVE_EXPIRY, wait_until


def test_wait_for_times_out_inside_a_handler(client):
    assert client.get("/asyncio/wait-for").json() == {"timed_out": True, "fast": "fast"}


def test_asyncio_timeout_after_the_first_await(client):
    assert client.get("/asyncio/timeout-after-await").json()["timed_out"] is True


def test_asyncio_timeout_before_the_first_await(client):
    assert client.get("/asyncio/timeout-first").json()["timed_out"] is True


def test_current_task_is_one_task_across_awaits_and_the_loop_is_running(client):
    body = client.get("/asyncio/current-task").json()
    assert body == {"has_task": True, "same_task": True, "loop_running": True}


def test_the_loop_is_running_in_a_sync_handler(client):
    assert client.get("/loop-running").json() == {"running": True}


def test_current_task_before_the_first_await(client):
    assert client.get("/asyncio/current-task-first").json() == {"has_task": True, "same_task": True}


def test_contextvars_survive_awaits_and_reach_child_tasks(client):
    assert client.get("/asyncio/contextvar/alpha").json() == {"after_sleep": "alpha", "in_child": "alpha"}


def test_gather_inside_a_handler(client):
    assert client.get("/asyncio/gather").json() == {"results": [0, 1, 2, 3, 4]}


@pytest.mark.parametrize("route", ["fire-and-forget", "fire-and-forget-sync-step"])
def test_fire_and_forget_task_runs_after_the_response(client, route):
    key = f"{client.mode}-{route}-{time.monotonic_ns()}"
    r = client.post(f"/asyncio/{route}/{key}")
    assert r.json() == {"scheduled": key}
    # Nothing else is sent: the background task must run on its own.
    assert wait_until(lambda: key in client.get("/asyncio/background").json()["done"], timeout=30)


def test_contextvars_do_not_leak_between_concurrent_requests(main_server):
    async def run():
        async with httpx.AsyncClient(base_url=main_server.base_url, timeout=10, limits=CLIENT_LIMITS) as c:
            values = [f"v{i}" for i in range(50)]
            rs = await asyncio.gather(*(c.get(f"/asyncio/contextvar/{v}") for v in values))
            return values, [r.json() for r in rs]

    values, bodies = asyncio.run(run())
    assert bodies == [{"after_sleep": v, "in_child": v} for v in values]


def test_a_thousand_concurrent_requests_to_an_async_sleep_handler_all_succeed(main_server):
    n, connections = 1000, 150

    async def run():
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        # httpx's own pool queue times out under 1,000 waiters (against any server):
        # hold requests back with a semaphore and let the pool wait without a timeout.
        gate = asyncio.Semaphore(connections)
        timeout = httpx.Timeout(30, pool=None)
        async with httpx.AsyncClient(base_url=main_server.base_url, limits=limits, timeout=timeout) as c:

            async def one():
                async with gate:
                    return await c.get("/async-sleep")

            return await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)

    # A server that stalled would fail requests by httpx's 30 s timeout; no bound on
    # the total time, which on a shared machine says more about the machine.
    results = asyncio.run(run())
    failures = [r for r in results if isinstance(r, BaseException) or r.status_code != 200]
    assert not failures, f"{len(failures)} of {n} failed, first: {failures[0]!r}"
    assert all(r.json() == {"ok": True} for r in results)


async def _raw_get(port: int, path: bytes, count: int) -> list[bytes]:
    """``count`` keep-alive GETs on one connection; the bodies."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    bodies = []
    try:
        for _ in range(count):
            writer.write(b"GET " + path + b" HTTP/1.1\r\nhost: t\r\n\r\n")
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            length = next(
                int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            bodies.append(await reader.readexactly(length))
    finally:
        writer.close()
    return bodies


def test_a_thousand_sleeping_requests_on_two_hundred_connections_all_answer(main_server):
    async def run():
        per_conn = await asyncio.gather(*(_raw_get(main_server.port, b"/async-sleep", 5) for _ in range(200)))
        return [b for bodies in per_conn for b in bodies]

    bodies = asyncio.run(asyncio.wait_for(run(), 120))
    assert len(bodies) == 1000
    assert all(b == b'{"ok":true}' for b in bodies)


def test_suspended_async_handlers_overlap_instead_of_queueing():
    # Each handler waits until all of them are inside it at once. Served one at a
    # time, the first would wait until its 60 s timeout and answer 500.
    n = 100
    state: dict = {"inside": 0}
    app = App()

    @app.get("/together")
    async def together(req):
        if "all_in" not in state:
            state["all_in"] = asyncio.Event()
        state["inside"] += 1
        if state["inside"] == n:
            state["all_in"].set()
        await asyncio.wait_for(state["all_in"].wait(), 60)
        return {"ok": True}

    async def run(port):
        return await asyncio.gather(*(_raw_get(port, b"/together", 1) for _ in range(n)))

    with TestClient(app) as client:
        per_conn = asyncio.run(asyncio.wait_for(run(client.port), 120))
    assert [b for bodies in per_conn for b in bodies] == [b'{"ok":true}'] * n
    assert state["inside"] == n


def test_concurrent_async_requests_through_testclient_engine(main_testclient):
    # TestClient serves on a real port too: hit it concurrently, like the server.
    async def run():
        return await asyncio.gather(*(_raw_get(main_testclient._client.port, b"/async-sleep", 4) for _ in range(75)))

    per_conn = asyncio.run(asyncio.wait_for(run(), 60))
    assert sum(len(b) for b in per_conn) == 300


def test_client_going_away_mid_request_does_not_break_the_server(main_server):
    # A request to a slow handler whose client disconnects (its Task is cancelled).
    with pytest.raises(httpx.TimeoutException):
        httpx.get(main_server.base_url + "/asyncio/wait-for", timeout=0.005)
    assert httpx.get(main_server.base_url + "/async-suspend").status_code == 200


# The loop's call_soon / call_later / call_at are Rust (cello._cello.Scheduler):
# they must behave as the stdlib's do.


def test_call_soon_runs_callbacks_in_order_with_their_args_and_skips_cancelled_ones(client):
    assert client.get("/loop/call-soon-order").json() == {"seen": ["a", "bc"], "cancelled": True}


def test_call_later_and_call_at_fire_in_time_order_and_a_cancelled_timer_never_fires(client):
    body = client.get("/loop/timers").json()
    assert body["seen"] == ["at", "later"]
    assert body["waited"] >= 0.010
    assert body["when_is_float"] is True


def test_a_callback_runs_in_the_context_it_was_given_or_a_copy_of_the_callers(client):
    assert client.get("/loop/callback-context").json() == {"given": "in-ctx", "copied": "caller"}


def test_an_exception_in_a_callback_goes_to_the_loops_exception_handler(client):
    body = client.get("/loop/callback-error").json()
    assert body == {"message": ["Exception", "in", "callback"], "exception": "ZeroDivisionError", "has_handle": True}
    assert client.get("/loop/call-soon-order").status_code == 200


def test_call_soon_threadsafe_from_another_thread_wakes_the_loop(client):
    assert client.get("/loop/threadsafe").json() == {"result": "from-thread"}


def test_a_suspended_handler_task_is_listed_by_all_tasks(client):
    assert client.get("/loop/all-tasks").json() == {"listed": True}


def test_cancelled_timers_are_swept_out_of_the_heap(client):
    body = client.get("/loop/cancelled-timers-are-swept").json()
    assert body["after"] <= body["before"] + 100


def test_a_handler_task_is_named_after_the_handler_and_create_future_works(client):
    assert client.get("/loop/task-name").json() == {"name": "loop_task_name", "future": "done", "debug": False}
