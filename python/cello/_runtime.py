"""The Python half of the engine's call path, installed into ``_cello`` at import.

Private: nothing here is public API.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Callable

from . import _cello
from .datastructures import Headers, QueryParams
from .exceptions import HTTPException

logger = logging.getLogger("cello")


def _noop() -> None:
    pass


def make_run_once(loop: asyncio.AbstractEventLoop) -> Callable[[], float | None]:
    """Returns ``run_once()``: one turn of ``loop`` that never blocks (a ready no-op
    makes the selector poll with timeout 0). It returns 0 if the loop has ready
    callbacks, else the ``loop.time()`` (CLOCK_MONOTONIC) of its next timer, or None
    if it only waits for I/O."""
    ready = loop._ready  # type: ignore[attr-defined]
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    turn = loop._run_once  # type: ignore[attr-defined]
    noop = asyncio.Handle(_noop, (), loop)

    def run_once() -> float | None:
        ready.append(noop)
        turn()
        if ready:
            return 0.0
        if scheduled:
            return scheduled[0]._when
        return None

    return run_once


class GuestLoop(asyncio.SelectorEventLoop):
    """The selector loop the engine drives. On Python 3.11 it can start a Task
    eagerly, as 3.12's ``eager_start`` does: while ``_cello_eager`` is set, the next
    ``call_soon`` (the Task's first step, from ``Task.__init__``) runs at once
    instead of being queued. Its ``call_soon`` is otherwise the stdlib's without the
    extra indirection."""

    _cello_eager = False

    def call_soon(self, callback, *args, context=None):  # type: ignore[override]
        if self._cello_eager:
            self._cello_eager = False
            if context is None:
                callback(*args)
            else:
                context.run(callback, *args)
            return None
        if self._debug or self._closed:  # type: ignore[attr-defined]
            return super().call_soon(callback, *args, context=context)
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)  # type: ignore[attr-defined]
        return handle


def new_loop() -> asyncio.AbstractEventLoop:
    """The loop a worker runs handlers on."""
    return asyncio.SelectorEventLoop() if sys.version_info >= (3, 12) else GuestLoop()


def make_task_starter(loop: asyncio.AbstractEventLoop) -> Callable[[Any], asyncio.Task]:
    """Returns ``start_task(coro)``: an asyncio Task for ``coro`` whose first step
    has already run, inside the Task (so ``current_task()``, ``asyncio.timeout()``
    and contextvars behave as in any Task). Python 3.12+ has this built in
    (``eager_start``); on 3.11 ``GuestLoop`` runs the step the Task schedules at
    once (measured: 3.25 µs per Task with a queued-then-popped step, ~1.5 µs this
    way)."""
    Task = asyncio.Task
    if sys.version_info >= (3, 12):

        def start_task(coro: Any) -> asyncio.Task:
            return Task(coro, loop=loop, eager_start=True)

        return start_task

    if not isinstance(loop, GuestLoop):
        ready = loop._ready  # type: ignore[attr-defined]

        def start_task_popped(coro: Any) -> asyncio.Task:
            task = Task(coro, loop=loop)
            step = ready.pop()  # the Task's first __step, just queued by __init__
            step._context.run(step._callback, *step._args)
            return task

        return start_task_popped

    def start_task_311(coro: Any) -> asyncio.Task:
        loop._cello_eager = True
        try:
            return Task(coro, loop=loop)
        finally:
            loop._cello_eager = False

    return start_task_311


def log_exception(handler: str, exc: BaseException) -> None:
    logger.error("handler %s raised %s", handler, type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__))


def log_message(text: str) -> None:
    logger.error("%s", text)


_cello._install_runtime(HTTPException, make_run_once, make_task_starter, log_exception, log_message, Headers, QueryParams)
