"""The solver: the callable registered with the engine for a route with
dependencies. It gets the route's flat converted arguments (see
``_dependencies.Plan``), calls the dependencies in order, then the handler.

``yield`` dependencies are entered in order and left last entered first:

- when the handler returned, their cleanup is scheduled on the event loop
  (``call_soon``; a Task when one is an async generator), so it runs after the
  engine has turned the handler's value into the response, usually before the
  bytes are on the wire; a cleanup that raises is logged and changes nothing;
- when the handler (or a dependency) raised, the exception is thrown in at each
  ``yield`` at once, so ``try/except/finally`` sees it; then it (or the exception a
  dependency raised instead) goes on to the app's exception handlers. A dependency
  that swallows it does not stop it: there is no response to send otherwise.

A route with only sync dependencies and a sync handler runs inline, with no
coroutine; one async step makes the whole route async (decided at registration).
With ``blocking=True`` the sync steps run on the loop's thread pool.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Generator, AsyncGenerator, Union

from ._dependencies import DependencyOverrides, Plan, Step

logger = logging.getLogger("cello")

#: A ``yield`` dependency that has yielded: its step and its generator.
Exit = tuple[Step, Union[Generator[Any, Any, Any], AsyncGenerator[Any, Any]]]

# Cleanup Tasks, kept alive until done (the loop holds Tasks weakly).
_cleanups: set[asyncio.Future[Any]] = set()


def solver(plan: Plan, blocking: bool, overrides: DependencyOverrides | None) -> tuple[Callable[..., Any], bool]:
    """The callable to register for ``plan``'s route and whether it is a coroutine
    function."""
    plans = [plan]
    versions = [overrides.version if overrides is not None else 0]
    is_async = blocking or plan.is_async

    def current() -> Plan:
        if overrides is not None and overrides.version != versions[0]:
            # Overrides changed while serving (a test set one after the TestClient started).
            rebuilt = plan.rebuilt(overrides)
            if rebuilt.is_async and not is_async:
                raise RuntimeError(
                    f"handler {plan.handler_name}: a dependency override set while serving is async but the "
                    "route was built sync; set app.dependency_overrides before the server (or TestClient) starts"
                )
            plans[0], versions[0] = rebuilt, overrides.version
        return plans[0]

    if not is_async:

        def solve(*flat: Any) -> Any:
            steps = current().steps
            values: list[Any] = [None] * len(steps)
            exits: list[Exit] = []
            try:
                for j, step in enumerate(steps):
                    args = [flat[i] if is_flat else values[i] for is_flat, i in step.args]
                    if step.kind == "gen":
                        gen = step.call(*args)
                        values[j] = _first(gen, step)
                        exits.append((step, gen))
                    else:
                        values[j] = step.call(*args)
            except BaseException as exc:
                if exits:
                    _unwind(exits, exc)
                raise
            if exits:
                _schedule(exits, blocking=False)
            return values[-1]

        solve.__qualname__ = plan.handler_name
        return solve, False

    async def solve_async(*flat: Any) -> Any:
        steps = current().steps
        values: list[Any] = [None] * len(steps)
        exits: list[Exit] = []
        loop = asyncio.get_running_loop()
        try:
            for j, step in enumerate(steps):
                args = [flat[i] if is_flat else values[i] for is_flat, i in step.args]
                kind = step.kind
                if kind == "sync":
                    if blocking:
                        values[j] = await loop.run_in_executor(None, _call, step.call, args)
                    else:
                        values[j] = step.call(*args)
                elif kind == "async":
                    values[j] = await step.call(*args)
                elif kind == "gen":
                    gen = step.call(*args)
                    if blocking:
                        values[j] = await loop.run_in_executor(None, _first, gen, step)
                    else:
                        values[j] = _first(gen, step)
                    exits.append((step, gen))
                else:
                    agen = step.call(*args)
                    try:
                        values[j] = await agen.__anext__()
                    except StopAsyncIteration:
                        raise RuntimeError(f"dependency {step.name} did not yield") from None
                    exits.append((step, agen))
        except BaseException as exc:
            if exits:
                await _unwind_async(exits, exc)
            raise
        if exits:
            _schedule(exits, blocking)
        return values[-1]

    solve_async.__qualname__ = plan.handler_name
    return solve_async, True


def _call(call: Callable[..., Any], args: list[Any]) -> Any:
    return call(*args)


def _first(gen: Generator[Any, Any, Any], step: Step) -> Any:
    try:
        return next(gen)
    except StopIteration:
        raise RuntimeError(f"dependency {step.name} did not yield") from None


def _unwind(exits: list[Exit], exc: BaseException) -> None:
    """Throws ``exc`` in at each (sync) ``yield``, last entered first; raises what
    comes out."""
    for step, gen in reversed(exits):
        exc = _throw(step, gen, exc)  # type: ignore[arg-type]
    raise exc


def _throw(step: Step, gen: Generator[Any, Any, Any], exc: BaseException) -> BaseException:
    """The exception to pass on after throwing ``exc`` into ``gen``."""
    try:
        gen.throw(exc)
    except StopIteration:
        return exc  # swallowed: the exception still goes on (see the module doc)
    except BaseException as raised:
        return raised
    gen.close()
    logger.error("dependency %s yielded more than once; only one yield is allowed", step.name)
    return exc


async def _unwind_async(exits: list[Exit], exc: BaseException) -> None:
    for step, gen in reversed(exits):
        if step.kind == "gen":
            exc = _throw(step, gen, exc)  # type: ignore[arg-type]
            continue
        agen: AsyncGenerator[Any, Any] = gen  # type: ignore[assignment]
        try:
            await agen.athrow(exc)
        except StopAsyncIteration:
            continue
        except BaseException as raised:
            exc = raised
            continue
        await agen.aclose()
        logger.error("dependency %s yielded more than once; only one yield is allowed", step.name)
    raise exc


def _schedule(exits: list[Exit], blocking: bool) -> None:
    """Runs the cleanups after the engine has the response."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _finish(exits)
        return
    if any(step.kind == "asyncgen" for step, _ in exits):
        task: asyncio.Future[Any] = loop.create_task(_finish_async(exits))
    elif blocking:
        task = loop.run_in_executor(None, _finish, exits)
    else:
        loop.call_soon(_finish, exits)
        return
    _cleanups.add(task)
    task.add_done_callback(_cleanups.discard)


def _finish(exits: list[Exit]) -> None:
    for step, gen in reversed(exits):
        _finish_one(step, gen)  # type: ignore[arg-type]


def _finish_one(step: Step, gen: Generator[Any, Any, Any]) -> None:
    try:
        next(gen)
    except StopIteration:
        return
    except Exception as exc:
        _log_cleanup(step, exc)
        return
    gen.close()
    logger.error("dependency %s yielded more than once; only one yield is allowed", step.name)


async def _finish_async(exits: list[Exit]) -> None:
    for step, gen in reversed(exits):
        if step.kind == "gen":
            _finish_one(step, gen)  # type: ignore[arg-type]
            continue
        agen: AsyncGenerator[Any, Any] = gen  # type: ignore[assignment]
        try:
            await agen.__anext__()
        except StopAsyncIteration:
            continue
        except Exception as exc:
            _log_cleanup(step, exc)
            continue
        await agen.aclose()
        logger.error("dependency %s yielded more than once; only one yield is allowed", step.name)


def _log_cleanup(step: Step, exc: BaseException) -> None:
    logger.error(
        "dependency %s raised %s in its cleanup, after the response; the response was not changed",
        step.name,
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
