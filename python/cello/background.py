"""Background tasks, as Starlette (``starlette.background``) and FastAPI have them:
work that runs after the response has been sent.

- ``BackgroundTasks`` as a handler parameter: the engine passes a fresh one per
  request; ``tasks.add_task(fn, *args, **kwargs)`` queues ``fn``::

      @app.post("/signup")
      def signup(user: User, tasks: BackgroundTasks):
          tasks.add_task(send_welcome_mail, user.email)
          return {"ok": True}

- ``background=`` on any response (``BackgroundTask(fn, ...)`` or
  ``BackgroundTasks``).

They start once the response is over — the connection has taken its last byte, or
the client went away mid-body — as one asyncio Task on the worker's loop, in the
order they were added. ``async def`` functions are awaited; plain functions run
inline on the worker thread (Starlette runs them in a thread pool): a slow one
delays the worker's other requests, so make it ``async`` or use
``asyncio.to_thread`` inside. An exception is logged (logger ``cello``, with its
traceback) and the next task still runs; the response is never affected.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, Sequence

from ._cello import Response, as_response

__all__ = ["BackgroundTask", "BackgroundTasks"]

logger = logging.getLogger("cello")


class BackgroundTask:
    """``fn(*args, **kwargs)``, run after the response (``await task()`` runs it)."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs

    async def __call__(self) -> None:
        result = self.func(*self.args, **self.kwargs)
        if inspect.isawaitable(result):
            await result


class BackgroundTasks(BackgroundTask):
    """An ordered list of ``BackgroundTask``s; a handler parameter of this type is
    given a fresh one per request."""

    def __init__(self, tasks: Sequence[BackgroundTask] | None = None) -> None:
        self.tasks = list(tasks or ())

    def add_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queues ``func(*args, **kwargs)`` to run after the response."""
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    async def __call__(self) -> None:
        for task in self.tasks:
            try:
                await task()
            except Exception:
                name = getattr(task.func, "__qualname__", None) or type(task.func).__qualname__
                # After the response: TestClient does not re-raise it (see testing.py).
                logger.exception("background task %s raised", name, extra={"cello_after_response": True})


def inject(
    handler: Callable[..., Any], is_async: bool, slots: list[int], name: str, status: int | None
) -> Callable[..., Any]:
    """``handler`` given a fresh ``BackgroundTasks`` in each of ``slots`` (where the
    engine passes the request), the tasks attached to its response (converted as the
    engine would, with the route's ``status``): run after the response's own
    ``background``, if it has one."""

    def attach(result: Any, tasks: BackgroundTasks) -> Any:
        if not tasks.tasks:
            return result
        response = result if isinstance(result, Response) else as_response(result, name, status)
        own = response.background
        response.background = tasks if own is None else BackgroundTasks([BackgroundTask(own), *tasks.tasks])
        return response

    if is_async:

        async def run_async(*args: Any) -> Any:
            tasks, args = _fill(args, slots)
            return attach(await handler(*args), tasks)

        run_async.__qualname__ = getattr(handler, "__qualname__", "handler")
        return run_async

    def run(*args: Any) -> Any:
        tasks, args = _fill(args, slots)
        return attach(handler(*args), tasks)

    run.__qualname__ = getattr(handler, "__qualname__", "handler")
    return run


def _fill(args: tuple[Any, ...], slots: list[int]) -> tuple[BackgroundTasks, tuple[Any, ...]]:
    tasks = BackgroundTasks()
    filled = list(args)
    for i in slots:
        filled[i] = tasks
    return tasks, tuple(filled)

