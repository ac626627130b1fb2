"""Body models: stdlib dataclasses and TypedDicts compiled once, at registration, into
the schema the engine validates a JSON body against in Rust (``cello-py/src/model.rs``);
msgspec Structs and pydantic models validated by their own library from the raw bytes.

msgspec and pydantic are never imported here: a class can only be one of theirs if
its package was imported already, so ``sys.modules`` is asked instead."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import inspect
import sys
import types
import typing
import uuid
from typing import Any, Callable

#: Scalars the engine converts, by the name it knows them by.
_SCALARS: dict[Any, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    uuid.UUID: "uuid",
    datetime.date: "date",
    datetime.datetime: "datetime",
    type(None): "none",
}

#: What a field that is not in the input gets: nothing to show (it is required, or a
#: factory makes it per request).
NO_DEFAULT = inspect.Parameter.empty

#: ``(name, type, required, default)`` per field: see :func:`model_fields`.
Fields = list[tuple[str, Any, bool, Any]]


def is_msgspec_struct(tp: Any) -> bool:
    """A msgspec Struct class."""
    msgspec = sys.modules.get("msgspec")
    return msgspec is not None and isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _pydantic_model(tp: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def is_model(tp: Any) -> bool:
    """A dataclass, TypedDict, msgspec Struct or pydantic model class."""
    return model_fields(tp) is not None


def model_fields(tp: Any) -> Fields | None:
    """``[(name, type, required, default)]`` for a dataclass, TypedDict, msgspec
    Struct or pydantic v2 model class (the name as sent on the wire), else None.
    ``default`` is :data:`NO_DEFAULT` for a required field or one a factory makes."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        out: Fields = []
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            default = NO_DEFAULT if f.default is dataclasses.MISSING else f.default
            out.append((f.name, hints.get(f.name, Any), required, default))
        return out
    if typing.is_typeddict(tp):
        hints = _hints(tp)
        required_keys = getattr(tp, "__required_keys__", frozenset(hints))
        # `NotRequired[X]` as written wins: under `from __future__ import annotations`
        # CPython 3.11 counts such a key in `__required_keys__`.
        marked = {k: typing.get_origin(v) for k, v in typing.get_type_hints(tp, include_extras=True).items()}
        return [
            (
                name,
                _strip_required(t),
                marked.get(name) is typing.Required
                or (name in required_keys and marked.get(name) is not typing.NotRequired),
                NO_DEFAULT,
            )
            for name, t in hints.items()
        ]
    if is_msgspec_struct(tp):
        import msgspec

        return [
            (f.encode_name, f.type, f.required, NO_DEFAULT if f.default is msgspec.NODEFAULT else f.default)
            for f in msgspec.structs.fields(tp)
        ]
    if _pydantic_model(tp):
        from pydantic_core import PydanticUndefined

        return [
            (
                info.alias or name,
                info.annotation,
                info.is_required(),
                NO_DEFAULT if info.default is PydanticUndefined else info.default,
            )
            for name, info in tp.model_fields.items()
        ]
    return None


def _hints(tp: Any) -> dict[str, Any]:
    try:
        # With `Annotated` kept: its constraints are checked (`SchemaCompiler.constraints`).
        return typing.get_type_hints(tp, include_extras=True)
    except Exception as exc:
        raise TypeError(f"cannot resolve the annotations of {tp.__qualname__}: {exc}") from None


def _strip_required(t: Any) -> Any:
    if typing.get_origin(t) in (typing.Required, typing.NotRequired):
        return typing.get_args(t)[0]
    return t


