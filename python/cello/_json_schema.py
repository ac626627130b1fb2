"""JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) for the types a handler
declares, written the way pydantic v2 writes them so a document reads like
FastAPI's: ``int`` → ``{"type": "integer"}``, ``X | None`` → ``anyOf`` with
``{"type": "null"}``, models → ``$ref`` into ``components/schemas``.

Models: stdlib dataclasses and TypedDicts are read with ``_models.model_fields``
(as the body validator reads them); pydantic v2 models and ``msgspec.Struct`` give
their own schema (``model_json_schema`` / ``msgspec.json.schema_components``)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib
import inspect
import types
import typing
import uuid
from typing import Any

from ._models import constraints_of, model_fields

REF = "#/components/schemas/{model}"

_SCALARS: dict[Any, dict[str, Any]] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    str: {"type": "string"},
    bytes: {"type": "string", "format": "binary"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    datetime.timedelta: {"type": "string", "format": "duration"},
    decimal.Decimal: {"anyOf": [{"type": "number"}, {"type": "string"}]},
    type(None): {"type": "null"},
}

#: The route pattern's written types (``{id:int}``) as schemas.
PATH_KINDS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "str": {"type": "string"},
    "path": {"type": "string"},
}


def title(name: str) -> str:
    """pydantic's field title: ``user_id`` → ``User Id``."""
    return name.replace("_", " ").title()


def jsonable(value: Any) -> Any:
    """A default as JSON, or ``inspect.Parameter.empty`` when it has no JSON form."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return inspect.Parameter.empty if inspect.Parameter.empty in items else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        out = {k: jsonable(v) for k, v in value.items()}
        return inspect.Parameter.empty if inspect.Parameter.empty in out.values() else out
    return inspect.Parameter.empty


def constrain(schema: dict[str, Any], constraints: dict[str, Any]) -> dict[str, Any]:
    """Adds FastAPI's constraint options under their JSON Schema names; lengths
    bound strings, or items for arrays."""
    names = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum", "pattern": "pattern"}
    array = schema.get("type") == "array"
    for key, value in constraints.items():
        if key in names:
            schema[names[key]] = value
        elif key == "min_length":
            schema["minItems" if array else "minLength"] = value
        elif key == "max_length":
            schema["maxItems" if array else "maxLength"] = value
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``X | None``, as pydantic writes it in OpenAPI 3.1."""
    return {"anyOf": [schema, {"type": "null"}]}


