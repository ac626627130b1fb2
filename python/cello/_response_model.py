"""``response_model=`` (or a handler's return annotation naming a model): what a route
sends is filtered to the model's fields and checked, as FastAPI does.

Compiled once per route at ``App._engine()``; only routes with a response model or a
``response_class`` are wrapped, so every other route pays nothing.

- A dict, a dataclass, a msgspec Struct or any object with the fields as attributes
  is read field by field: only the model's fields are sent, nested models, ``list[...]``
  and ``dict[str, ...]`` of them too; a required field that is missing is a
  ``ResponseValidationError`` (logged, answered 500, as FastAPI).
- A pydantic v2 model validates with pydantic itself (``from_attributes``).
- ``exclude_unset`` leaves out fields the value did not have (a dict's absent keys,
  a pydantic model's unset fields); ``exclude_none`` fields that are None.
- Scalar fields are passed through as they are (the encoder writes them); only
  pydantic models check the types of their fields.

The field reader here (``_fields``) is small and local; issue 10's ``_models.py``
(``model_fields``) is meant to replace it.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import typing
from typing import Any, Callable, Union

from . import _cello
from .exceptions import ResponseValidationError

_MISSING: Any = dataclasses.MISSING
#: A converter: ``(value, loc, ctx) -> what is sent``.
Conv = Callable[[Any, "tuple[Any, ...]", "_Ctx"], Any]


class _Ctx:
    __slots__ = ("exclude_unset", "exclude_none", "errors")

    def __init__(self, exclude_unset: bool, exclude_none: bool) -> None:
        self.exclude_unset, self.exclude_none = exclude_unset, exclude_none
        self.errors: list[dict[str, Any]] = []


def _module_attr(module: str, name: str) -> Any:
    """``module.name`` when the application imported ``module`` (never imports it)."""
    m = sys.modules.get(module)
    return getattr(m, name, None) if m is not None else None


def _is_pydantic(tp: Any) -> bool:
    base = _module_attr("pydantic", "BaseModel")
    return isinstance(tp, type) and base is not None and issubclass(tp, base)


def _is_msgspec(tp: Any) -> bool:
    base = _module_attr("msgspec", "Struct")
    return isinstance(tp, type) and base is not None and issubclass(tp, base)


def is_model(tp: Any) -> bool:
    """A class whose instances are filtered field by field: a dataclass, a TypedDict,
    a pydantic model or a msgspec Struct."""
    return isinstance(tp, type) and (
        dataclasses.is_dataclass(tp) or typing.is_typeddict(tp) or _is_pydantic(tp) or _is_msgspec(tp)
    )


def _contains_model(tp: Any) -> bool:
    if is_model(tp):
        return True
    return any(_contains_model(a) for a in typing.get_args(tp) if a is not Ellipsis)


class _Field:
    __slots__ = ("name", "key", "conv", "default", "factory")

    def __init__(self, name: str, key: str, conv: Conv, default: Any, factory: Any) -> None:
        # ``name``: the attribute and input key; ``key``: the output key.
        self.name, self.key, self.conv, self.default, self.factory = name, key, conv, default, factory


def _fields(tp: type, memo: dict[Any, Conv]) -> list[_Field]:
    """The fields of a dataclass, TypedDict or msgspec Struct, with their converters."""
    out: list[_Field] = []
    if _is_msgspec(tp):
        structs = sys.modules["msgspec"].structs
        nodefault = sys.modules["msgspec"].NODEFAULT
        for f in structs.fields(tp):
            default = _MISSING if f.default is nodefault else f.default
            factory = _MISSING if f.default_factory is nodefault else f.default_factory
            out.append(_Field(f.name, f.encode_name, _compile(f.type, memo), default, factory))
        return out
    hints = typing.get_type_hints(tp)
    if typing.is_typeddict(tp):
        required = getattr(tp, "__required_keys__", frozenset(hints))
        for name, hint in hints.items():
            # An optional key with no default: left out when absent.
            default = _MISSING if name in required else _ABSENT
            out.append(_Field(name, name, _compile(hint, memo), default, _MISSING))
        return out
    for f in dataclasses.fields(tp):
        out.append(_Field(f.name, f.name, _compile(hints.get(f.name, Any), memo), f.default, f.default_factory))
    return out


#: A TypedDict's optional key that is absent: not sent.
_ABSENT: Any = object()


class _ModelConv:
    """A dataclass, TypedDict or msgspec Struct: read field by field."""

    def __init__(self, tp: type, memo: dict[Any, Conv]) -> None:
        self.tp = tp
        memo[tp] = self
        self.fields = _fields(tp, memo)

    def __call__(self, value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        if isinstance(value, dict):
            get: Callable[[str], Any] = lambda name: value.get(name, _MISSING)  # noqa: E731
        elif value is None or isinstance(value, (str, bytes, int, float, list, tuple)):
            ctx.errors.append(
                {
                    "type": "model_attributes_type",
                    "loc": loc,
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": value,
                }
            )
            return None
        else:
            get = lambda name: getattr(value, name, _MISSING)  # noqa: E731
        out: dict[str, Any] = {}
        for f in self.fields:
            v = get(f.name)
            if v is _MISSING:
                if f.default is _MISSING and f.factory is _MISSING:
                    ctx.errors.append({"type": "missing", "loc": (*loc, f.name), "msg": "Field required", "input": value})
                    continue
                if ctx.exclude_unset or f.default is _ABSENT:
                    continue
                v = f.default if f.default is not _MISSING else f.factory()
            v = f.conv(v, (*loc, f.name), ctx)
            if v is None and ctx.exclude_none:
                continue
            out[f.key] = v
        return out


def _pydantic_conv(tp: Any) -> Conv:
    """A pydantic model (or a type containing one): pydantic validates and dumps."""
    pydantic = sys.modules["pydantic"]
    adapter = pydantic.TypeAdapter(tp)
    base = pydantic.BaseModel

    def prepare(value: Any, ctx: _Ctx) -> Any:
        # As FastAPI: a model returned is dumped first, so only what it set counts.
        if isinstance(value, base):
            return value.model_dump(by_alias=True, exclude_unset=ctx.exclude_unset, exclude_none=ctx.exclude_none)
        if isinstance(value, list):
            return [prepare(v, ctx) for v in value]
        return value

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        try:
            model = adapter.validate_python(prepare(value, ctx), from_attributes=True)
        except pydantic.ValidationError as e:
            for err in e.errors(include_url=False):
                ctx.errors.append({**err, "loc": (*loc, *err["loc"])})
            return None
        return adapter.dump_python(
            model, mode="json", by_alias=True, exclude_unset=ctx.exclude_unset, exclude_none=ctx.exclude_none
        )

    return conv


def _passthrough(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    return value


def _compile(tp: Any, memo: dict[Any, Conv]) -> Conv:
    """The converter for a field or response of type ``tp``."""
    try:
        if tp in memo:
            return memo[tp]
    except TypeError:  # an unhashable annotation
        pass
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _compile(args[0], memo)
    if not _contains_model(tp):
        return _passthrough
    if _is_pydantic(tp):
        return _pydantic_conv(tp)
    if is_model(tp):
        return _ModelConv(tp, memo)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            inner = _compile(rest[0], memo)
            return lambda v, loc, ctx: None if v is None else inner(v, loc, ctx)
    elif origin in (list, set, frozenset, tuple) or (
        origin is not None and origin.__module__ == "collections.abc" and origin.__name__ in ("Sequence", "Iterable")
    ):
        if origin is not tuple or (len(args) == 2 and args[1] is Ellipsis):
            item = _compile(args[0], memo)
            return lambda v, loc, ctx: [item(x, (*loc, i), ctx) for i, x in enumerate(v)]
    elif origin is dict or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
        value_conv = _compile(args[1], memo)
        return lambda v, loc, ctx: {k: value_conv(x, (*loc, k), ctx) for k, x in v.items()}
    raise TypeError(
        f"response model {tp!r}: Cello filters a model, list[Model], dict[str, Model] or Model | None; "
        "another type containing a model cannot be checked (response_model=None sends what the handler returns)"
    )


class ResponsePlan:
    """What a route does with its handler's result before the engine sends it."""

    def __init__(
        self,
        name: str,
        model: Any,
        exclude_unset: bool,
        exclude_none: bool,
        response_class: Any,
        status: int | None,
    ) -> None:
        self.name = name
        self.conv: Conv | None = _compile(model, {}) if model is not None else None
        self.exclude_unset, self.exclude_none = exclude_unset, exclude_none
        self.response_class = response_class
        self.status = status

    def body(self, value: Any) -> Any:
        """``value`` filtered by the response model."""
        if self.conv is None:
            return value
        ctx = _Ctx(self.exclude_unset, self.exclude_none)
        out = self.conv(value, ("response",), ctx)
        if ctx.errors:
            raise ResponseValidationError(ctx.errors, handler=self.name)
        return out

    def apply(self, result: Any) -> Any:
        """The handler's result as it is sent: a ``Response`` untouched; a
        ``(body, status[, headers])`` tuple keeps its status and headers."""
        if isinstance(result, _cello.Response):
            return result
        if isinstance(result, tuple) and len(result) in (2, 3):
            body = self.body(result[0])
            if self.response_class is not None:
                headers = result[2] if len(result) == 3 else None
                return self.response_class(body, status_code=result[1], headers=headers)
            return (body, *result[1:])
        body = self.body(result)
        if self.response_class is not None:
            if self.status is None:
                return self.response_class(body)
            return self.response_class(body, status_code=self.status)
        return body


