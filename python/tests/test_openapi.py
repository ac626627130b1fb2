"""The OpenAPI 3.1 document (``app.openapi()``): it validates against the 3.1
schema and says what the handlers declare, field by field. Serving it and the docs
pages, and the tools that use them: ``test_openapi_served.py``."""

from __future__ import annotations

import dataclasses
import enum
import inspect
from typing import Any, NotRequired, TypedDict

import msgspec
import pydantic
import pytest
from openapi_spec_validator import validate

from cello import App, Body, Cookie, Form, Header, Request, Response, Router
from cello._signature import ParamInfo, RouteSignature
from conftest import load_app


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_app("openapi_app").app.openapi()


def operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return doc["paths"][path][method]


def param(op: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [p for p in op["parameters"] if p["name"] == name]
    return found


# -- the document --------------------------------------------------------------


def test_document_of_the_example_app_validates_against_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Paint shop", "version": "1.2.3", "description": "Sells paint, *offline*."}


def test_query_parameters_carry_type_constraints_default_and_description(doc: dict[str, Any]) -> None:
    op = operation(doc, "get", "/items")
    assert op["operationId"] == "list_items_items_get"
    assert op["summary"] == "List Items"
    assert op["tags"] == ["items"]
    # The docstring up to FastAPI's form feed.
    assert op["description"] == "Lists the items, filtered.\n\nOnly the first paragraph is a summary."
    assert param(op, "limit") == {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "How many items at most.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "title": "Limit", "default": 10},
    }
    assert param(op, "q")["schema"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Q", "default": None}
    assert param(op, "ratio")["schema"]["exclusiveMinimum"] == 0
    assert param(op, "ratio")["schema"]["exclusiveMaximum"] == 1
    assert param(op, "full")["schema"] == {"type": "boolean", "title": "Full", "default": False}
    assert param(op, "tags")["schema"] == {"type": "array", "items": {"type": "string"}, "title": "Tags", "default": []}
    assert param(op, "order")["schema"]["enum"] == ["asc", "desc"]
    assert set(op["responses"]) == {"200", "422"}
    assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }


def test_path_template_drops_the_pattern_types_and_the_summary_option_wins(doc: dict[str, Any]) -> None:
    assert "/items/{item_id:int}" not in doc["paths"]
    op = operation(doc, "get", "/items/{item_id}")
    assert op["summary"] == "Read one item"
    assert param(op, "item_id") == {
        "name": "item_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "title": "Item Id"},
    }
    assert param(op, "owner")["schema"]["anyOf"][0] == {"type": "string", "format": "uuid"}
    name = param(op, "name")["schema"]
    assert (name["minLength"], name["maxLength"], name["pattern"], name["examples"]) == (2, 20, "^[a-z]+$", ["paint"])


def test_enum_is_a_component_and_status_code_deprecated_and_responses_options_apply(doc: dict[str, Any]) -> None:
    op = operation(doc, "post", "/orders")
    assert param(op, "color")["schema"]["$ref"] == "#/components/schemas/Color"
    assert doc["components"]["schemas"]["Color"] == {
        "type": "string",
        "enum": ["red", "green"],
        "title": "Color",
        "description": "A paint color.",
    }
    assert op["deprecated"] is True
    assert set(op["responses"]) == {"201", "409", "422"}
    assert op["responses"]["409"] == {"description": "Already ordered"}


def test_router_tags_come_before_the_route_tags_and_operation_id_option_wins(doc: dict[str, Any]) -> None:
    op = operation(doc, "get", "/admin/stats")
    assert op["tags"] == ["admin", "stats"]
    assert op["operationId"] == "admin_stats"


def test_hidden_routes_the_docs_themselves_and_request_arguments_are_left_out(doc: dict[str, Any]) -> None:
    assert "/hidden" not in doc["paths"]
    assert not {"/openapi.json", "/docs", "/redoc"} & set(doc["paths"])
    op = operation(doc, "post", "/orders")
    assert "req" not in {p["name"] for p in op["parameters"]}


def test_a_str_return_is_text_and_a_constant_route_is_a_bare_200(doc: dict[str, Any]) -> None:
    plain = operation(doc, "get", "/plain")
    assert plain["responses"] == {
        "200": {"description": "Successful Response", "content": {"text/plain": {"schema": {"type": "string"}}}}
    }
    assert operation(doc, "get", "/health")["responses"] == {"200": {"description": "OK"}}


def test_a_response_class_or_returned_response_type_with_a_text_media_type_documents_a_string() -> None:
    class HTMLResponse(Response):
        media_type = "text/html"

    app = App()

    @app.get("/page", response_class=HTMLResponse)
    def page(req: Request) -> dict[str, str]:
        return {}

    @app.get("/raw")
    def raw(req: Request) -> Response:
        return Response(b"x")

    doc = app.openapi()
    validate(doc)
    assert operation(doc, "get", "/page")["responses"]["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert operation(doc, "get", "/raw")["responses"]["200"] == {"description": "Successful Response"}


def test_a_path_parameter_the_handler_does_not_take_is_still_documented() -> None:
    app = App()

    @app.get("/files/{*rest}")
    def files(req: Request) -> str:
        return "x"

    doc = app.openapi()
    validate(doc)
    op = operation(doc, "get", "/files/{rest}")
    assert op["parameters"] == [
        {"name": "rest", "in": "path", "required": True, "schema": {"type": "string", "title": "Rest"}}
    ]


def test_the_document_is_built_once_and_cached_in_openapi_schema() -> None:
    app = App()

    @app.get("/a")
    def a(req: Request) -> dict[str, int]:
        return {}

    first = app.openapi()
    assert app.openapi() is first is app.openapi_schema
    assert operation(first, "get", "/a")["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }


def test_fastapi_app_metadata_fills_info_servers_and_tags_in_fastapis_order() -> None:
    app = App(
        title="Shop",
        version="2.0",
        summary="Sells things.",
        description="All of them.",
        terms_of_service="https://shop.example/terms",
        contact={"name": "Ops", "email": "ops@shop.example"},
        license_info={"name": "MIT", "identifier": "MIT"},
        servers=[{"url": "https://api.shop.example", "description": "production"}],
        openapi_tags=[{"name": "items", "description": "What is for sale."}],
    )

    @app.get("/items", tags=["items"])
    def items() -> list[int]:
        return []

    doc = app.openapi()
    validate(doc)
    assert list(doc) == ["openapi", "info", "servers", "paths", "tags"]
    assert list(doc["info"].items()) == [
        ("title", "Shop"),
        ("summary", "Sells things."),
        ("description", "All of them."),
        ("termsOfService", "https://shop.example/terms"),
        ("contact", {"name": "Ops", "email": "ops@shop.example"}),
        ("license", {"name": "MIT", "identifier": "MIT"}),
        ("version", "2.0"),
    ]
    assert doc["servers"] == [{"url": "https://api.shop.example", "description": "production"}]
    assert doc["tags"] == [{"name": "items", "description": "What is for sale."}]


class Tag(pydantic.BaseModel):
    name: str


class Item(pydantic.BaseModel):
    id: int
    tags: list[Tag] = []
    price: float | None = None


class Point(msgspec.Struct):
    x: int
    y: float = 0.0


def test_pydantic_and_msgspec_models_document_their_own_schemas_as_components() -> None:
    app = App()

    @app.get("/items", response_model=list[Item])
    def items(req: Request) -> list[dict[str, object]]:
        return []

    @app.get("/point")
    def point(req: Request) -> Point:
        return Point(1)

    doc = app.openapi()
    validate(doc)
    schemas = doc["components"]["schemas"]
    ok = operation(doc, "get", "/items")["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert schemas["Item"]["properties"]["tags"]["items"] == {"$ref": "#/components/schemas/Tag"}
    assert schemas["Item"]["required"] == ["id"]
    assert schemas["Tag"]["required"] == ["name"]
    ok = operation(doc, "get", "/point")["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Point"}
    assert schemas["Point"]["required"] == ["x"]
    assert schemas["Point"]["properties"]["y"] == {"type": "number", "default": 0.0}


# -- sources the engine does not convert yet: the generator alone ---------------


@dataclasses.dataclass
class Address:
    street: str
    zip_code: str | None = None


@dataclasses.dataclass
class Customer:
    """Someone who buys paint."""

    name: str
    tags: list[str]
    address: Address
    vip: bool = False


class Note(TypedDict):
    text: str
    pinned: NotRequired[bool]


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_headers_cookies_bodies_forms_and_security_from_a_signature_document_as_fastapi_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Header, cookie, body and form parameters are not converted by the engine yet
    (``compile_signature`` refuses them), so their ``ParamInfo`` is written here as
    the signature compiler will give it."""
    app = App()
    router = Router("/shop", tags=["shop"])

    @router.post("/customers", status_code=201, response_model=Customer)
    def create(customer: Customer, x_token: str, session: str | None = None, level: Level = Level.LOW) -> Customer:
        return customer

    @router.post("/notes")
    def notes(note: Note, priority: int) -> None:
        return None

    @router.post("/login")
    def login(username: str, password: str) -> None:
        return None

    app.include_router(router)
    empty = inspect.Parameter.empty
    signatures = {
        create: RouteSignature(
            "create",
            [
                ParamInfo("customer", "body", "customer", Customer, marker=Body()),
                ParamInfo("x_token", "header", "x-token", str, marker=Header(description="The caller's token")),
                ParamInfo("session", "cookie", "session", str, required=False, nullable=True, marker=Cookie(None)),
                ParamInfo("level", "query", "level", Level, required=False, default=Level.LOW, kind="enum"),
            ],
        ),
        notes: RouteSignature(
            "notes",
            [
                ParamInfo("note", "body", "note", Note, marker=Body()),
                ParamInfo("priority", "body", "priority", int, marker=Body(ge=0)),
            ],
        ),
        login: RouteSignature(
            "login",
            [
                ParamInfo("username", "form", "username", str, marker=Form()),
                ParamInfo("password", "form", "password", str, default=empty, marker=Form(min_length=8)),
            ],
        ),
    }
    bearer = {"type": "http", "scheme": "bearer"}
    signatures[create].security = [("HTTPBearer", bearer, [])]  # type: ignore[attr-defined]
    monkeypatch.setattr(app, "_route_signature", lambda spec: signatures[spec.handler])
    doc = app.openapi()
    validate(doc)
    schemas = doc["components"]["schemas"]

    op = operation(doc, "post", "/shop/customers")
    assert op["tags"] == ["shop"]
    assert param(op, "x-token") == {
        "name": "x-token",
        "in": "header",
        "required": True,
        "description": "The caller's token",
        "schema": {"type": "string", "title": "X Token"},
    }
    assert param(op, "session")["in"] == "cookie"
    assert param(op, "session")["required"] is False
    assert param(op, "level")["schema"] == {"$ref": "#/components/schemas/Level", "title": "Level", "default": 1}
    assert schemas["Level"]["type"] == "integer"
    assert op["requestBody"] == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Customer"}}},
        "required": True,
    }
    assert schemas["Customer"] == {
        "properties": {
            "name": {"type": "string", "title": "Name"},
            "tags": {"type": "array", "items": {"type": "string"}, "title": "Tags"},
            "address": {"$ref": "#/components/schemas/Address", "title": "Address"},
            "vip": {"type": "boolean", "default": False, "title": "Vip"},
        },
        "type": "object",
        "title": "Customer",
        "required": ["name", "tags", "address"],
        "description": "Someone who buys paint.",
    }
    assert schemas["Address"]["properties"]["zip_code"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Customer"}
    assert op["security"] == [{"HTTPBearer": []}]
    assert doc["components"]["securitySchemes"] == {"HTTPBearer": bearer}

    # Two body parameters: an object named after the operation, as FastAPI names it.
    op = operation(doc, "post", "/shop/notes")
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/Body_notes_shop_notes_post"
    body = schemas["Body_notes_shop_notes_post"]
    assert body["required"] == ["note", "priority"]
    assert body["properties"]["note"] == {"$ref": "#/components/schemas/Note"}
    assert body["properties"]["priority"] == {"type": "integer", "minimum": 0, "title": "Priority"}
    assert schemas["Note"]["required"] == ["text"]
    assert schemas["Note"]["properties"]["pinned"] == {"type": "boolean", "title": "Pinned"}
    # `-> None`: Cello answers 204 No Content.
    assert op["responses"]["204"] == {"description": "Successful Response"}

    op = operation(doc, "post", "/shop/login")
    form = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form == {"$ref": "#/components/schemas/Body_login_shop_login_post"}
    assert schemas["Body_login_shop_login_post"]["properties"]["password"]["minLength"] == 8
