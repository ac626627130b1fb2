"""The app most end-to-end tests drive: one route per behavior under test.

Run as ``python main_app.py PORT``; tests also import ``app`` for ``TestClient``.
"""

import asyncio
import contextvars
import operator
import sys
import threading
import uuid

from cello import App, HTTPException, Request, Response, Router

app = App()

# -- every decorator ------------------------------------------------------------


@app.get("/method")
def get_method(req: Request):
    return {"method": req.method}


@app.post("/method")
def post_method(req: Request):
    return {"method": req.method}


@app.put("/method")
def put_method(req: Request):
    return {"method": req.method}


@app.patch("/method")
def patch_method(req: Request):
    return {"method": req.method}


@app.delete("/method")
def delete_method(req: Request):
    return {"method": req.method}


@app.options("/method")
def options_method(req: Request):
    return Response(None, 204, headers={"allow": "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"})


@app.head("/head-only")
def head_only(req: Request):
    return Response(None, 200, headers={"x-head": "yes"})


@app.route("/multi", methods=["GET", "POST"])
def multi(req: Request):
    return {"method": req.method}


@app.get("/only-get")
def only_get(req: Request):
    return "ok"


# -- sync and async handlers, path params -------------------------------------------


@app.get("/sync")
def sync_handler(req: Request):
    return {"kind": "sync"}


@app.get("/async")
async def async_handler(req: Request):
    return {"kind": "async"}


@app.get("/async-suspend")
async def async_suspend(req: Request):
    await asyncio.sleep(0.001)
    return {"kind": "async", "suspended": True}


@app.get("/async-sleep")
async def async_sleep(req: Request):
    await asyncio.sleep(0.01)
    return {"ok": True}


@app.get("/users/{user_id}")
def get_user(req: Request, user_id: int):
    return {"user_id": user_id, "type": type(user_id).__name__}


@app.get("/floats/{x}")
async def get_float(req: Request, x: float):
    return {"x": x, "type": type(x).__name__}


@app.get("/names/{name}")
def get_name(name: str, req: Request):
    return {"name": name, "type": type(name).__name__, "method": req.method}


@app.get("/items/{item_id}")
def get_item(req: Request, item_id: uuid.UUID):
    return {"item_id": str(item_id), "is_uuid": isinstance(item_id, uuid.UUID)}


@app.get("/untyped/{thing}")
def get_untyped(req, thing):
    return {"thing": thing, "type": type(thing).__name__}


@app.get("/params-only/{a}/{b}")
def params_only(a: int, b: str):
    return {"a": a, "b": b}


@app.get("/no-args")
def no_args():
    return "no args"


# -- the request object -------------------------------------------------------


@app.route("/echo", methods=["GET", "POST", "PUT"])
def echo(req: Request):
    q = req.query
    h = req.headers
    return {
        "method": req.method,
        "path": req.path,
        "url": req.url,
        "query_string": req.query_string,
        "query": {k: q.getlist(k) for k in q},
        "query_get_a": q.get("a"),
        "query_get_missing": q.get("missing", "default"),
        "x_multi": h.getlist("X-Multi"),
        "x_test_upper": h.get("X-TEST"),
        "x_test_lower": h.get("x-test"),
        "x_test_item": h["X-Test"] if "x-test" in h else None,
        "cookies": req.cookies,
        "client": list(req.client) if req.client else None,
        "body_len": len(req.body),
        "text": req.text(),
    }


@app.get("/echo/{a}/{b}")
def echo_params(req: Request, a: int, b: str):
    return {"path_params": {k: [v, type(v).__name__] for k, v in req.path_params.items()}}


@app.post("/body-bytes")
def body_bytes(req: Request):
    return req.body


@app.post("/json")
def post_json(req: Request):
    data = req.json()
    return {"received": data, "type": type(data).__name__}


@app.post("/json-async")
async def post_json_async(req: Request):
    await asyncio.sleep(0)
    return {"received": req.json()}


