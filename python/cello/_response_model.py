"""``response_model=`` (or a handler's return annotation naming a model): what a route
sends is filtered to the model's fields, checked and converted, as FastAPI does.

Compiled once per route at ``App._engine()``; only routes with a response model or a
``response_class`` are wrapped, so every other route pays nothing.

- A dict, a dataclass, a msgspec Struct or any object with the fields as attributes
  is read field by field: only the model's fields are sent, nested models, ``list[...]``
  and ``dict[str, ...]`` of them too.
- Each field is checked and converted as ``pydantic.TypeAdapter(Model).validate_python``
  does in lax mode (``"5"`` for an ``int`` is sent as ``5``): int, float, str, bool,
  None, unions, Enum, Literal, UUID, date, datetime, lists, dicts and nested models.
  Other types (Decimal, fixed tuples, the application's classes) are sent as they are.
  A value of exactly ``int``, ``float``, ``str`` or ``bool`` in such a field costs one
  type check. Every failure, like a required field that is missing, is recorded with
  pydantic's ``type``/``loc``/``msg``: together they are a ``ResponseValidationError``
  (logged, answered 500, as FastAPI).
- A pydantic v2 model validates with pydantic itself (``from_attributes``).
- ``exclude_unset`` leaves out fields the value did not have (a dict's absent keys,
  a pydantic model's unset fields); ``exclude_none`` fields that are None.

The field reader here (``_fields``) is small and local; issue 10's ``_models.py``
(``model_fields``) is meant to replace it.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import inspect
import math
import re
import sys
import types
import typing
import uuid
from collections.abc import Iterator, KeysView, Mapping, ValuesView
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
    __slots__ = ("name", "key", "conv", "default", "factory", "exact")

    def __init__(self, name: str, key: str, conv: Conv, default: Any, factory: Any) -> None:
        # ``name``: the attribute and input key; ``key``: the output key.
        self.name, self.key, self.conv, self.default, self.factory = name, key, conv, default, factory
        #: For an int, float, str or bool field: that type, whose values are sent as
        #: they are without calling ``conv`` (the common case, kept cheap).
        self.exact: Any = _EXACT.get(conv)


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
        # `NotRequired[X]` as written wins: under `from __future__ import annotations`
        # CPython 3.11 counts such a key in `__required_keys__`.
        marked = {k: typing.get_origin(v) for k, v in typing.get_type_hints(tp, include_extras=True).items()}
        for name, hint in hints.items():
            # An optional key with no default: left out when absent.
            is_required = marked.get(name) is typing.Required or (
                name in required and marked.get(name) is not typing.NotRequired
            )
            default = _MISSING if is_required else _ABSENT
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
        is_dict = isinstance(value, dict)
        if not is_dict and (value is None or isinstance(value, (str, bytes, int, float, list, tuple))):
            return self.wrong_type(value, loc, ctx)
        out: dict[str, Any] = {}
        for f in self.fields:
            v = value.get(f.name, _MISSING) if is_dict else getattr(value, f.name, _MISSING)
            if type(v) is f.exact:
                out[f.key] = v
                continue
            if v is _MISSING:
                if f.default is _MISSING and f.factory is _MISSING:
                    ctx.errors.append({"type": "missing", "loc": (*loc, f.name), "msg": "Field required", "input": value})
                    continue
                if ctx.exclude_unset or f.default is _ABSENT:
                    continue
                # Sent as it is: pydantic does not check defaults either.
                v = f.default if f.default is not _MISSING else f.factory()
            else:
                v = f.conv(v, (*loc, f.name), ctx)
            if v is None and ctx.exclude_none:
                continue
            out[f.key] = v
        return out

    def wrong_type(self, value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> None:
        """Not a dict nor an object with attributes: pydantic's error for the model."""
        if dataclasses.is_dataclass(self.tp):
            name = self.tp.__name__
            msg = f"Input should be a dictionary or an instance of {name}"
            return _fail(ctx, "dataclass_type", loc, msg, value, {"class_name": name})
        if typing.is_typeddict(self.tp):
            return _fail(ctx, "dict_type", loc, "Input should be a valid dictionary", value)
        msg = "Input should be a valid dictionary or object to extract fields from"
        return _fail(ctx, "model_attributes_type", loc, msg, value)


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


def _fail(ctx: _Ctx, kind: str, loc: tuple[Any, ...], msg: str, value: Any, info: Any = None) -> None:
    """Records one of pydantic's errors; the converter then returns None."""
    error = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if info is not None:
        error["ctx"] = info
    ctx.errors.append(error)


