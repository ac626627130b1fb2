"""Python middleware (``@app.middleware``, ``@router.middleware``) as a wrapper around
one route's handler, built once when the app starts serving.

Only routes that some middleware applies to are wrapped: every other route is
registered with the engine exactly as without middleware, and pays nothing.

A wrapped route is registered with the request as its first argument, followed by
the handler's own arguments, so the chain gets the request and passes the rest on.
The innermost step converts what the handler returned into a ``cello.Response`` with
the engine's own conversion (``_cello.as_response``), so ``call_next`` always gives
a ``Response``. Exceptions are not caught here: one raised by the handler comes out
of ``call_next``, and one no middleware catches goes to the app's exception
handlers.

Sync and async:

- an ``async def`` middleware gets a ``call_next`` to await, whatever is inside it;
- a ``def`` middleware gets a ``call_next`` that returns the ``Response`` at once, so
  everything inside it (the handler and the middleware registered after it) must be
  sync too; otherwise starting the app raises ``TypeError`` naming both. A chain that
  is sync from end to end runs inline, with no coroutine at all.
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, Sequence, Union

from ._cello import FileResponse, Request, Response, as_response

CallNext = Callable[[Request], Union[Response, Awaitable[Response]]]
MiddlewareFunc = Callable[[Request, Any], Any]


def wrap(
    handler: Callable[..., Any],
    is_async: bool,
    chain: Sequence[MiddlewareFunc],
    name: str,
    status: int | None = None,
) -> tuple[Callable[..., Any], bool]:
    """``handler`` inside ``chain`` (outermost first): the callable to register, which
    takes ``(request, *handler_args)``, and whether it is a coroutine function.
    ``status`` is the route's ``status_code=``, for what the handler returns."""
    step: Callable[..., Any] = _endpoint(handler, is_async, name, status)
    inner = f"handler {name}"
    for mw in reversed(chain):
        mw_name = getattr(mw, "__qualname__", repr(mw))
        if inspect.iscoroutinefunction(mw):
            step = _async_layer(mw, step, is_async, mw_name)
            is_async, inner = True, f"async middleware {mw_name}"
        elif is_async:
            raise TypeError(
                f"middleware {mw_name} is a plain def, so its call_next returns the response at once, "
                f"but it wraps {inner}, which is async; make {mw_name} an async def"
            )
        else:
            step = _sync_layer(mw, step, mw_name)
    return step, is_async


def _endpoint(handler: Callable[..., Any], is_async: bool, name: str, status: int | None) -> Callable[..., Any]:
    if is_async:

        async def run_async(req: Request, *args: Any) -> Response:
            return as_response(await handler(*args), name, status)

        return run_async

    def run(req: Request, *args: Any) -> Response:
        return as_response(handler(*args), name, status)

    return run


def _sync_layer(mw: MiddlewareFunc, inner: Callable[..., Any], mw_name: str) -> Callable[..., Any]:
    def layer(req: Request, *args: Any) -> Response | FileResponse:
        def call_next(_req: Request) -> Response:
            return inner(req, *args)  # type: ignore[no-any-return]

        return _checked(mw(req, call_next), mw_name)

    return layer


def _async_layer(mw: MiddlewareFunc, inner: Callable[..., Any], inner_async: bool, mw_name: str) -> Callable[..., Any]:
    if inner_async:

        async def layer(req: Request, *args: Any) -> Response | FileResponse:
            def call_next(_req: Request) -> Awaitable[Response]:
                return inner(req, *args)  # type: ignore[no-any-return]

            return _checked(await mw(req, call_next), mw_name)

        return layer

    async def layer_over_sync(req: Request, *args: Any) -> Response | FileResponse:
        async def call_next(_req: Request) -> Response:
            return inner(req, *args)  # type: ignore[no-any-return]

        return _checked(await mw(req, call_next), mw_name)

    return layer_over_sync


def _checked(result: Any, mw_name: str) -> Response | FileResponse:
    # A FileResponse passes through as it is: the engine sends the file.
    if isinstance(result, (Response, FileResponse)):
        return result
    raise TypeError(
        f"middleware {mw_name} returned {type(result).__name__}, not a cello.Response; "
        "return what call_next gave, or a Response it builds"
    )