@app.post("/form")
def post_form(req: Request):
    form = req.form()
    return {k: form.getlist(k) for k in form}


# -- return values ----------------------------------------------------------------


@app.get("/ret/dict")
def ret_dict(req: Request):
    return {"a": 1, "b": [1, 2.5, None, True, "é"]}


@app.get("/ret/list")
def ret_list(req: Request):
    return [1, "two", {"three": 3}]


@app.get("/ret/str")
def ret_str(req: Request):
    return "héllo"


@app.get("/ret/bytes")
def ret_bytes(req: Request):
    return b"\x00\x01\xffraw"


@app.get("/ret/none")
def ret_none(req: Request):
    return None


@app.get("/ret/response")
def ret_response(req: Request):
    return Response(b"custom body", 203, headers={"x-custom": "1"}, content_type="application/x-custom")


@app.get("/ret/response-default")
def ret_response_default(req: Request):
    return Response("plain")


@app.get("/ret/response-json")
def ret_response_json(req: Request):
    return Response.json({"created": True}, status=201, headers={"x-created": "1"})


@app.get("/ret/response-text")
def ret_response_text(req: Request):
    return Response.text("some text", status=202)


@app.get("/ret/response-html")
def ret_response_html(req: Request):
    return Response.html("<h1>hi</h1>")


@app.get("/ret/redirect")
def ret_redirect(req: Request):
    return Response.redirect("/ret/str")


@app.get("/ret/redirect-301")
def ret_redirect_301(req: Request):
    return Response.redirect("https://example.com/", status=301)


@app.get("/ret/cookies")
def ret_cookies(req: Request):
    r = Response.text("cookies")
    r.set_cookie("session", "abc123", max_age=3600, httponly=True, secure=True)
    r.set_cookie("theme", "dark", samesite="strict", path="/app")
    r.delete_cookie("old")
    return r


@app.get("/ret/tuple2")
def ret_tuple2(req: Request):
    return {"created": 1}, 201


@app.get("/ret/tuple3")
def ret_tuple3(req: Request):
    return "teapot", 418, {"x-tea": "earl grey"}


@app.get("/ret/tuple-bad-header")
def ret_tuple_bad_header(req: Request):
    return "x", 200, {"x-bad": "a\r\nset-cookie: evil=1"}


@app.get("/ret/set")
def ret_set(req: Request):
    return {1, 2, 3}


@app.get("/ret/object")
def ret_object(req: Request):
    return object()


@app.get("/ret/async-set")
async def ret_async_set(req: Request):
    await asyncio.sleep(0)
    return {1}


# -- errors -----------------------------------------------------------------------


@app.get("/raise/http")
def raise_http(req: Request):
    raise HTTPException(404, "no such thing", headers={"x-error": "yes"})


@app.get("/raise/http-dict")
async def raise_http_dict(req: Request):
    raise HTTPException(409, {"field": "name", "problem": "taken"})


@app.get("/raise/http-default")
def raise_http_default(req: Request):
    raise HTTPException(403)


@app.get("/raise/http-after-await")
async def raise_http_after_await(req: Request):
    await asyncio.sleep(0.001)
    raise HTTPException(401, "later", headers={"www-authenticate": "Bearer"})


@app.get("/raise/boom")
def raise_boom(req: Request):
    raise RuntimeError("boom from a sync handler")


@app.get("/raise/async-boom")
async def raise_async_boom(req: Request):
    await asyncio.sleep(0.001)
    raise KeyError("boom from an async handler")


# -- asyncio semantics ------------------------------------------------------------

request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")
background_done: list[str] = []


@app.get("/asyncio/wait-for")
async def asyncio_wait_for(req: Request):
    async def slow():
        await asyncio.sleep(10)

    try:
        await asyncio.wait_for(slow(), timeout=0.02)
    except asyncio.TimeoutError:
        timed_out = True
    else:
        timed_out = False
    fast = await asyncio.wait_for(asyncio.sleep(0.001, result="fast"), timeout=1)
    return {"timed_out": timed_out, "fast": fast}


