"""Dependency injection resolved once at registration: ``Depends(fn)`` anywhere in a
route's graph becomes a ``Plan``, a list of steps the solver (``_solver``) runs per
request.

The order: the app's, routers' and route's ``dependencies=`` first, then the
handler's ``Depends`` parameters in order, each dependency's own dependencies before
it. Every dependency's own parameters (query, path, the request...) join the
route's flat ``RouteSignature.params``, one entry per wire name, so the engine
converts them all in Rust and answers every failure in one 422, and the OpenAPI
document lists them. Caching per request is decided here too: a callable used
twice with ``use_cache=True`` is one step whose result both users get, so there is
no per-request cache to look things up in.

``app.dependency_overrides`` is applied here, when the engine is built (the server
or ``TestClient`` starts). A change while serving is noticed by the route's next
request, which builds its plan again (``Plan.rebuilt``) against the parameters the
engine already reads.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .params import Depends, Security
from .security import SecurityScopes
from ._signature import ParamInfo, RouteSignature, _classify, _parameters, handler_name, keyword_only

#: How a step is called: "sync", "async", "gen" (a generator with one ``yield``)
#: or "asyncgen".
Kind = str


@dataclass(eq=False)
class Step:
    """One call: a dependency, or (the last step) the handler."""

    call: Callable[..., Any]
    name: str
    kind: Kind
    #: Per argument: ``(True, i)`` the i-th flat argument, ``(False, j)`` the result
    #: of step j.
    args: list[tuple[bool, int]] = field(default_factory=list)
    #: The names the last ``len(keywords)`` arguments are passed by (keyword-only
    #: parameters, which come last in a signature).
    keywords: tuple[str, ...] = ()
    #: ``Depends(scope=...)``: "function" ends a yield dependency when the handler
    #: returns, before the response.
    scope: str | None = None


@dataclass(eq=False)
class Plan:
    """The steps of one route, the handler last, and what built them (to build them
    again when ``app.dependency_overrides`` changes while serving)."""

    steps: list[Step]
    #: Keys of the flat arguments the steps read: ``(source, wire name)``.
    keys: list[tuple[str, str]]
    handler: Callable[..., Any]
    handler_name: str
    #: The handler's own parameters, ``depends`` ones included.
    own: list[ParamInfo]
    dependencies: Sequence[Depends]
    path_params: dict[str, tuple[str | None, bool]]

    @property
    def is_async(self) -> bool:
        return any(s.kind in ("async", "asyncgen") for s in self.steps)

    def rebuilt(self, overrides: Mapping[Any, Any]) -> Plan:
        """The plan with ``overrides`` applied, reading the same flat arguments as
        this one (what the engine was given when it started); a ``RuntimeError`` if
        an override needs a parameter the route did not read then."""
        plan, flat = build(
            RouteSignature(self.handler_name), self.handler, self.own, self.dependencies, overrides, self.path_params
        )
        where = {key: i for i, key in enumerate(self.keys)}
        remap: list[int] = []
        for info in flat:
            i = where.get(_key(info), -1)
            if i < 0:
                raise RuntimeError(
                    f"handler {self.handler_name}: a dependency override set while serving reads {info.source} "
                    f"parameter `{info.alias}`, which the route did not read when it started; set "
                    "app.dependency_overrides before the server (or TestClient) starts"
                )
            remap.append(i)
        for step in plan.steps:
            step.args = [(True, remap[i]) if is_flat else (False, i) for is_flat, i in step.args]
        plan.keys = self.keys
        return plan


class DependencyOverrides(dict[Any, Any]):
    """``app.dependency_overrides``: ``{original: replacement}``. Counts its changes so
    routes built before one notice it on their next request."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.version = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self.version += 1

    def clear(self) -> None:
        super().clear()
        self.version += 1

    def pop(self, key: Any, *default: Any) -> Any:
        self.version += 1
        return super().pop(key, *default)

    def popitem(self) -> tuple[Any, Any]:
        self.version += 1
        return super().popitem()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.version += 1
        return super().setdefault(key, default)

    def update(self, *args: Any, **kw: Any) -> None:
        super().update(*args, **kw)
        self.version += 1

    def __ior__(self, other: Any) -> DependencyOverrides:  # type: ignore[misc]
        self.update(other)
        return self


def _key(info: ParamInfo) -> tuple[str, str]:
    return ("request", "") if info.source == "request" else (info.source, info.alias)


def _keywords(call: Callable[..., Any], params: list[ParamInfo]) -> tuple[str, ...]:
    """The names of ``params`` (``call``'s, in order) passed by keyword."""
    names = keyword_only(call)
    return tuple(p.name for p in params if p.name in names)


def _kind(call: Callable[..., Any]) -> Kind:
    # A function (or a partial of one), else a callable instance's `__call__` (the
    # security helpers); a class is called to construct it, so it is "sync".
    targets = [call] if isinstance(call, type) else [call, getattr(type(call), "__call__", None)]
    for target in targets:
        if inspect.isasyncgenfunction(target):
            return "asyncgen"
        if inspect.isgeneratorfunction(target):
            return "gen"
        if inspect.iscoroutinefunction(target):
            return "async"
    return "sync"