def _passthrough(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    return value


def _text(value: Any) -> str | None:
    """A str, or bytes as UTF-8, as pydantic's lax mode reads them for a number or a
    boolean; None for anything else (or bytes that are not UTF-8)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return None


#: An integer as text: digits with single underscores between them, and ``.0`` at most.
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
#: Past this, pydantic gives up on a float (``int_parsing_size``): i64's range.
_INT_FLOAT_LIMIT = 2.0**63
#: Python's limit on the digits ``int()`` reads from text (and pydantic's).
_INT_DIGITS = 4300
_INT_TYPE = "Input should be a valid integer"
_INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"
_INT_FRACTION = "Input should be a valid integer, got a number with a fractional part"
_INT_SIZE = "Unable to parse input string as an integer, exceeded maximum size"


def _int(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, int):  # bool, an IntEnum member
        return int(value)
    if isinstance(value, (float, decimal.Decimal)):
        if not math.isfinite(value):
            return _fail(ctx, "finite_number", loc, "Input should be a finite number", value)
        if value != int(value):
            return _fail(ctx, "int_from_float", loc, _INT_FRACTION, value)
        if isinstance(value, float) and abs(value) >= _INT_FLOAT_LIMIT:
            return _fail(ctx, "int_parsing_size", loc, _INT_SIZE, value)
        return int(value)
    text = _text(value)
    if text is None:
        if isinstance(value, bytes):
            return _fail(ctx, "int_parsing", loc, _INT_PARSING, value)
        return _fail(ctx, "int_type", loc, _INT_TYPE, value)
    text = text.strip()
    if not _INT_TEXT.fullmatch(text):
        return _fail(ctx, "int_parsing", loc, _INT_PARSING, value)
    digits = text.partition(".")[0]
    if len(digits) > _INT_DIGITS:
        return _fail(ctx, "int_parsing_size", loc, _INT_SIZE, value)
    return int(digits)


_FLOAT_TYPE = "Input should be a valid number"
_FLOAT_PARSING = "Input should be a valid number, unable to parse string as a number"


def _float(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if type(value) is float:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):  # bool, int, a float subclass
        try:
            return float(value)
        except OverflowError:  # an int past float's range
            return _fail(ctx, "float_type", loc, _FLOAT_TYPE, value)
    text = _text(value)
    if text is None:
        if isinstance(value, bytes):
            return _fail(ctx, "float_parsing", loc, _FLOAT_PARSING, value)
        return _fail(ctx, "float_type", loc, _FLOAT_TYPE, value)
    try:
        if not text.isascii():
            raise ValueError(text)
        return float(text)
    except ValueError:
        return _fail(ctx, "float_parsing", loc, _FLOAT_PARSING, value)


def _str(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return str.__str__(value.value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode()
        except UnicodeDecodeError:
            msg = "Input should be a valid string, unable to parse raw data as a unicode string"
            return _fail(ctx, "string_unicode", loc, msg, value)
    return _fail(ctx, "string_type", loc, "Input should be a valid string", value)


#: The words pydantic reads as a boolean (any case).
_BOOL_WORDS = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}
_BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"


def _bool(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if type(value) is bool:
        return value
    if isinstance(value, (int, decimal.Decimal)):
        if value in (0, 1):
            return bool(value)
        return _fail(ctx, "bool_parsing", loc, _BOOL_PARSING, value)
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    text = _text(value)
    if text is None:
        return _fail(ctx, "bool_type", loc, "Input should be a valid boolean", value)
    word = _BOOL_WORDS.get(text.lower())
    if word is None:
        return _fail(ctx, "bool_parsing", loc, _BOOL_PARSING, value)
    return word


def _none(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if value is None:
        return None
    return _fail(ctx, "none_required", loc, "Input should be None", value)


def _uuid(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, bytes) and len(value) == 16:
        return uuid.UUID(bytes=value)
    text = _text(value)
    if text is None:
        if isinstance(value, bytes):
            text = value.decode(errors="replace")
        else:
            return _fail(ctx, "uuid_type", loc, "UUID input should be a string, bytes or UUID object", value)
    ok, parsed = _cello.parse_uuid(text)
    if ok:
        return uuid.UUID(int=parsed)
    return _fail(ctx, "uuid_parsing", loc, f"Input should be a valid UUID, {parsed}", value, {"error": parsed})


def _when_text(value: Any) -> str | None:
    """What pydantic reads a date or datetime from, as text: a string, bytes, or a
    number (a Unix timestamp)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    return _text(value)


def _date(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if type(value) is datetime.date:
        return value
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time():
            msg = "Datetimes provided to dates should have zero time - e.g. be exact dates"
            return _fail(ctx, "date_from_datetime_inexact", loc, msg, value)
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return _parse_when(value, loc, ctx, False)


def _datetime(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    return _parse_when(value, loc, ctx, True)


def _parse_when(value: Any, loc: tuple[Any, ...], ctx: _Ctx, is_datetime: bool) -> Any:
    text = _when_text(value)
    if text is None:
        if is_datetime:
            return _fail(ctx, "datetime_type", loc, "Input should be a valid datetime", value)
        return _fail(ctx, "date_type", loc, "Input should be a valid date", value)
    ok, parsed = _cello.parse_date(text, is_datetime)
    if ok:
        return parsed
    kind, msg, info = parsed
    return _fail(ctx, kind, loc, msg, value, info)


#: The converters of the types pydantic converts and checks on their own.
_SCALAR_CONVS: dict[Any, Conv] = {
    int: _int,
    float: _float,
    str: _str,
    bool: _bool,
    type(None): _none,
    None: _none,
    uuid.UUID: _uuid,
    datetime.date: _date,
    datetime.datetime: _datetime,
}


#: The fields whose values of exactly this type are sent as they are.
_EXACT: dict[Any, type] = {_int: int, _float: float, _str: str, _bool: bool}


def _choices_text(values: Any) -> str:
    """Pydantic's list of the allowed values: "'a', 'b' or 'c'"."""
    labels = [repr(v) for v in values]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def _enum_conv(tp: type[enum.Enum]) -> Conv:
    """A member, or its value (lax: a number's as text too, for an int enum)."""
    try:
        by_value = {m.value: m for m in tp}
    except TypeError:  # a value that cannot be a key: only members are taken
        by_value = {}
    ints = issubclass(tp, int)
    expected = _choices_text([m.value for m in tp])
    info = {"expected": expected}

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        if isinstance(value, tp):
            return value
        if not isinstance(value, enum.Enum):
            try:
                if ints and not isinstance(value, int):
                    sub = _Ctx(False, False)
                    value_int = _int(value, loc, sub)
                    if not sub.errors:
                        return by_value[value_int]
                return by_value[value]
            except (KeyError, TypeError):
                pass
        return _fail(ctx, "enum", loc, f"Input should be {expected}", value, info)

    return conv


def _literal_conv(values: tuple[Any, ...]) -> Conv:
    """One of the values: a str equal to a str one, an int (or a bool, or a float
    without a fraction) to an int one."""
    expected = _choices_text(values)
    info = {"expected": expected}
    strs = {v for v in values if type(v) is str}
    ints = {v for v in values if type(v) is int}
    others = [v for v in values if type(v) not in (str, int)]

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        if type(value) is str:
            if value in strs:
                return value
        elif isinstance(value, (int, float)) and not isinstance(value, enum.Enum):
            if value in ints and value == int(value):
                return int(value)
        for v in others:
            if type(v) is type(value) and v == value:
                return value
        return _fail(ctx, "literal_error", loc, f"Input should be {expected}", value, info)

    return conv


def _list_conv(item: Conv) -> Conv:
    """A list, or any other sequence, set or iterator but text, bytes and mappings."""

    exact = _EXACT.get(item)

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        if type(value) is not list:
            if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(
                value, (list, tuple, set, frozenset, collections.deque, KeysView, ValuesView, Iterator)
            ):
                return _fail(ctx, "list_type", loc, "Input should be a valid list", value)
            value = list(value)
        if item is _passthrough:
            return value
        if exact is not None:
            for x in value:
                if type(x) is not exact:
                    break
            else:  # the common case: nothing to convert
                return value
        return [item(x, (*loc, i), ctx) for i, x in enumerate(value)]

    return conv


def _dict_conv(key: Conv, item: Conv) -> Conv:
    exact = _EXACT.get(item)

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        if not isinstance(value, Mapping):
            return _fail(ctx, "dict_type", loc, "Input should be a valid dictionary", value)
        if (key is _passthrough or key is _str) and item is _passthrough and type(value) is dict:
            # dict[str, Any]: nothing to convert when every key is a str
            for k in value:
                if type(k) is not str:
                    break
            else:
                return value
        if key is _passthrough and item is _passthrough:
            return dict(value)
        if key is _str and exact is not None and type(value) is dict:
            for k, x in value.items():
                if type(k) is not str or type(x) is not exact:
                    break
            else:  # the common case: nothing to convert
                return value
        out = {}
        for k, x in value.items():
            k2 = key(k, (*loc, k, "[key]"), ctx)
            out[k2] = item(x, (*loc, k), ctx)
        return out

    return conv


def _exact(tp: Any) -> Callable[[Any], bool]:
    """Whether a value is of ``tp`` as it is, for a union's first pass."""
    if tp is float or tp is int or tp is str or tp is bool:
        return lambda v: type(v) is tp
    if tp is type(None) or tp is None:
        return lambda v: v is None
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        values = typing.get_args(tp)
        return lambda v: any(type(v) is type(x) and v == x for x in values)
    if tp is datetime.date:
        return lambda v: type(v) is datetime.date
    base = origin if origin is not None else tp
    if isinstance(base, type):
        if base is collections.abc.Mapping or typing.is_typeddict(tp):
            base = dict
        elif base.__module__ == "collections.abc":
            base = list
        return lambda v: isinstance(v, base)
    return lambda v: False


def _union_tag(tp: Any) -> str:
    """How pydantic names a member of a union in an error's ``loc``."""
    if tp is Any or tp is object:
        return "any"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return f"enum[{tp.__name__}]"
        names = {int: "int", float: "float", str: "str", bool: "bool", uuid.UUID: "uuid",
                 datetime.date: "date", datetime.datetime: "datetime", list: "list[any]",
                 dict: "dict[any,any]"}  # fmt: skip
        return names.get(tp, tp.__name__)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return f"literal[{','.join(repr(a) for a in args)}]"
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = _union_tag(rest[0]) if len(rest) == 1 else f"union[{','.join(_union_tag(a) for a in rest)}]"
        return f"nullable[{inner}]" if len(rest) < len(args) else inner
    if origin is typing.Annotated:
        return _union_tag(args[0])
    if origin is dict or origin is Mapping:
        return f"dict[{_union_tag(args[0])},{_union_tag(args[1])}]"
    if args:
        return f"list[{_union_tag(args[0])}]"
    return repr(tp)


def _union_conv(members: list[Any], memo: dict[Any, Conv]) -> Conv:
    """Pydantic's smart union: the first member the value is exactly of, else the
    first that converts it, else every member's errors (each under its name)."""
    convs = [(_exact(m), _compile(m, memo), _union_tag(m)) for m in members]

    def conv(value: Any, loc: tuple[Any, ...], ctx: _Ctx) -> Any:
        outer = ctx.errors
        failures: list[dict[str, Any]] = []
        try:
            for exact, member, _ in convs:
                if exact(value):
                    ctx.errors = []
                    out = member(value, loc, ctx)
                    if not ctx.errors:
                        return out
            for _, member, tag in convs:
                ctx.errors = []
                out = member(value, (*loc, tag), ctx)
                if not ctx.errors:
                    return out
                failures.extend(ctx.errors)
        finally:
            ctx.errors = outer
        outer.extend(failures)
        return None

    return conv


def _model_count(tp: Any) -> int:
    """How many members of a union are (or hold) models."""
    return sum(_contains_model(a) for a in typing.get_args(tp) if a is not type(None))


def _compile(tp: Any, memo: dict[Any, Conv]) -> Conv:
    """The converter for a field or response of type ``tp``: it checks and converts a
    value as ``pydantic.TypeAdapter(tp).validate_python`` in lax mode does."""
    try:
        if tp in memo:
            return memo[tp]
        scalar = _SCALAR_CONVS.get(tp)
        if scalar is not None:
            return scalar
    except TypeError:  # an unhashable annotation
        pass
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _compile(args[0], memo)
    if tp is Any or tp is object:
        return _passthrough
    if _is_pydantic(tp):
        return _pydantic_conv(tp)
    if is_model(tp):
        return _ModelConv(tp, memo)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_conv(tp)
    if origin is typing.Literal:
        return _literal_conv(args)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) > 1 and _model_count(tp) > 1:
            raise TypeError(
                f"response model {tp!r}: Cello filters a model, list[Model], dict[str, Model] or Model | None; "
                "a union of models cannot be checked (response_model=None sends what the handler returns)"
            )
        inner = _compile(rest[0], memo) if len(rest) == 1 else _union_conv(rest, memo)
        if len(rest) == len(args):
            return inner
        return lambda v, loc, ctx: None if v is None else inner(v, loc, ctx)
    if tp is list or tp in (set, frozenset) or origin in (list, set, frozenset) or (
        origin is not None and origin.__module__ == "collections.abc" and origin.__name__ in ("Sequence", "Iterable")
    ):
        return _list_conv(_compile(args[0], memo) if args else _passthrough)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _list_conv(_compile(args[0], memo))
    if tp is dict or origin is dict or origin is Mapping:
        if not args:
            return _dict_conv(_passthrough, _passthrough)
        return _dict_conv(_compile(args[0], memo), _compile(args[1], memo))
    if _contains_model(tp):
        raise TypeError(
            f"response model {tp!r}: Cello filters a model, list[Model], dict[str, Model] or Model | None; "
            "another type containing a model cannot be checked (response_model=None sends what the handler returns)"
        )
    # Any other type (Decimal, a tuple of fixed length, a class of the application's)
    # is sent as it is.
    return _passthrough


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