@app.get("/asyncio/timeout-after-await")
async def asyncio_timeout_after_await(req: Request):
    await asyncio.sleep(0)
    if not hasattr(asyncio, "timeout"):  # Python < 3.11
        return {"timed_out": True}
    try:
        async with asyncio.timeout(0.02):
            await asyncio.sleep(10)
    except TimeoutError:
        return {"timed_out": True}
    return {"timed_out": False}


@app.get("/asyncio/timeout-first")
async def asyncio_timeout_first(req: Request):
    if not hasattr(asyncio, "timeout"):  # Python < 3.11
        return {"timed_out": True}
    try:
        async with asyncio.timeout(0.02):
            await asyncio.sleep(10)
    except TimeoutError:
        return {"timed_out": True}
    return {"timed_out": False}


@app.get("/asyncio/current-task")
async def asyncio_current_task(req: Request):
    await asyncio.sleep(0.001)
    first = asyncio.current_task()
    await asyncio.sleep(0.001)
    second = asyncio.current_task()
    return {
        "has_task": first is not None,
        "same_task": first is second,
        "loop_running": asyncio.get_running_loop().is_running(),
    }


@app.get("/asyncio/current-task-first")
async def asyncio_current_task_first(req: Request):
    before = asyncio.current_task()
    await asyncio.sleep(0.001)
    return {"has_task": before is not None, "same_task": before is asyncio.current_task()}


@app.get("/loop-running")
def loop_running(req: Request):
    return {"running": asyncio.get_event_loop().is_running()}


@app.get("/asyncio/contextvar/{value}")
async def asyncio_contextvar(req: Request, value: str):
    request_var.set(value)
    await asyncio.sleep(0.005)
    seen_after_sleep = request_var.get()

    async def child():
        await asyncio.sleep(0.001)
        return request_var.get()

    seen_in_child = await asyncio.create_task(child())
    return {"after_sleep": seen_after_sleep, "in_child": seen_in_child}


@app.get("/asyncio/gather")
async def asyncio_gather(req: Request):
    results = await asyncio.gather(*(asyncio.sleep(0.001 * i, result=i) for i in range(5)))
    return {"results": results}


@app.post("/asyncio/fire-and-forget/{key}")
async def fire_and_forget(req: Request, key: str):
    async def later():
        await asyncio.sleep(0.01)
        background_done.append(key)

    task = asyncio.create_task(later())
    _keep.add(task)
    task.add_done_callback(_keep.discard)
    return {"scheduled": key}


@app.post("/asyncio/fire-and-forget-sync-step/{key}")
async def fire_and_forget_no_suspend(req: Request, key: str):
    async def later():
        background_done.append(key)

    task = asyncio.create_task(later())
    _keep.add(task)
    task.add_done_callback(_keep.discard)
    return {"scheduled": key}


@app.get("/asyncio/background")
def background(req: Request):
    return {"done": list(background_done)}


_keep: set = set()


# -- the loop's own methods (call_soon, call_later, call_at: Rust) -----------------


@app.get("/loop/call-soon-order")
async def loop_call_soon_order(req: Request):
    loop = asyncio.get_running_loop()
    seen: list = []
    done = loop.create_future()
    loop.call_soon(seen.append, "a")
    loop.call_soon(lambda x, y: seen.append(x + y), "b", "c")
    handle = loop.call_soon(seen.append, "never")
    handle.cancel()
    loop.call_soon(done.set_result, None)
    await done
    return {"seen": seen, "cancelled": handle.cancelled()}


@app.get("/loop/timers")
async def loop_timers(req: Request):
    loop = asyncio.get_running_loop()
    seen: list = []
    done = loop.create_future()
    start = loop.time()
    loop.call_later(0.004, seen.append, "later")
    loop.call_at(start + 0.002, seen.append, "at")
    cancelled = loop.call_later(0.001, seen.append, "cancelled")
    cancelled.cancel()
    loop.call_later(0.010, done.set_result, None)
    await done
    return {"seen": seen, "waited": loop.time() - start, "when_is_float": isinstance(cancelled.when(), float)}