def foreign_validator(tp: Any) -> Callable[[bytes], tuple[bool, Any]] | None:
    """For a msgspec Struct or pydantic model: ``validate(body) -> (True, instance)``
    or ``(False, [FastAPI error dicts])``, using the library's fastest path from the
    raw bytes. None for other types."""
    if is_msgspec_struct(tp):
        import msgspec

        decoder = msgspec.json.Decoder(tp)

        def validate_msgspec(body: bytes) -> tuple[bool, Any]:
            try:
                return True, decoder.decode(body)
            except msgspec.ValidationError as exc:
                return False, [_msgspec_error(str(exc), "value_error")]
            except msgspec.DecodeError as exc:
                return False, [_msgspec_error(str(exc), "json_invalid")]

        return validate_msgspec
    if _pydantic_model(tp):
        import pydantic

        def validate_pydantic(body: bytes) -> tuple[bool, Any]:
            try:
                return True, tp.model_validate_json(body)
            except pydantic.ValidationError as exc:
                return False, [_pydantic_error(e) for e in exc.errors(include_url=False)]

        return validate_pydantic
    return None


def msgspec_schema(tp: Any, where: str) -> tuple[Any, list[Any]]:
    """``(root, models)``: the schema a msgspec Struct's body is validated against
    again once msgspec has refused it (msgspec stops at its first failure; this
    second pass finds them all, in pydantic's words). What the schema cannot model
    is ``any`` in it (``"any"`` for an ``array_like`` Struct: the body is then only
    checked to be JSON)."""
    compiler = _StructCompiler(where)
    return compiler.schema(tp, "body"), compiler.models


def _pydantic_error(error: Any) -> dict[str, Any]:
    """One of pydantic's errors under ``body``, its ``ctx`` kept as FastAPI keeps it;
    a value in it that is not JSON (the exception of a ``value_error``) is given as
    its text."""
    out = {**error, "loc": ["body", *error["loc"]]}
    if "ctx" in out:
        out["ctx"] = {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v) for k, v in out["ctx"].items()}
    return out


def _msgspec_error(message: str, kind: str) -> dict[str, Any]:
    """msgspec says ``Expected `int`, got `str` - at `$.items[0].id```: the path
    becomes the loc, the rest the message. A missing or unknown field is named in
    the message (``Object missing required field `id```): it ends the loc, as in
    pydantic's."""
    loc: list[Any] = ["body"]
    text, sep, path = message.rpartition(" - at `")
    if sep and path.startswith("$"):
        for part in path.rstrip("`")[1:].replace("[", ".[").split("."):
            if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
                loc.append(int(part[1:-1]))
            elif part:
                loc.append(part)
    else:
        text = message
    for prefix in ("Object missing required field `", "Object contains unknown field `"):
        if text.startswith(prefix) and text.endswith("`"):
            loc.append(text[len(prefix) : -1])
    return {"type": kind, "loc": loc, "msg": text, "input": None}


#: The constraints the engine checks on a body value, by their FastAPI/pydantic name.
_CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")
#: Which kinds of value each applies to.
_NUMBER_CONSTRAINTS = {"gt", "ge", "lt", "le"}
_LENGTH_CONSTRAINTS = {"min_length", "max_length"}


def constraints_of(metadata: Any) -> tuple[dict[str, Any], Any]:
    """The constraints in ``Annotated``'s metadata, by name, and the first one Cello
    cannot check (or None)."""
    out: dict[str, Any] = {}
    unsupported = None
    items: list[Any] = []
    for m in metadata:
        inner = getattr(m, "metadata", None)
        items.extend(inner if type(m).__name__ == "FieldInfo" and isinstance(inner, list) else [m])
    for item in items:
        if type(item).__module__.split(".")[0] not in ("annotated_types", "pydantic", "cello"):
            continue  # documentation and other libraries' markers
        for name in _CONSTRAINTS:
            value = getattr(item, name, None)
            if value is not None:
                out[name] = value
        if getattr(item, "multiple_of", None) is not None or type(item).__name__ in ("Predicate", "Not"):
            unsupported = unsupported or item
    return out, unsupported


