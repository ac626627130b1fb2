"""The OpenAPI 3.1 document of an ``App`` (``app.openapi()``), built from the same
``RouteSignature`` the engine is given, so the document and the validation cannot
disagree, and from each route's decorator options (FastAPI's names)."""

from __future__ import annotations

import http
import inspect
import re
import typing
from typing import TYPE_CHECKING, Any

from . import _cello
from ._json_schema import PATH_KINDS, Schemas, constrain, jsonable, nullable, title
from ._signature import ParamInfo, RouteSignature

if TYPE_CHECKING:
    from .app import App, _RouteSpec

#: The parameter sources that are OpenAPI parameters (the rest are bodies or not on
#: the wire).
_PARAM_SOURCES = ("path", "query", "header", "cookie")
#: Statuses whose responses have no body.
_NO_BODY = {204, 205, 304}

#: FastAPI's 422 schemas, with the ``input`` Cello (and pydantic v2) reports.
_VALIDATION_SCHEMAS: dict[str, Any] = {
    "HTTPValidationError": {
        "properties": {
            "detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array", "title": "Detail"}
        },
        "type": "object",
        "title": "HTTPValidationError",
    },
    "ValidationError": {
        "properties": {
            "loc": {
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "type": "array",
                "title": "Location",
            },
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"},
            "ctx": {"type": "object", "title": "Context"},
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
    },
}


def build(app: App) -> dict[str, Any]:
    """The document: every route of ``app`` but those with
    ``include_in_schema=False`` and the docs' own routes."""
    schemas = Schemas()
    security: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for spec in app._routes:
        if spec.options.get("include_in_schema", True) is False:
            continue
        signature = app._route_signature(spec)
        template = _cello.route_template(spec.path)
        op = _operation(spec, signature, template, schemas, security)
        op["operationId"] = _unique(op["operationId"], operation_ids)
        paths.setdefault(template, {})[spec.method.lower()] = op
    for method, path, value in app._consts:
        template = _cello.route_template(path)
        op = _const_operation(method, path, template, value)
        op["operationId"] = _unique(op["operationId"], operation_ids)
        paths.setdefault(template, {}).setdefault(method.lower(), op)
    # FastAPI's order of the info fields.
    info: dict[str, Any] = {"title": app.title}
    for key, value in (
        ("summary", app.summary),
        ("description", app.description),
        ("termsOfService", app.terms_of_service),
        ("contact", app.contact),
        ("license", app.license_info),
    ):
        if value:
            info[key] = value
    info["version"] = app.version
    doc: dict[str, Any] = {"openapi": "3.1.0", "info": info}
    if app.servers:
        doc["servers"] = app.servers
    doc["paths"] = paths
    components: dict[str, Any] = {}
    if schemas.components:
        components["schemas"] = dict(sorted(schemas.components.items()))
    if security:
        components["securitySchemes"] = security
    if components:
        doc["components"] = components
    if app.openapi_tags:
        doc["tags"] = app.openapi_tags
    return doc


def _operation(
    spec: _RouteSpec, signature: RouteSignature, template: str, schemas: Schemas, security: dict[str, Any]
) -> dict[str, Any]:
    opts = spec.options
    name = str(opts.get("name") or getattr(spec.handler, "__name__", signature.handler_name))
    op: dict[str, Any] = {}
    tags = _dedupe([*(t for router in spec.routers for t in router.tags), *(opts.get("tags") or ())])
    if tags:
        op["tags"] = tags
    op["summary"] = opts.get("summary") or title(name)
    # Only a function's own docstring: a partial's or a callable object's class doc
    # says nothing about the route.
    description = opts.get("description") or (inspect.getdoc(spec.handler) if inspect.isroutine(spec.handler) else None)
    if description:
        # FastAPI's convention: a form feed ends what the docs show.
        op["description"] = description.split("\f")[0].strip()
    op["operationId"] = opts.get("operation_id") or re.sub(r"\W", "_", f"{name}{template}") + f"_{spec.method.lower()}"
    if opts.get("deprecated"):
        op["deprecated"] = True
    params = _parameters(spec.path, signature, schemas)
    if params:
        op["parameters"] = params
    body = _request_body(signature, op["operationId"], schemas)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = _responses(spec, signature, schemas)
    for scheme_name, scheme, scopes in getattr(signature, "security", None) or ():
        security[scheme_name] = scheme
        op.setdefault("security", []).append({scheme_name: list(scopes)})
    return op