class _Builder:
    """Walks the dependency graph of one route."""

    def __init__(
        self, out: RouteSignature, overrides: Mapping[Any, Any], path_params: dict[str, tuple[str | None, bool]]
    ) -> None:
        self.out = out
        self.overrides = overrides
        self.path_params = path_params
        self.flat: list[ParamInfo] = []
        self.slots: dict[tuple[str, str], int] = {}
        self.steps: list[Step] = []
        self.cached: dict[Any, int] = {}
        self.stack: list[Any] = []

    def place(self, info: ParamInfo, owner: str) -> int:
        """The flat slot of a wire parameter, shared with any earlier one of the same name."""
        key = _key(info)
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = len(self.flat)
            self.flat.append(info)
        elif info.source != "request" and self.flat[slot].kind != info.kind:
            raise TypeError(
                f"handler {self.out.handler_name}: {info.source} parameter `{info.alias}` is read as "
                f"{self.flat[slot].kind} and, by {owner}, as {info.kind}; declare it with one type"
            )
        return slot

    def args_of(self, params: list[ParamInfo], owner: str, scopes: list[str]) -> list[tuple[bool, int]]:
        out: list[tuple[bool, int]] = []
        for info in params:
            if info.source == "depends":
                assert isinstance(info.marker, Depends)
                out.append((False, self.dependency(info.marker, info.annotation, owner, scopes)))
            elif info.source == "security_scopes":
                out.append((False, self.constant(SecurityScopes(scopes))))
            else:
                out.append((True, self.place(info, owner)))
        return out

    def dependency(self, marker: Depends, annotation: Any, owner: str, scopes: list[str]) -> int:
        """The step (added if new) that gives ``marker``'s value."""
        original = marker.dependency
        if original is None:
            if annotation in (None, inspect.Parameter.empty) or not callable(annotation):
                raise TypeError(f"{owner}: Depends() without a dependency needs a class annotation to call")
            original = annotation
        if isinstance(marker, Security):
            scopes = [*scopes, *marker.scopes]
        self.note_security(original, scopes)
        call = self.overrides.get(original, original)
        # FastAPI's cache key: the same dependency under other scopes is another call.
        key = (call, tuple(sorted(set(scopes))))
        if marker.use_cache and key in self.cached:
            return self.cached[key]
        name = handler_name(call)
        if any(c is call for c in self.stack):
            raise TypeError(f"{owner}: dependency {name} depends on itself")
        self.stack.append(call)
        try:
            sub = RouteSignature(f"{self.out.handler_name} (its dependency {name})")
            for p, ann, m in _parameters(call, sub.handler_name):
                if ann is SecurityScopes:
                    sub.params.append(ParamInfo(p.name, "security_scopes", p.name, annotation=ann, required=False))
                    continue
                sub.params.append(_classify(sub, p, ann, m, self.path_params))
            for typed in sub.param_types:
                if typed not in self.out.param_types:
                    self.out.param_types.append(typed)
            args = self.args_of(sub.params, f"dependency {name}", scopes)
        finally:
            self.stack.pop()
        self.steps.append(Step(call, name, _kind(call), args, _keywords(call, sub.params), marker.scope))
        index = len(self.steps) - 1
        if marker.use_cache:
            self.cached[key] = index
        return index

    def constant(self, value: Any) -> int:
        """A step that gives ``value`` (what is known at registration)."""
        self.steps.append(Step(lambda: value, type(value).__name__, "sync", []))
        return len(self.steps) - 1

    def note_security(self, call: Any, scopes: list[str]) -> None:
        from .security import SecurityBase

        if not isinstance(call, SecurityBase):
            return
        for i, (name, model, have) in enumerate(self.out.security):
            if name == call.scheme_name:
                self.out.security[i] = (name, model, [*have, *(s for s in scopes if s not in have)])
                return
        self.out.security.append((call.scheme_name, call.model, list(scopes)))


def build(
    out: RouteSignature,
    handler: Callable[..., Any],
    own: list[ParamInfo],
    dependencies: Sequence[Depends],
    overrides: Mapping[Any, Any],
    path_params: dict[str, tuple[str | None, bool]],
) -> tuple[Plan, list[ParamInfo]]:
    """The plan of a route whose handler's classified parameters are ``own``, and its
    flat parameter list."""
    b = _Builder(out, overrides, path_params)
    for dep in dependencies:
        if not isinstance(dep, Depends):
            raise TypeError(f"handler {out.handler_name}: dependencies=[...] takes Depends(...), not {dep!r}")
        b.dependency(dep, None, f"handler {out.handler_name}", [])
    args = b.args_of(own, f"handler {out.handler_name}", [])
    kind = "async" if inspect.iscoroutinefunction(handler) else "sync"
    b.steps.append(Step(handler, out.handler_name, kind, args, _keywords(handler, own)))
    keys = [_key(i) for i in b.flat]
    return Plan(b.steps, keys, handler, out.handler_name, own, dependencies, path_params), b.flat


def resolve(
    out: RouteSignature,
    handler: Callable[..., Any],
    dependencies: Sequence[Depends],
    overrides: Mapping[Any, Any],
    path_params: dict[str, tuple[str | None, bool]],
) -> None:
    """Replaces ``out.params`` (the handler's, ``Depends`` included) with the flat list
    of every wire parameter of the route and sets ``out.plan``."""
    out.security = []
    out.plan, out.params = build(out, handler, out.params, dependencies, overrides, path_params)