class Schemas:
    """The schemas of one document: ``of(tp)`` gives a type's schema and files the
    models it meets under ``components`` (by class name)."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self._seen: dict[str, Any] = {}

    def of(self, tp: Any, mode: str = "validation") -> dict[str, Any]:
        """The schema of ``tp``; ``{}`` (anything) for a type it cannot describe."""
        if tp is inspect.Parameter.empty or tp is Any or tp is object:
            return {}
        if tp is None:
            tp = type(None)
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Annotated:
            schema = self.of(args[0], mode)
            options, _ = constraints_of(args[1:])
            if options:
                constrain(schema["anyOf"][0] if "anyOf" in schema else schema, options)
            return schema
        if origin is typing.Literal:
            values = [jsonable(v) for v in args]
            out: dict[str, Any] = {"enum": values}
            kinds = {type(v) for v in values}
            if len(kinds) == 1 and (kind := kinds.pop()) in (str, int, bool):
                out["type"] = _SCALARS[kind]["type"]
            return out
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            inner = self.of(members[0], mode) if len(members) == 1 else {"anyOf": [self.of(a, mode) for a in members]}
            return nullable(inner) if len(members) < len(args) else inner
        if origin in (list, set, frozenset, tuple) or tp in (list, set, frozenset, tuple):
            return self._array(tp, origin or tp, args, mode)
        if origin is dict or tp is dict:
            out = {"type": "object"}
            if len(args) == 2 and args[1] is not Any:
                out["additionalProperties"] = self.of(args[1], mode)
            return out
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._enum(tp)
        if isinstance(tp, type):
            return self._model(tp, mode)
        return {}

    def _array(self, tp: Any, origin: Any, args: tuple[Any, ...], mode: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array"}
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            out["prefixItems"] = [self.of(a, mode) for a in args]
            out["minItems"] = out["maxItems"] = len(args)
            return out
        if args:
            out["items"] = self.of(args[0], mode)
        if origin in (set, frozenset):
            out["uniqueItems"] = True
        return out

    def _enum(self, tp: type[enum.Enum]) -> dict[str, Any]:
        for name, seen in self._seen.items():
            if seen is tp:
                return {"$ref": REF.format(model=name)}
        values = [jsonable(m.value) for m in tp]
        out: dict[str, Any] = {"type": "string", "enum": values, "title": tp.__name__}
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            out["type"] = "integer"
        elif not all(isinstance(v, str) for v in values):
            del out["type"]
        if tp.__doc__ and tp.__doc__ != enum.Enum.__doc__ and not tp.__doc__.startswith("An enumeration"):
            out["description"] = inspect.cleandoc(tp.__doc__)
        return self._file(tp, out)

    def _file(self, tp: type, schema: dict[str, Any]) -> dict[str, Any]:
        """Files ``schema`` under the class's name and answers a ``$ref`` to it."""
        name = tp.__name__
        if self._seen.get(name, tp) is not tp:
            name = f"{tp.__module__.replace('.', '__')}__{tp.__qualname__}"
        self._seen[name] = tp
        self.components[name] = schema
        return {"$ref": REF.format(model=name)}

    def _model(self, tp: type, mode: str) -> dict[str, Any]:
        for name, seen in self._seen.items():
            if seen is tp:
                return {"$ref": REF.format(model=name)}
        if hasattr(tp, "model_json_schema") and hasattr(tp, "model_fields"):
            return self._pydantic(tp, mode)
        if _is_msgspec_struct(tp):
            return self._msgspec(tp)
        if dataclasses.is_dataclass(tp) or typing.is_typeddict(tp):
            # Filed before its fields are read, so a model that refers to itself ends.
            ref = self._file(tp, {})
            key = ref["$ref"].rsplit("/", 1)[1]
            self.components[key] = self._fields_schema(tp, mode)
            return ref
        return {}

    def _fields_schema(self, tp: type, mode: str) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for name, ann, is_required, default in model_fields(tp) or ():
            schema = self.of(ann, mode)
            if not is_required and (d := jsonable(default)) is not inspect.Parameter.empty:
                schema = {**schema, "default": d}
            props[name] = {**schema, "title": title(name)}
            if is_required:
                required.append(name)
        out: dict[str, Any] = {"properties": props, "type": "object", "title": tp.__name__}
        if required:
            out["required"] = required
        doc = tp.__doc__
        if doc and not (dataclasses.is_dataclass(tp) and doc.startswith(f"{tp.__name__}(")):
            out["description"] = inspect.cleandoc(doc)
        return out

    def _pydantic(self, tp: Any, mode: str) -> dict[str, Any]:
        pydantic_mode = "serialization" if mode == "serialization" else "validation"
        schema = tp.model_json_schema(ref_template=REF, mode=pydantic_mode)
        for name, sub in schema.pop("$defs", {}).items():
            self.components[name] = sub
        return self._file(tp, schema)

    def _msgspec(self, tp: Any) -> dict[str, Any]:
        msgspec: Any = importlib.import_module("msgspec")
        (top,), components = msgspec.json.schema_components([tp], ref_template="#/components/schemas/{name}")
        self.components.update(components)
        self._seen[tp.__name__] = tp
        return dict(top)


def _is_msgspec_struct(tp: type) -> bool:
    for base in tp.__mro__:
        if base.__module__ == "msgspec" and base.__name__ == "Struct":
            return True
    return False