class SchemaCompiler:
    """Turns types into the engine's schema spec; models are listed once each (by
    index, so a model may contain itself)."""

    def __init__(self, where: str) -> None:
        #: "handler create: parameter `item`", for error messages.
        self.where = where
        self.models: list[Any] = []
        self._index: dict[Any, int] = {}

    def fail(self, tp: Any, path: str) -> TypeError:
        return TypeError(
            f"{self.where}: {path} is annotated {tp!r}, which Cello cannot validate from a JSON body; "
            f"use int, float, str, bool, None, uuid.UUID, Any, an Enum or Literal, list[...], dict[str, ...], "
            f"X | None, a dataclass or a TypedDict (or a msgspec Struct / pydantic model at the top level)"
        )

    def constraints(self, metadata: list[Any], tp: Any, path: str) -> dict[str, Any]:
        """The constraints in ``Annotated``'s metadata: annotated_types' ``Ge``,
        ``Interval``, ``MinLen``..., pydantic's ``Field(ge=1, pattern=...)`` (its
        ``metadata``) and Cello's own markers (``Body(ge=1)``). One the engine cannot
        check (``multiple_of``, a predicate) is an error, never ignored."""
        out, unsupported = constraints_of(metadata)
        if unsupported is not None:
            raise TypeError(f"{self.where}: {path} ({tp!r}) has a constraint Cello cannot check: {unsupported!r}")
        return out

    def constrain(self, spec: Any, options: dict[str, Any], tp: Any, path: str) -> Any:
        """``spec`` with ``options`` checked after it converts (inside ``| None``)."""
        if isinstance(spec, tuple) and spec[0] == "nullable":
            return ("nullable", self.constrain(spec[1], options, tp, path))
        kind = spec if isinstance(spec, str) else spec[0]
        allowed = {
            "int": _NUMBER_CONSTRAINTS,
            "float": _NUMBER_CONSTRAINTS,
            "str": _LENGTH_CONSTRAINTS | {"pattern"},
            "list": _LENGTH_CONSTRAINTS,
        }.get(kind, set())
        wrong = sorted(set(options) - allowed)
        if wrong:
            raise TypeError(f"{self.where}: {path} ({tp!r}): {', '.join(wrong)} cannot constrain this type")
        return ("constrained", spec, options)

    def schema(self, tp: Any, path: str) -> Any:
        if typing.get_origin(tp) is typing.Annotated:
            base, *metadata = typing.get_args(tp)
            options = self.constraints(metadata, tp, path)
            inner = self.schema(base, path)
            return self.constrain(inner, options, tp, path) if options else inner
        if tp is Any or tp is object:
            return "any"
        if tp is None:
            return "none"
        if (name := _SCALARS.get(tp)) is not None:
            return name
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                return ("nullable", self.schema(members[0], path))
            raise self.fail(tp, path)
        if tp is list or origin is list:
            args = typing.get_args(tp)
            return ("list", self.schema(args[0], f"{path}[]") if args else "any")
        if tp is dict or origin is dict:
            args = typing.get_args(tp)
            if args and args[0] is not str:
                raise self.fail(tp, path)
            return ("dict", self.schema(args[1], f"{path}{{}}") if args else "any")
        if origin is typing.Literal:
            values = typing.get_args(tp)
            if not all(isinstance(v, (str, int)) for v in values):
                raise self.fail(tp, path)
            return ("choices", False, [(v, v) for v in values], _expected(values))
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            members = list(tp)
            if not all(isinstance(m.value, (str, int)) for m in members):
                raise self.fail(tp, path)
            return ("choices", True, [(m.value, m) for m in members], _expected([m.value for m in members]))
        if (isinstance(tp, type) and dataclasses.is_dataclass(tp)) or typing.is_typeddict(tp):
            return ("model", self.model(tp))
        raise self.fail(tp, path)

    def model(self, tp: Any) -> int:
        if tp in self._index:
            return self._index[tp]
        index = len(self.models)
        self._index[tp] = index
        self.models.append(None)
        is_dataclass = dataclasses.is_dataclass(tp)
        if is_dataclass and any(
            f._field_type is dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
            for f in getattr(tp, "__dataclass_fields__", {}).values()
        ):
            raise TypeError(f"{self.where}: dataclass {tp.__qualname__} has an InitVar, which Cello cannot fill")
        fields = []
        by_name = {f.name: f for f in dataclasses.fields(tp)} if is_dataclass else {}
        for name, t, required, default in model_fields(tp) or []:
            kind = "required" if required else "value"
            f = by_name.get(name)
            if f is not None and f.default_factory is not dataclasses.MISSING:
                kind, default = "factory", f.default_factory
            elif not required and not is_dataclass:
                kind, default = "absent", None
            spec = self.schema(t, f"{tp.__qualname__}.{name}")
            fields.append((name, sys.intern(name), spec, kind, default))
        config = getattr(tp, "model_config", None)
        forbid = isinstance(config, dict) and config.get("extra") == "forbid"
        post_init = is_dataclass and hasattr(tp, "__post_init__")
        # Without __slots__ the engine fills the instance's __dict__ directly.
        plain = is_dataclass and all("__slots__" not in vars(k) for k in tp.__mro__[:-1])
        self.models[index] = (tp if is_dataclass else None, forbid, post_init, plain, fields, None)
        return index