loop_var = contextvars.ContextVar("loop_var", default="unset")


@app.get("/loop/callback-context")
async def loop_callback_context(req: Request):
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    ctx.run(loop_var.set, "in-ctx")
    loop_var.set("caller")
    seen: dict = {}
    done = loop.create_future()
    loop.call_soon(lambda: seen.setdefault("given", loop_var.get()), context=ctx)
    loop.call_soon(lambda: seen.setdefault("copied", loop_var.get()))
    loop.call_soon(done.set_result, None)
    await done
    return seen


@app.get("/loop/callback-error")
async def loop_callback_error(req: Request):
    loop = asyncio.get_running_loop()
    caught: list = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: caught.append(context))
    try:
        done = loop.create_future()
        loop.call_soon(operator.truediv, 1, 0)
        loop.call_soon(done.set_result, None)
        await done
    finally:
        loop.set_exception_handler(old)
    return {
        "message": caught[0]["message"].split(" ")[:3],
        "exception": type(caught[0]["exception"]).__name__,
        "has_handle": caught[0]["handle"] is not None,
    }


@app.get("/loop/threadsafe")
async def loop_threadsafe(req: Request):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    threading.Thread(target=lambda: loop.call_soon_threadsafe(done.set_result, "from-thread")).start()
    return {"result": await asyncio.wait_for(done, 5)}


@app.get("/loop/task-name")
async def loop_task_name(req: Request):
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, "done")
    return {"name": asyncio.current_task().get_name(), "future": await future, "debug": loop.get_debug()}


@app.get("/loop/all-tasks")
async def loop_all_tasks(req: Request):
    await asyncio.sleep(0)
    return {"listed": asyncio.current_task() in asyncio.all_tasks()}


@app.get("/loop/cancelled-timers-are-swept")
async def loop_cancelled_timers(req: Request):
    loop = asyncio.get_running_loop()
    scheduler = loop._cello_scheduler  # type: ignore[attr-defined]
    before = scheduler.pending_timers()
    for h in [loop.call_later(3600, print) for _ in range(1000)]:
        h.cancel()
    await asyncio.sleep(0.001)
    return {"before": before, "after": scheduler.pending_timers()}

# -- host, statuses, header bytes -------------------------------------------------


@app.get("/host")
def host(req: Request):
    return {"url": req.url, "host": req.host}


@app.get("/status/tuple/{code}")
def status_tuple(req: Request, code: int):
    return "s", code


@app.get("/status/response/{code}")
def status_response(req: Request, code: int):
    return Response("s", status=code)


@app.get("/status/http-exception/{code}")
def status_http_exception(req: Request, code: int):
    raise HTTPException(code, "nope")


@app.get("/headers/raw")
def headers_raw(req: Request):
    h = req.headers
    return {
        "raw": [[name.hex(), value.hex()] for name, value in h.raw],
        "str": [[name, value] for name, value in h.multi_items()],
        "types": sorted({type(x).__name__ for pair in h.raw for x in pair}),
    }


# -- a router with a prefix -------------------------------------------------------

api = Router(prefix="/api/v1")


@api.get("/status")
def api_status(req: Request):
    return {"router": "api", "path": req.path}


@api.post("/things/{thing_id}")
async def api_create_thing(req: Request, thing_id: int):
    return {"thing_id": thing_id}, 201


app.include_router(api)

nested = Router(prefix="/nested")


@nested.get("/hello")
def nested_hello(req: Request):
    return "nested hello"


app.include_router(nested, prefix="/outer")


if __name__ == "__main__":
    port = int(sys.argv[1])
    max_body_size = int(sys.argv[2]) if len(sys.argv) > 2 else 1024 * 1024
    app.run(host="127.0.0.1", port=port, max_body_size=max_body_size)
