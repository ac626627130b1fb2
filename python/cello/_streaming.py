"""The Python half of streamed responses and background tasks, called by the engine
(``cello-py/src/stream_body.rs``, ``background.rs``).

Private: nothing here is public API.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

logger = logging.getLogger("cello")

#: Tasks started here and not yet finished: asyncio keeps only weak references.
_running: set[asyncio.Task[Any]] = set()


def _keep(task: asyncio.Task[Any]) -> None:
    _running.add(task)
    task.add_done_callback(_running.discard)


def close_async(pending: asyncio.Task[Any] | None, iterator: Any) -> None:
    """The client went away from a streamed response: cancel the ``__anext__()`` in
    flight (the generator sees ``CancelledError`` where it awaits), then ``aclose()``
    it, so its ``finally`` blocks run."""
    _keep(asyncio.get_running_loop().create_task(_close(pending, iterator), name="cello: close stream"))


async def _close(pending: asyncio.Task[Any] | None, iterator: Any) -> None:
    if pending is not None and not pending.done():
        pending.cancel()
        try:
            await pending
        except BaseException:  # noqa: BLE001 - its outcome is of no use any more
            pass
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:
        logger.exception("closing a streaming response's generator raised")


def start_background(background: Callable[[], Any]) -> None:
    """Runs ``background()`` (a ``BackgroundTask(s)``, or a callable that returns an
    awaitable or nothing) as a Task on the worker's loop; what it raises is logged."""
    _keep(asyncio.get_running_loop().create_task(_background(background), name="cello: background tasks"))


async def _background(background: Callable[[], Any]) -> None:
    try:
        result = background()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            await result
    except Exception:
        logger.exception("background task %s raised", _name(background))


def _name(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or type(fn).__qualname__)
