"""A handler's signature, read once at registration: where each argument comes from
(the request, the path, the query string, a header, a cookie, the body, a
dependency), its type and its constraints.

The engine gets the part it converts in Rust (``RouteSignature.engine_args``); the
OpenAPI document is built from the same ``ParamInfo`` list, so the two cannot
disagree. The engine never inspects a signature."""

from __future__ import annotations

import datetime
import enum
import functools
import inspect
import types
import typing
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from . import _cello
from .params import Depends, Param

if TYPE_CHECKING:
    from ._dependencies import Plan

#: Path segment types the router converts (see ``cello_router::ParamType``).
_PATH_TYPES = {int: "int", float: "float", str: "str", uuid.UUID: "uuid"}
#: Scalar types the engine reads from text (query string, headers, cookies, path).
_TEXT_TYPES = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    uuid.UUID: "uuid",
    datetime.date: "date",
    datetime.datetime: "datetime",
}
#: Which engine types each constraint applies to (FastAPI's names).
_CONSTRAINT_KINDS = {
    "gt": ("int", "float"),
    "ge": ("int", "float"),
    "lt": ("int", "float"),
    "le": ("int", "float"),
    "min_length": ("str", "list"),
    "max_length": ("str", "list"),
    "pattern": ("str",),
}

#: What the engine is given for one argument: None (the request), a path
#: parameter's name, or a text parameter's ``(name, type, required, default,
#: choices, source, options)`` (see ``cello-py/src/params.rs``).
EngineArg = Any


@dataclass
class ParamInfo:
    """One argument of a handler (or of a dependency)."""

    #: The Python parameter's name.
    name: str
    #: "request", "path", "query", "header", "cookie", "body", "form", "file",
    #: "depends" or "background" (a ``BackgroundTasks``, made per request by
    #: ``cello.background``).
    source: str
    #: The name on the wire (the query key, the header's name...).
    alias: str
    #: The declared type, without ``Annotated`` and without ``| None``.
    annotation: Any = None
    required: bool = True
    default: Any = None
    #: ``X | None``.
    nullable: bool = False
    #: The ``Query(...)``/``Depends(...)``... that declared it, if any.
    marker: Param | Depends | None = None
    #: The engine's type name: "int", "list[str]", "enum"...
    kind: str | None = None
    #: For Enum/Literal: ``(text on the wire, value, how an error names it)``.
    choices: list[tuple[str, Any, str]] | None = None
    #: Validation options by FastAPI's names: ``{"ge": 1, "pattern": "^a"}``.
    constraints: dict[str, Any] = field(default_factory=dict)
    #: Called per request for a missing value (``Query(default_factory=list)``).
    default_factory: Callable[[], Any] | None = None
    #: A path parameter the engine converts from text (bool, date, a constraint...)
    #: rather than the router.
    converted: bool = False
    #: A file parameter that takes every part of its name (``list[UploadFile]``).
    many: bool = False