def _parameters(path: str, signature: RouteSignature, schemas: Schemas) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for p in signature.params:
        if p.source not in _PARAM_SOURCES or (p.source, p.alias) in seen:
            continue
        seen.add((p.source, p.alias))
        marker = p.marker
        if marker is not None and getattr(marker, "include_in_schema", True) is False:
            continue
        out.append(_parameter(p, schemas))
    # A path parameter the handler does not take is still part of the path.
    for pname, written, _catch_all in _cello.route_params(path):
        if ("path", pname) not in seen:
            schema = {**PATH_KINDS.get(written or "str", {}), "title": title(pname)}
            out.append({"name": pname, "in": "path", "required": True, "schema": schema})
    return out


def _parameter(p: ParamInfo, schemas: Schemas) -> dict[str, Any]:
    marker = p.marker
    ann = p.annotation
    if p.source == "path" and (ann in (None, inspect.Parameter.empty) or p.kind in ("path",)):
        schema = dict(PATH_KINDS.get(p.kind or "str", {}))
    else:
        schema = schemas.of(str if ann in (None, inspect.Parameter.empty) else ann)
    constraints = marker.constraints() if marker is not None and hasattr(marker, "constraints") else {}
    schema = constrain(schema, constraints)
    if p.nullable:
        schema = nullable(schema)
    schema["title"] = (getattr(marker, "title", None) if marker is not None else None) or title(p.name)
    required = True if p.source == "path" else p.required
    if not required and (default := jsonable(p.default)) is not inspect.Parameter.empty:
        schema["default"] = default
    examples = getattr(marker, "examples", None)
    if examples:
        schema["examples"] = [jsonable(e) for e in examples]
    out: dict[str, Any] = {"name": p.alias, "in": p.source, "required": required, "schema": schema}
    description = getattr(marker, "description", None)
    if description:
        out["description"] = description
    if getattr(marker, "deprecated", None):
        out["deprecated"] = True
    return out


def _request_body(signature: RouteSignature, operation_id: str, schemas: Schemas) -> dict[str, Any] | None:
    """FastAPI's rule: one body parameter (not ``embed``) is the body itself; several,
    or form fields, are the properties of a ``Body_<operationId>`` object."""
    fields = [p for p in signature.params if p.source in ("body", "form", "file")]
    if not fields:
        return None
    media_type = getattr(fields[0].marker, "media_type", None) or (
        "application/x-www-form-urlencoded" if fields[0].source == "form" else "application/json"
    )
    if any(p.source == "file" for p in fields):
        # Files make the form multipart, whichever field comes first (FastAPI).
        media_type = "multipart/form-data"
    if len(fields) == 1 and fields[0].source == "body" and not getattr(fields[0].marker, "embed", False):
        schema = _field_schema(fields[0], schemas)
    else:
        props = {p.alias: _field_schema(p, schemas) for p in fields}
        required = [p.alias for p in fields if p.required]
        model: dict[str, Any] = {"properties": props, "type": "object", "title": f"Body_{operation_id}"}
        if required:
            model["required"] = required
        schemas.components[f"Body_{operation_id}"] = model
        schema = {"$ref": f"#/components/schemas/Body_{operation_id}"}
    body: dict[str, Any] = {"content": {media_type: {"schema": schema}}}
    if any(p.required for p in fields):
        body["required"] = True
    return body