class _StructCompiler(SchemaCompiler):
    """Compiles a msgspec Struct, and the types inside it, as msgspec reads them: the
    fields by their encoded names, ``forbid_unknown_fields`` as pydantic's
    ``extra="forbid"``, a tag as an optional ``Literal`` field, ``msgspec.Meta``'s
    bounds, lengths and pattern (only those: msgspec ignores other libraries'
    markers). What the schema cannot model (an ``array_like`` Struct, a union, a
    tuple, ``multiple_of``...) is left unchecked (``any``): msgspec's own message
    stands for it."""

    def schema(self, tp: Any, path: str) -> Any:
        if typing.get_origin(tp) is typing.Annotated:
            base, *metadata = typing.get_args(tp)
            inner = self.schema(base, path)
            options = _meta_constraints(metadata)
            try:
                return self.constrain(inner, options, tp, path) if options else inner
            except TypeError:
                return inner
        if is_msgspec_struct(tp):
            return "any" if tp.__struct_config__.array_like else ("model", self.struct(tp))
        try:
            return super().schema(tp, path)
        except TypeError:
            return "any"

    def struct(self, tp: Any) -> int:
        if tp in self._index:
            return self._index[tp]
        index = len(self.models)
        self._index[tp] = index
        self.models.append(None)
        config = tp.__struct_config__
        fields = []
        if config.tag is not None:
            tag, key = config.tag, config.tag_field
            fields.append((key, sys.intern(key), ("choices", False, [(tag, tag)], _expected([tag])), "absent", None))
        for name, t, required, _default in model_fields(tp) or []:
            spec = self.schema(t, f"{tp.__qualname__}.{name}")
            fields.append((name, sys.intern(name), spec, "required" if required else "absent", None))
        self.models[index] = (None, bool(config.forbid_unknown_fields), False, False, fields, tp.__name__)
        return index


def _meta_constraints(metadata: list[Any]) -> dict[str, Any]:
    """The constraints of the ``msgspec.Meta`` in ``Annotated``'s metadata that Cello
    checks, by their name (msgspec and pydantic share them)."""
    msgspec = sys.modules["msgspec"]
    return {
        name: getattr(meta, name)
        for meta in metadata
        if isinstance(meta, msgspec.Meta)
        for name in _CONSTRAINTS
        if getattr(meta, name, None) is not None
    }


def _expected(values: Any) -> str:
    """Pydantic's message for a value outside the choices: "Input should be 'a', 'b' or 'c'"."""
    labels = [repr(v) for v in values]
    if len(labels) == 1:
        return f"Input should be {labels[0]}"
    return f"Input should be {', '.join(labels[:-1])} or {labels[-1]}"