@dataclass
class RouteSignature:
    """A handler's arguments in order, and the types the path pattern leaves to the
    annotations."""

    handler_name: str
    params: list[ParamInfo] = field(default_factory=list)
    #: ``[("id", "int")]``: path parameters typed by their annotation.
    param_types: list[tuple[str, str]] = field(default_factory=list)
    #: With dependencies: how to call them and the handler from ``params`` (which
    #: then holds every dependency's own parameters too, each wire name once).
    plan: Plan | None = None
    #: The security schemes the route's dependencies use: ``(scheme_name, the
    #: OpenAPI securityScheme dict, scopes)``, for the OpenAPI document.
    security: list[tuple[str, dict[str, Any], list[str]]] = field(default_factory=list)

    def engine_args(self) -> list[EngineArg]:
        """What the engine passes, in order (see ``cello-py/src/call.rs``)."""
        out: list[EngineArg] = []
        for p in self.params:
            if p.source in ("request", "background"):
                # A `BackgroundTasks` slot: given the request, replaced per request
                # by `cello.background.inject`.
                out.append(None)
            elif p.source == "path" and not p.converted:
                out.append(p.alias)
            elif p.source in ("query", "header", "cookie", "path", "form"):
                options = dict(p.constraints)
                if p.default_factory is not None:
                    options["default_factory"] = p.default_factory
                out.append((p.alias, p.kind, p.required, p.default, p.choices, p.source, options))
            elif p.source == "body":
                out.append(self._body_arg(p))
            elif p.source == "file":
                out.append({"source": "file", "name": p.alias, "kind": p.kind, "list": p.many,
                            "required": p.required, "default": p.default})
            else:
                raise TypeError(f"handler {self.handler_name}: {p.source} parameters are not supported yet")
        return out


    def _body_arg(self, p: ParamInfo) -> dict[str, Any]:
        """The engine's spec for a body parameter (see ``cello-py/src/body.rs``): the
        whole body when it is the only one, else its key of the body object."""
        from ._models import SchemaCompiler, foreign_validator, is_msgspec_struct, msgspec_schema

        body = [b for b in self.params if b.source == "body"]
        embed = len(body) > 1 or any(getattr(b.marker, "embed", False) for b in body)
        compiler = SchemaCompiler(f"handler {self.handler_name}")
        if not embed:
            validate = foreign_validator(p.annotation)
            # A msgspec Struct's refused body is validated again against its schema,
            # for every failure at once (msgspec reports only its first).
            recheck = is_msgspec_struct(p.annotation)
            if recheck:
                root, models = msgspec_schema(p.annotation, f"handler {self.handler_name}")
            else:
                root = "any" if validate is not None else compiler.schema(p.annotation, f"parameter `{p.name}`")
                models = compiler.models
            if p.nullable and validate is None:
                root = ("nullable", root)
            return {"source": "body", "root": root, "models": models, "required": p.required,
                    "default": p.default, "validate": validate, "recheck": recheck, "key": None}
        fields = []
        for b in body:
            if foreign_validator(b.annotation) is not None:
                raise TypeError(
                    f"handler {self.handler_name}: parameter `{b.name}`: a msgspec/pydantic model must be the "
                    f"only body parameter (not embedded) for now; use a dataclass or TypedDict"
                )
            spec = compiler.schema(b.annotation, f"parameter `{b.name}`")
            if b.nullable:
                spec = ("nullable", spec)
            factory = getattr(b.marker, "default_factory", None)
            if factory is not None:
                fields.append((b.alias, b.alias, spec, "factory", factory))
            else:
                fields.append((b.alias, b.alias, spec, "required" if b.required else "value", b.default))
        compiler.models.append((None, False, False, False, fields, None))
        root = ("model", len(compiler.models) - 1)
        return {"source": "body", "root": root, "models": compiler.models, "required": True,
                "default": None, "validate": None, "recheck": False, "key": p.alias}


def handler_name(handler: Callable[..., Any]) -> str:
    if isinstance(handler, functools.partial):
        return f"partial({handler_name(handler.func)})"
    return getattr(handler, "__qualname__", None) or type(handler).__qualname__


def compile_signature(
    path: str,
    handler: Callable[..., Any],
    dependencies: Sequence[Depends] = (),
    overrides: Mapping[Any, Any] | None = None,
) -> RouteSignature:
    """``/users/{id}`` + ``def h(req, id: int, limit: int = 10)`` → the request, the
    path parameter ``id`` (typed int by its annotation) and the query parameter
    ``limit``. The pattern itself is read by the router's parser, in Rust
    (``_cello.route_params``); an annotation Cello cannot honor is a ``TypeError``
    naming the handler and the parameter. ``dependencies`` (route, router and app
    level) and the handler's ``Depends`` parameters are resolved here, once, with
    ``overrides`` (``app.dependency_overrides``) applied (see ``_dependencies``)."""
    name = handler_name(handler)
    try:
        declared = _cello.route_params(path)
    except ValueError as exc:
        raise ValueError(f"handler {name}: {exc}") from None
    out = RouteSignature(name)
    path_params = {pname: (written, catch_all) for pname, written, catch_all in declared}
    for p, ann, marker in _parameters(handler, name):
        info = _classify(out, p, ann, marker, path_params)
        out.params.append(info)
    # Keyword-only parameters are passed by name, which the engine's positional call
    # cannot do: the solver calls such a handler.
    if dependencies or any(p.source == "depends" for p in out.params) or keyword_only(handler):
        from ._dependencies import resolve

        resolve(out, handler, dependencies, overrides or {}, path_params)
    return out


def _parameters(handler: Callable[..., Any], name: str) -> list[tuple[inspect.Parameter, Any, Any]]:
    """Each named parameter (positional, then keyword-only) with its annotation
    (``Annotated`` unwrapped) and its marker (from ``Annotated`` or the default)."""
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of handler {handler!r}: {exc}") from None
    hints = _type_hints(handler)
    out = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in _bound(handler):
            continue
        ann = hints.get(p.name, p.annotation)
        marker = None
        if typing.get_origin(ann) is typing.Annotated:
            args = typing.get_args(ann)
            ann = args[0]
            marker = next((m for m in args[1:] if isinstance(m, (Param, Depends))), None)
        if isinstance(p.default, (Param, Depends)):
            marker = p.default
        out.append((p, ann, marker))
    return out


