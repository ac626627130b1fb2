"""The solver: the callable registered with the engine for a route with
dependencies. It gets the route's flat converted arguments (see
``_dependencies.Plan``), calls the dependencies in order, then the handler.

``yield`` dependencies are entered in order and left last entered first:

- when the handler returned, those with ``Depends(scope="function")`` are left at
  once, in the request's own call (what their cleanup raises is the handler's
  error); the others' cleanup is scheduled on the event loop
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

_DONE = object()

# Cleanup Tasks, kept alive until done (the loop holds Tasks weakly).
_cleanups: set[asyncio.Future[Any]] = set()


def solver(plan: Plan, blocking: bool, overrides: DependencyOverrides | None) -> tuple[Callable[..., Any], bool]:
    """The callable to register for ``plan``'s route and whether it is a coroutine
    function."""
    is_async = blocking or plan.is_async
    n_flat = len(plan.keys)
    state: list[Any] = [overrides.version if overrides is not None else 0, None]

    def replanned(*flat: Any) -> Any:
        """Overrides changed while serving (a test set one after the TestClient
        started): the plan is built again, then run."""
        assert overrides is not None
        if state[0] != overrides.version:
            rebuilt = plan.rebuilt(overrides)
            if rebuilt.is_async and not is_async:
                raise RuntimeError(
                    f"handler {plan.handler_name}: a dependency override set while serving is async but the "
                    "route was built sync; set app.dependency_overrides before the server (or TestClient) starts"
                )
            state[1] = _compile(rebuilt, blocking, is_async, n_flat, None, None)
            state[0] = overrides.version
        return state[1](*flat)

    return _compile(plan, blocking, is_async, n_flat, overrides, replanned), is_async


def _compile(
    plan: Plan,
    blocking: bool,
    is_async: bool,
    n_flat: int,
    overrides: DependencyOverrides | None,
    replanned: Callable[..., Any] | None,
) -> Callable[..., Any]:
    """``plan`` as the source of one Python function, straight calls with no loop
    and no lists, as ``dataclasses`` builds ``__init__``. Measured with
    instr-per-request.sh, a route with one dependency: 26,197 instructions per
    request with a loop over the steps, 16,481 generated (``/json``, which takes the
    request: 15,711)."""
    params = ", ".join(f"a{i}" for i in range(n_flat))
    async_exit = any(step.kind == "asyncgen" for step in plan.steps)
    ns: dict[str, Any] = {
        "_first": _first,
        "_afirst": _afirst,
        "_call": _call,
        "_unwind": _unwind,
        "_unwind_async": _unwind_async,
        "_leave_now": _leave_now,
        "_leave_now_async": _leave_now_async,
        "_schedule": _schedule_task if async_exit else _schedule_pool if blocking else _schedule_soon,
        "_loop": asyncio.get_running_loop,
        "_overrides": overrides,
        "_replanned": replanned,
    }
    wait = "await " if is_async else ""
    body: list[str] = []
    if overrides is not None:
        ns["_seen"] = overrides.version
        body.append(f"if _overrides.version != _seen: return {wait}_replanned({params})")
    has_exits = any(step.kind in ("gen", "asyncgen") for step in plan.steps)
    if blocking:
        body.append("loop = _loop()")
    steps: list[str] = []
    for j, step in enumerate(plan.steps):
        ns[f"c{j}"], ns[f"s{j}"] = step.call, step
        values = [f"a{i}" if is_flat else f"v{i}" for is_flat, i in step.args]
        split = len(values) - len(step.keywords)
        pairs = list(zip(step.keywords, values[split:]))
        args = ", ".join([*values[:split], *(f"{k}={v}" for k, v in pairs)])
        if step.kind == "sync":
            positional = "".join(f"{v}, " for v in values[:split])
            named = ", ".join(f"{k!r}: {v}" for k, v in pairs)
            call = f"await loop.run_in_executor(None, _call, c{j}, ({positional}), {{{named}}})"
            steps.append(f"v{j} = {call if blocking else f'c{j}({args})'}")
        elif step.kind == "async":
            steps.append(f"v{j} = await c{j}({args})")
        elif step.kind == "gen":
            steps.append(f"g{j} = c{j}({args})")
            first = f"await loop.run_in_executor(None, _first, g{j}, s{j})" if blocking else f"_first(g{j}, s{j})"
            steps.append(f"v{j} = {first}")
            steps.append(f"exits.append((s{j}, g{j}))")
        else:
            steps.append(f"g{j} = c{j}({args})")
            steps.append(f"v{j} = await _afirst(g{j}, s{j})")
            steps.append(f"exits.append((s{j}, g{j}))")
    last = f"v{len(plan.steps) - 1}"
    if any(step.scope == "function" and step.kind in ("gen", "asyncgen") for step in plan.steps):
        steps.append("await _leave_now_async(exits)" if is_async else "_leave_now(exits)")
    if has_exits:
        unwind = "await _unwind_async(exits, exc)" if is_async else "_unwind(exits, exc)"
        body += ["exits = []", "try:", *("    " + line for line in steps), "except BaseException as exc:"]
        body += ["    if exits:", f"        {unwind}", "    raise", "_schedule(exits)"]
    else:
        body += steps
    body.append(f"return {last}")
    source = f"{'async ' if is_async else ''}def solve({params}):\n" + "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<cello solver for {plan.handler_name}>", "exec"), ns)
    solve: Callable[..., Any] = ns["solve"]
    solve.__qualname__ = plan.handler_name
    return solve


def _call(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return call(*args, **kwargs)


def _first(gen: Generator[Any, Any, Any], step: Step) -> Any:
    try:
        return next(gen)
    except StopIteration:
        raise RuntimeError(f"dependency {step.name} did not yield") from None


async def _afirst(gen: AsyncGenerator[Any, Any], step: Step) -> Any:
    try:
        return await gen.__anext__()
    except StopAsyncIteration:
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


def _leave_now(exits: list[Exit]) -> None:
    """Ends the ``scope="function"`` dependencies of ``exits`` (taking them out of it),
    last entered first; what a cleanup raises goes on as the handler's exception
    would."""
    for i in range(len(exits) - 1, -1, -1):
        step, gen = exits[i]
        if step.scope != "function":
            continue
        del exits[i]
        sync: Generator[Any, Any, Any] = gen  # type: ignore[assignment]
        if next(sync, _DONE) is not _DONE:
            sync.close()
            raise RuntimeError(f"dependency {step.name} yielded more than once; only one yield is allowed")


async def _leave_now_async(exits: list[Exit]) -> None:
    for i in range(len(exits) - 1, -1, -1):
        step, gen = exits[i]
        if step.scope != "function":
            continue
        del exits[i]
        if step.kind == "gen":
            _leave_now([(step, gen)])
            continue
        agen: AsyncGenerator[Any, Any] = gen  # type: ignore[assignment]
        try:
            await agen.__anext__()
        except StopAsyncIteration:
            continue
        await agen.aclose()
        raise RuntimeError(f"dependency {step.name} yielded more than once; only one yield is allowed")


def _schedule_soon(exits: list[Exit]) -> None:
    """Runs sync cleanups after the engine has the response: the loop runs them
    when this request's handler call has returned."""
    asyncio.get_running_loop().call_soon(_finish, exits)


def _schedule_pool(exits: list[Exit]) -> None:
    """The same for a ``blocking=True`` route: on the thread pool."""
    _keep(asyncio.get_running_loop().run_in_executor(None, _finish, exits))


def _schedule_task(exits: list[Exit]) -> None:
    """The same when a cleanup is async: a Task."""
    _keep(asyncio.get_running_loop().create_task(_finish_async(exits)))


def _keep(task: asyncio.Future[Any]) -> None:
    _cleanups.add(task)
    task.add_done_callback(_cleanups.discard)


def _finish(exits: list[Exit]) -> None:
    for step, gen in reversed(exits):
        _finish_one(step, gen)  # type: ignore[arg-type]


def _finish_one(step: Step, gen: Generator[Any, Any, Any]) -> None:
    try:
        # A default instead of StopIteration: raising it costs more than the rest.
        if next(gen, _DONE) is _DONE:
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
        extra={"cello_after_response": True},
    )
