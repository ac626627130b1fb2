"""``@app.exception_handler``: which handler answers an error.

The engine calls ``ExceptionHandlers.find(request, exc, route)`` for an exception
raised by a handler or a Python middleware, and for the engine's own errors (404,
405, 408, 413, 422, as ``HTTPException``) whose status is in ``engine_statuses()``.
``find`` gives ``(handler, name, is_async)``, or None for the default answer; the
engine runs the handler and converts what it returns like a route's return value.

The lookup follows Starlette:

- an ``HTTPException`` goes to the handler for its status code, else to the handler
  of the nearest class in its MRO up to ``HTTPException`` itself, else to the
  default ``{"detail": ...}`` answer;
- any other exception goes to the handler of the nearest class in its MRO other
  than ``Exception``/``BaseException``; failing that it is unexpected: its traceback
  is logged and the handler for ``Exception`` (or ``BaseException``, or status 500)
  answers, else the default 500.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Union

from ._runtime import log_exception
from .exceptions import HTTPException

ExceptionHandler = Callable[[Any, Any], Any]
Key = Union[int, type]

# The statuses the engine answers by itself that an app may reshape.
ENGINE_STATUSES = (404, 405, 408, 413, 422)
_CATCH_ALL = (Exception, BaseException)


class ExceptionHandlers:
    """The handlers an app registered, by status code and by exception class."""

    def __init__(self) -> None:
        self._by_status: dict[int, tuple[ExceptionHandler, str, bool]] = {}
        self._by_class: dict[type, tuple[ExceptionHandler, str, bool]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_status or self._by_class)

    @staticmethod
    def check(key: Key) -> None:
        """Raises unless ``key`` is an exception class or an error status code."""
        if isinstance(key, bool) or not isinstance(key, (int, type)):
            raise TypeError(f"exception_handler takes an exception class or a status code, not {key!r}")
        if isinstance(key, int):
            if not 400 <= key <= 599:
                raise ValueError(f"exception_handler status must be an error status (400-599), not {key}")
        elif not issubclass(key, BaseException):
            raise TypeError(f"exception_handler class must be an exception class, not {key.__qualname__}")

    def add(self, key: Key, handler: ExceptionHandler) -> None:
        self.check(key)
        if not callable(handler):
            raise TypeError(f"exception handler must be callable, not {type(handler).__name__}")
        entry = (handler, getattr(handler, "__qualname__", repr(handler)), inspect.iscoroutinefunction(handler))
        if isinstance(key, int):
            self._by_status[key] = entry
        else:
            self._by_class[key] = entry

    def engine_statuses(self) -> list[int]:
        """The engine errors to hand over: all of them when a handler catches
        ``HTTPException`` (or a base of it short of ``Exception``), else those with a
        handler for their status."""
        if any(cls not in _CATCH_ALL and issubclass(HTTPException, cls) for cls in self._by_class):
            return list(ENGINE_STATUSES)
        return [s for s in ENGINE_STATUSES if s in self._by_status]

    def find(self, request: Any, exc: BaseException, route: str) -> tuple[ExceptionHandler, str, bool] | None:
        if isinstance(exc, HTTPException):
            found = self._by_status.get(exc.status_code)
            return found if found is not None else self._by_mro(exc, stop=HTTPException)
        found = self._by_mro(exc, stop=None)
        if found is not None:
            return found
        for cls in type(exc).__mro__:
            if cls in _CATCH_ALL and cls in self._by_class:
                found = self._by_class[cls]
                break
        else:
            found = self._by_status.get(500)
        if found is not None:
            # Unexpected: the handler shapes the answer, the log keeps the traceback.
            log_exception(route, exc)
        return found

    def _by_mro(self, exc: BaseException, stop: type | None) -> tuple[ExceptionHandler, str, bool] | None:
        for cls in type(exc).__mro__:
            if cls in _CATCH_ALL:
                return None
            found = self._by_class.get(cls)
            if found is not None:
                return found
            if cls is stop:
                return None
        return None
