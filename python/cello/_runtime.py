"""The Python half of the engine's call path, installed into ``_cello`` at import.

Private: nothing here is public API.
"""

from __future__ import annotations

import asyncio
import logging
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


def log_exception(handler: str, exc: BaseException) -> None:
    logger.error("handler %s raised %s", handler, type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__))


def log_message(text: str) -> None:
    logger.error("%s", text)


_cello._install_runtime(HTTPException, make_run_once, log_exception, log_message, Headers, QueryParams)