def keyword_only(call: Callable[..., Any]) -> frozenset[str]:
    """The names of ``call``'s keyword-only parameters."""
    try:
        params = inspect.signature(call).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in _bound(call))


def _bound(call: Callable[..., Any]) -> Mapping[str, Any]:
    """The keywords a ``functools.partial`` fixed: its values, not the request's."""
    return call.keywords if isinstance(call, functools.partial) else {}


def _type_hints(call: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of what calling ``call`` runs: a function (also
    behind ``functools.partial``), a class's ``__init__`` (class dependencies) or an
    instance's ``__call__``."""
    while isinstance(call, functools.partial):
        call = call.func
    targets: list[Any] = [call]
    if isinstance(call, type):
        targets = [getattr(call, "__init__"), call]
    elif not inspect.isfunction(call) and not inspect.ismethod(call) and hasattr(type(call), "__call__"):
        targets = [type(call).__call__, call]
    for target in targets:
        try:
            hints = typing.get_type_hints(target, include_extras=True)
        except Exception:
            hints = _each_hint(target)
        if hints:
            return hints
    return {}


def _each_hint(target: Any) -> dict[str, Any]:
    """The annotations that resolve, one by one, when some do not (a name local to
    a function, under ``from __future__ import annotations``)."""
    out: dict[str, Any] = {}
    namespace = getattr(target, "__globals__", {})
    for name, ann in getattr(target, "__annotations__", {}).items():
        if isinstance(ann, str):
            try:
                ann = eval(ann, namespace)  # what typing.get_type_hints does with each
            except Exception:
                continue
        out[name] = ann
    return out


def _classify(
    out: RouteSignature,
    p: inspect.Parameter,
    ann: Any,
    marker: Param | Depends | None,
    path_params: dict[str, tuple[str | None, bool]],
) -> ParamInfo:
    if isinstance(marker, Depends):
        # Resolved into the dependency's own parameters by `_dependencies.resolve`.
        return ParamInfo(p.name, "depends", p.name, annotation=ann, marker=marker, required=False)
    source = marker.source if marker is not None else None
    if source is None:
        if _is_background(ann):
            return ParamInfo(p.name, "background", p.name, annotation=ann)
        if p.name in path_params:
            source = "path"
        elif _file_kind(ann) is not None:
            source = "file"
        elif _is_body_model(ann):
            source = "body"
        elif _is_request(ann) or p.name in ("req", "request", "ws", "websocket") or (
            ann is p.empty and not out.params and p.default is p.empty
        ):
            return ParamInfo(p.name, "request", p.name)
        else:
            source = "query"
    if source == "path":
        return _path_param(out, p, ann, marker, path_params)
    if source in ("query", "header", "cookie"):
        return _text_param(out.handler_name, p, ann, marker, source)
    if source == "form" and _file_kind(ann) is not None:
        source = "file"  # `f: Annotated[UploadFile, Form()]`, as FastAPI allows
    forms = ("form", "file")
    if source in ("body", *forms) and any(
        (q.source in forms) if source == "body" else (q.source == "body") for q in out.params
    ):
        raise TypeError(
            f"handler {out.handler_name}: parameter `{p.name}`: a handler cannot take both "
            f"Form()/File() and a JSON body"
        )
    if source == "file":
        return _file_param(out.handler_name, p, ann, marker)
    if source == "body":
        return _body_param(out.handler_name, p, ann, marker)
    if source == "form":
        # A form field is read as a query parameter is, from the urlencoded body.
        return _text_param(out.handler_name, p, ann, marker, "form")
    raise TypeError(f"handler {out.handler_name}: parameter `{p.name}`: {source} parameters are not supported yet")


def _path_param(
    out: RouteSignature,
    p: inspect.Parameter,
    ann: Any,
    marker: Param | None,
    path_params: dict[str, tuple[str | None, bool]],
) -> ParamInfo:
    alias = (marker.alias if marker is not None else None) or p.name
    if alias not in path_params:
        raise TypeError(f"handler {out.handler_name}: path parameter `{alias}` is not in the route's path")
    written, catch_all = path_params[alias]
    info = ParamInfo(p.name, "path", alias, annotation=ann, marker=marker)
    info.constraints = marker.constraints() if marker is not None else {}
    if written is not None or catch_all or ann in (None, inspect.Parameter.empty):
        info.kind = "str" if written in (None, "path") else written
        if info.constraints:
            # The router converts; the engine checks the constraints on its text.
            info.converted = True
            _check_constraints(out.handler_name, info)
        return info
    ann, _ = _unwrap_optional(ann)
    info.annotation = ann
    kind = _PATH_TYPES.get(ann)
    if kind is not None and not info.constraints:
        info.kind = kind
        out.param_types.append((alias, kind))
        return info
    # bool, date, Enum... or a constraint: the router passes the segment as text,
    # the engine converts and checks it, failing with loc ["path", name].
    kind, choices = _text_kind(ann)
    if kind is None or kind.startswith("list["):
        raise TypeError(
            f"handler {out.handler_name}: path parameter `{p.name}` is annotated {ann!r}, which Cello cannot "
            f"convert a path segment to; use one of int, float, str, bool, uuid.UUID, datetime.date, "
            f"datetime.datetime, an Enum or a Literal"
        )
    info.kind, info.choices, info.converted = kind, choices, True
    _check_constraints(out.handler_name, info)
    return info


def _choices(t: Any) -> tuple[str, list[tuple[str, Any, str]]] | None:
    """``Literal["a", "b"]`` or an ``Enum``: the kind and ``(text on the wire, value,
    how an error names it)`` triples, else None."""
    if typing.get_origin(t) is typing.Literal:
        values = typing.get_args(t)
        if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            return "literal", [(str(v), v, repr(v)) for v in values]
        return None
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return "enum", [(str(m.value), m, repr(m.value)) for m in t]
    return None


def _unwrap_optional(ann: Any) -> tuple[Any, bool]:
    """``X | None`` → ``(X, True)``."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(ann) if a is not type(None)]
        nullable = len(members) < len(typing.get_args(ann))
        return (members[0] if len(members) == 1 else ann), nullable
    return ann, False


def _text_kind(ann: Any) -> tuple[str | None, list[tuple[str, Any, str]] | None]:
    """The engine's name for a type read from text, with its choices; ``(None,
    None)`` when it cannot be."""
    kind = _TEXT_TYPES.get(ann)
    if kind is not None:
        return kind, None
    if (found := _choices(ann)) is not None:
        return found
    if typing.get_origin(ann) is list and len(typing.get_args(ann)) == 1:
        # `tags: list[str] = []`: every value of a repeated key, in order.
        item, choices = _text_kind(typing.get_args(ann)[0])
        if item is not None and not item.startswith("list["):
            return f"list[{item}]", choices
    return None, None


def _text_param(handler: str, p: inspect.Parameter, ann: Any, marker: Param | None, source: str) -> ParamInfo:
    """A query, header or cookie parameter. As in FastAPI, only a default makes it
    optional: ``X | None`` (or ``Optional[X]``) without one is still required."""
    if ann is inspect.Parameter.empty:
        ann = str
    ann, nullable = _unwrap_optional(ann)
    kind, choices = _text_kind(ann)
    where = {"query": "the query string", "header": "a header", "cookie": "a cookie", "form": "a form body"}[source]
    if kind is None:
        raise TypeError(
            f"handler {handler}: {source} parameter `{p.name}` is annotated {ann!r}, which Cello cannot "
            f"read from {where}; use int, float, str, bool, uuid.UUID, datetime.date, datetime.datetime, "
            f"an Enum or Literal, a list[...] of one of them, or one of them | None"
        )
    if source == "cookie" and kind.startswith("list["):
        raise TypeError(
            f"handler {handler}: cookie parameter `{p.name}` is annotated {ann!r}: a cookie has one value, "
            f"declare it as a scalar"
        )
    # `q: str = Query("x")` or `q: Annotated[str, Query()] = "x"`.
    default = p.default
    if marker is not None and (p.default is marker or p.default is inspect.Parameter.empty):
        default = marker.default
    factory = marker.default_factory if marker is not None else None
    if default is Ellipsis or factory is not None:
        default = inspect.Parameter.empty
    alias = marker.alias if marker is not None else None
    if alias is None:
        alias = p.name
        if source == "header" and getattr(marker, "convert_underscores", True):
            alias = p.name.replace("_", "-")
    info = ParamInfo(p.name, source, alias, ann, nullable=nullable, marker=marker, kind=kind, choices=choices)
    info.constraints = marker.constraints() if marker is not None else {}
    _check_constraints(handler, info)
    if factory is not None:
        info.required, info.default, info.default_factory = False, None, factory
    elif default is inspect.Parameter.empty:
        info.required, info.default = True, None
    else:
        info.required, info.default = False, default
    return info


def _file_kind(ann: Any) -> tuple[str, bool] | None:
    """``UploadFile`` → ``("upload", False)``, ``list[UploadFile]`` → ``("upload",
    True)``; with ``bytes`` too when ``File()`` marks it (``allow_bytes``)."""
    return _file_kind_of(ann, allow_bytes=False)


def _file_kind_of(ann: Any, allow_bytes: bool) -> tuple[str, bool] | None:
    from .datastructures import UploadFile

    ann = _unwrap_optional(ann)[0]
    many = typing.get_origin(ann) is list and len(typing.get_args(ann)) == 1
    item = typing.get_args(ann)[0] if many else ann
    if item is UploadFile:
        return "upload", many
    if allow_bytes and item is bytes:
        return "bytes", many
    return None


def _file_param(handler: str, p: inspect.Parameter, ann: Any, marker: Param | None) -> ParamInfo:
    """A file part (``File()``, or an ``UploadFile`` annotation): the ``UploadFile``,
    its content as ``bytes``, or a list of either for a repeated name."""
    found = _file_kind_of(ann, allow_bytes=True)
    if found is None:
        raise TypeError(
            f"handler {handler}: file parameter `{p.name}` is annotated {ann!r}; use UploadFile, bytes, "
            f"list[UploadFile] or list[bytes] (or one of them | None)"
        )
    kind, many = found
    unwrapped, nullable = _unwrap_optional(ann)
    default = p.default
    if marker is not None and (p.default is marker or p.default is inspect.Parameter.empty):
        default = marker.default
    alias = (marker.alias if marker is not None else None) or p.name
    info = ParamInfo(p.name, "file", alias, unwrapped, nullable=nullable, marker=marker, kind=kind)
    info.many = many
    if default is inspect.Parameter.empty or default is Ellipsis:
        info.required, info.default = True, None
    else:
        info.required, info.default = False, default
    return info


def _is_body_model(ann: Any) -> bool:
    """``item: Item`` (or ``Item | None``) for a dataclass, TypedDict, msgspec Struct
    or pydantic model: the JSON body, without a marker (FastAPI's rule for models)."""
    from ._models import is_model

    ann = _unwrap_optional(ann)[0]
    if typing.get_origin(ann) in (list, dict):
        # `items: list[Item]`: a JSON array of models is a body too, as in FastAPI.
        return any(is_model(a) for a in typing.get_args(ann))
    return is_model(ann)


def _body_param(handler: str, p: inspect.Parameter, ann: Any, marker: Param | None) -> ParamInfo:
    """A body parameter: a model, or anything marked ``Body()``. Its schema is compiled
    when the engine's arguments are (all body parameters are known then)."""
    if ann is inspect.Parameter.empty:
        ann = Any
    ann, nullable = _unwrap_optional(ann)
    if marker is not None and marker.constraints():
        raise TypeError(
            f"handler {handler}: body parameter `{p.name}`: constraints ({', '.join(marker.constraints())}) "
            f"are not supported on body parameters yet"
        )
    default = marker.default if marker is not None else p.default
    if default is Ellipsis:
        default = inspect.Parameter.empty
    alias = (marker.alias if marker is not None else None) or p.name
    info = ParamInfo(p.name, "body", alias, ann, nullable=nullable, marker=marker, kind="body")
    factory = getattr(marker, "default_factory", None)
    if default is inspect.Parameter.empty and factory is None:
        info.required, info.default = not nullable, None
    else:
        info.required, info.default = False, None if default is inspect.Parameter.empty else default
    # The schema is compiled now: an annotation Cello cannot validate fails at registration.
    from ._models import SchemaCompiler, foreign_validator

    if foreign_validator(ann) is None:
        SchemaCompiler(f"handler {handler}").schema(ann, f"parameter `{p.name}`")
    return info


def _check_constraints(handler: str, info: ParamInfo) -> None:
    """A constraint the type cannot have (``ge`` on a str) is a ``TypeError``; a
    pattern the engine cannot compile is caught when the route is added."""
    kind = info.kind or "str"
    family = "list" if kind.startswith("list[") else kind
    for name in info.constraints:
        if family not in _CONSTRAINT_KINDS[name]:
            applies = " and ".join(_CONSTRAINT_KINDS[name])
            raise TypeError(
                f"handler {handler}: {info.source} parameter `{info.name}`: `{name}` applies to {applies} "
                f"values, not {info.annotation!r}"
            )


def _is_request(ann: Any) -> bool:
    from ._cello import Request
    from .websockets import WebSocket

    # A WebSocket handler's socket stands where a route's request does.
    return ann is Request or ann is WebSocket or ann in ("Request", "WebSocket")


def _is_background(ann: Any) -> bool:
    from .background import BackgroundTasks

    return isinstance(ann, type) and issubclass(ann, BackgroundTasks)
