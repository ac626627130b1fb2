"""The Python half of the engine's call path, installed into ``_cello`` at import.

Private: nothing here is public API.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from . import _cello
from .datastructures import Headers, QueryParams
from .exceptions import HTTPException

logger = logging.getLogger("cello")


class _Resume:
    """An awaitable that continues ``coro``, which has already yielded ``first``
    once (the engine stepped it eagerly). It behaves like ``yield from coro`` from
    that point: the Task waits on ``first``, then values and exceptions are passed
    through, so cancellation and timeouts reach the handler as usual."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Any, first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self):
        coro = self.coro
        value = self.first
        self.first = None
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # thrown in by the Task: CancelledError...
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def resume(coro: Any, first: Any) -> Any:
    return await _Resume(coro, first)


def _noop() -> None:
    pass


def run_once(loop: asyncio.AbstractEventLoop) -> float | None:
    """One turn of the loop that never blocks: a ready no-op makes the selector
    poll with timeout 0. Returns 0 if the loop has ready callbacks, else the
    ``loop.time()`` (CLOCK_MONOTONIC) of its next timer, or None if it only waits
    for I/O."""
    ready = loop._ready  # type: ignore[attr-defined]
    ready.append(asyncio.Handle(_noop, (), loop))
    loop._run_once()  # type: ignore[attr-defined]
    if ready:
        return 0.0
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    if scheduled:
        return scheduled[0]._when
    return None


def log_exception(handler: str, exc: BaseException) -> None:
    logger.error("handler %s raised %s", handler, type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__))


def log_message(text: str) -> None:
    logger.error("%s", text)


_cello._install_runtime(HTTPException, resume, run_once, log_exception, log_message, Headers, QueryParams)