def _field_schema(p: ParamInfo, schemas: Schemas) -> dict[str, Any]:
    if p.source == "file":
        # An uploaded file is a binary string, as FastAPI documents it.
        binary = {"type": "string", "format": "binary"}
        schema: dict[str, Any] = {"type": "array", "items": binary} if p.many else dict(binary)
        if p.nullable:
            schema = nullable(schema)
        schema["title"] = title(p.name)
        return schema
    schema = schemas.of(p.annotation)
    marker = p.marker
    if marker is not None and hasattr(marker, "constraints"):
        schema = constrain(schema, marker.constraints())
    if p.nullable:
        schema = nullable(schema)
    if "$ref" not in schema:
        schema["title"] = title(p.name)
        if not p.required and (default := jsonable(p.default)) is not inspect.Parameter.empty:
            schema["default"] = default
    return schema


def _responses(spec: _RouteSpec, signature: RouteSignature, schemas: Schemas) -> dict[str, Any]:
    opts = spec.options
    # A handler that returns None answers 204 (see `convert.rs`).
    status = int(opts.get("status_code") or (204 if _return_annotation(spec) is type(None) else 200))
    ok: dict[str, Any] = {"description": opts.get("response_description") or "Successful Response"}
    if status not in _NO_BODY and status >= 200:
        content = _response_content(spec, schemas)
        if content is not None:
            ok["content"] = content
    out: dict[str, Any] = {str(status): ok}
    if _validates(signature, spec.path):
        out["422"] = {
            "description": "Validation Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
        }
        schemas.components.update(_VALIDATION_SCHEMAS)
    for code, extra in (opts.get("responses") or {}).items():
        entry = dict(extra)
        model = entry.pop("model", None)
        merged = out.setdefault(str(code), {})
        if model is not None:
            merged.setdefault("content", {}).setdefault("application/json", {})["schema"] = schemas.of(
                model, "serialization"
            )
        merged.update(entry)
        merged.setdefault("description", _phrase(code))
    return out


def _response_content(spec: _RouteSpec, schemas: Schemas) -> dict[str, Any] | None:
    """The 2xx body: ``response_model``, else the return annotation; a handler with
    neither may return any JSON (FastAPI documents ``{}``). A ``response_class``
    (or returned ``Response`` class) with a media type other than JSON sends text,
    as FastAPI documents it."""
    opts = spec.options
    media_type = getattr(opts.get("response_class"), "media_type", None)
    if isinstance(media_type, str) and media_type != "application/json":
        return {media_type: {"schema": {"type": "string"}}}
    if "response_model" in opts:
        model = opts["response_model"]
        return None if model is None else {"application/json": {"schema": schemas.of(model, "serialization")}}
    ret = _return_annotation(spec)
    if ret is str:
        return {"text/plain": {"schema": {"type": "string"}}}
    if ret is bytes:
        return {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    if isinstance(ret, type) and issubclass(ret, _cello.Response):
        media_type = getattr(ret, "media_type", None)
        if isinstance(media_type, str) and media_type != "application/json":
            return {media_type: {"schema": {"type": "string"}}}
        return None
    if ret is type(None):
        return None
    return {"application/json": {"schema": schemas.of(ret, "serialization")}}


def _return_annotation(spec: _RouteSpec) -> Any:
    try:
        return typing.get_type_hints(spec.handler).get("return", inspect.Parameter.empty)
    except Exception:
        return inspect.Parameter.empty


def _validates(signature: RouteSignature, path: str) -> bool:
    """Whether a request can be refused with a 422: it has parameters or a body."""
    wire = (*_PARAM_SOURCES, "body", "form", "file")
    return any(p.source in wire for p in signature.params) or bool(_cello.route_params(path))


def _const_operation(method: str, path: str, template: str, value: Any) -> dict[str, Any]:
    response = _cello.as_response(value, f"constant route {path}")
    status = int(response.status)
    return {
        "summary": f"Constant {path}",
        "operationId": re.sub(r"\W", "_", f"const{template}") + f"_{method.lower()}",
        "responses": {str(status): {"description": _phrase(status)}},
    }


def _phrase(code: Any) -> str:
    try:
        return http.HTTPStatus(int(code)).phrase
    except ValueError:
        return "Additional Response"


def _unique(operation_id: str, taken: set[str]) -> str:
    candidate, n = operation_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{operation_id}_{n}"
    taken.add(candidate)
    return candidate


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