def declared_model(handler: Callable[..., Any], options: dict[str, Any], name: str) -> Any:
    """The route's response model, or None: ``response_model=`` when given (None turns
    it off), else the return annotation when it names a model (``-> Item``,
    ``-> list[Item]``). A plain type (``dict``, ``list[int]``) is None: what the
    handler returns is sent as it is. For the OpenAPI document too."""
    if "response_model" in options:
        model = options["response_model"]
    else:
        model = _return_model(handler, name)
    if model is not None and not _contains_model(model):
        return None
    return model


def plan_for(handler: Callable[..., Any], options: dict[str, Any], name: str) -> ResponsePlan | None:
    """The route's plan, or None when it sends what the handler returns as it is."""
    model = declared_model(handler, options, name)
    response_class = options.get("response_class")
    from .responses import JSONResponse

    if response_class is JSONResponse:
        # What plain data is sent as anyway.
        response_class = None
    if response_class is not None and not (
        isinstance(response_class, type) and issubclass(response_class, _cello.Response)
    ):
        raise TypeError(f"handler {name}: response_class must be a cello.responses class, not {response_class!r}")
    if model is None and response_class is None:
        return None
    try:
        return ResponsePlan(
            name,
            model,
            bool(options.get("response_model_exclude_unset", False)),
            bool(options.get("response_model_exclude_none", False)),
            response_class,
            options.get("status_code"),
        )
    except TypeError as e:
        raise TypeError(f"handler {name}: {e}") from None


def _return_model(handler: Callable[..., Any], name: str) -> Any:
    """The return annotation when there is one."""
    raw = getattr(handler, "__annotations__", {}).get("return", inspect.Signature.empty)
    if raw is inspect.Signature.empty or raw is None:
        return None
    try:
        return typing.get_type_hints(handler, include_extras=True).get("return")
    except Exception as e:
        raise TypeError(f"handler {name}: cannot resolve its return annotation {raw!r}: {e}") from None


def wrap(handler: Callable[..., Any], is_async: bool, plan: ResponsePlan) -> Callable[..., Any]:
    """``handler`` with ``plan`` applied to what it returns."""
    if is_async:

        async def respond_async(*args: Any) -> Any:
            return plan.apply(await handler(*args))

        respond_async.__qualname__ = getattr(handler, "__qualname__", "handler")
        return respond_async

    def respond(*args: Any) -> Any:
        return plan.apply(handler(*args))

    respond.__qualname__ = getattr(handler, "__qualname__", "handler")
    return respond
