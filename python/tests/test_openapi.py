"""The OpenAPI 3.1 document (``app.openapi()``, ``/openapi.json``) and the docs
pages (``/docs``, ``/redoc``), served by the real engine: the document validates
against the 3.1 schema, says what the handlers declare, and third-party tools
(Swagger UI, ReDoc in a headless browser with no network; schemathesis) work
from it."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import os
import shutil
import subprocess
import sys
from typing import Any, Callable, Iterator, TypedDict

import httpx
import pytest
from openapi_spec_validator import validate

from cello import App, Body, Cookie, Form, Header, Request, Router
from cello import openapi as openapi_module
from cello._signature import ParamInfo, RouteSignature
from cello.testing import TestClient
from conftest import Server, load_app


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_app("openapi_app").app.openapi()


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Server]) -> Server:
    return start_server("openapi_app.py")


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
    monkeypatch.setattr(openapi_module, "compile_signature", lambda path, handler: signatures[handler])
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
    # `-> None`: Cello answers 204 No Content.
    assert op["responses"]["204"] == {"description": "Successful Response"}

    op = operation(doc, "post", "/shop/login")
    form = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form == {"$ref": "#/components/schemas/Body_login_shop_login_post"}
    assert schemas["Body_login_shop_login_post"]["properties"]["password"]["minLength"] == 8


# -- serving -------------------------------------------------------------------


def test_openapi_json_is_served_and_equals_app_openapi(server: Server, doc: dict[str, Any]) -> None:
    r = httpx.get(server.base_url + "/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == doc


def test_docs_pages_load_their_assets_from_the_app_never_a_cdn(server: Server) -> None:
    for page, assets in (
        ("/docs", ["/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"]),
        ("/redoc", ["/redoc/static/redoc.standalone.js"]),
    ):
        r = httpx.get(server.base_url + page)
        assert r.status_code == 200, page
        assert r.headers["content-type"].startswith("text/html")
        assert "http://" not in r.text and "https://" not in r.text, page
        assert "/openapi.json" in r.text
        for asset in assets:
            assert f'"{asset}"' in r.text
            got = httpx.get(server.base_url + asset)
            assert got.status_code == 200, asset
            assert len(got.content) > 10_000, asset
            assert got.headers["content-type"].split(";")[0] in ("application/javascript", "text/css")


def test_the_asset_licenses_ship_in_the_package() -> None:
    import cello

    static = os.path.join(os.path.dirname(cello.__file__), "_static")
    for license_file in ("swagger-ui/LICENSE", "swagger-ui/NOTICE", "redoc/LICENSE"):
        assert os.path.getsize(os.path.join(static, license_file)) > 40, license_file


def test_urls_can_be_moved_or_turned_off() -> None:
    app = App(openapi_url="/api/schema.json", docs_url="/api/docs", redoc_url=None)

    @app.get("/a")
    def a(req: Request) -> str:
        return "a"

    with TestClient(app) as client:
        assert client.get("/api/schema.json").json()["paths"]["/a"]["get"]["operationId"] == "a_a_get"
        page = client.get("/api/docs")
        assert page.status_code == 200 and '"/api/schema.json"' in page.text
        assert client.get("/api/docs/static/swagger-ui.css").status_code == 200
        for gone in ("/openapi.json", "/docs", "/redoc"):
            assert client.get(gone).status_code == 404, gone

    off = App(openapi_url=None)
    with TestClient(off) as client:
        # No document, so no page to show it either (as FastAPI does).
        for gone in ("/openapi.json", "/docs", "/redoc"):
            assert client.get(gone).status_code == 404, gone


def test_a_user_route_on_a_docs_path_wins() -> None:
    app = App()

    @app.get("/docs")
    def my_docs(req: Request) -> str:
        return "my own docs"

    app.const("/openapi.json", {"mine": True})
    with TestClient(app) as client:
        assert client.get("/docs").text == "my own docs"
        assert client.get("/openapi.json").json() == {"mine": True}
        assert client.get("/redoc").status_code == 200


# -- third-party tools ------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str) -> str:
    """The DOM of ``url`` after its scripts ran, in headless Chromium that can
    resolve no host but 127.0.0.1 (so a CDN reference would fail to load)."""
    chromium = _chromium()
    if chromium is None:
        # CI installs it for the 3.11 run; the CPython 3.13 root has none.
        if os.environ.get("CI") == "true" and sys.version_info[:2] == (3, 11):
            pytest.fail("chromium is missing; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return out.stdout.decode(errors="replace")


@pytest.fixture(scope="module")
def browser_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("chromium-home")
    old = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    yield
    if old is None:
        os.environ.pop("HOME", None)
    else:
        os.environ["HOME"] = old


def test_swagger_ui_renders_the_operations_offline(server: Server, browser_home: None) -> None:
    dom = render(server.base_url + "/docs")
    # Texts only the rendered page has (the served HTML names none of them).
    for text in ("OAS 3.1", "List Items", "Read one item", "Place Order", "HTTPValidationError"):
        assert text in dom, text


def test_redoc_renders_the_operations_offline(server: Server, browser_home: None) -> None:
    dom = render(server.base_url + "/redoc")
    for text in ("Download OpenAPI description", "Place Order", "Any color name", "Sells paint"):
        assert text in dom, text


#: What schemathesis checks on every response it gets.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
#: Operations of the example app where the engine does not yet do what the document
#: says (see the xfail test below); the rest must pass every check.
KNOWN_GAPS = {
    # `status_code=201` is documented but the engine still answers 200.
    "place_order_orders_post": "the status_code option is not applied yet",
    # A bad `{item_id:int}` is refused by the router with `{"detail": "<text>"}`, not
    # the list of errors every other 422 (and the document) has.
    "read_item_items__item_id__get": "the router's path-parameter 422 is not FastAPI's shape",
}


def schemathesis(base_url: str, tmp_path: Any, *filters: str) -> tuple[int, str]:
    """Runs schemathesis from the served document with bounded, seeded examples."""
    out = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"),
            "run",
            base_url + "/openapi.json",
            "--checks",
            CHECKS,
            "--mode",
            "positive",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
            "--generation-database",
            "none",
            "--report-dir",
            str(tmp_path),
            *filters,
        ],
        capture_output=True,
        timeout=600,
        cwd=tmp_path,
    )
    return out.returncode, out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")


def test_schemathesis_finds_no_failure_in_the_example_app(server: Server, tmp_path: Any) -> None:
    excluded = [arg for op in KNOWN_GAPS for arg in ("--exclude-operation-id", op)]
    code, text = schemathesis(server.base_url, tmp_path, *excluded)
    assert code == 0, text[-6000:]
    assert "Tested: 5" in text, text[-3000:]


@pytest.mark.xfail(strict=True, reason=KNOWN_GAPS["place_order_orders_post"])
def test_known_gap_status_code_option_answers_the_documented_201(server: Server) -> None:
    """Strict: when this passes, drop the operation from KNOWN_GAPS."""
    assert httpx.post(server.base_url + "/orders?color=red").status_code == 201


@pytest.mark.xfail(strict=True, reason=KNOWN_GAPS["read_item_items__item_id__get"])
def test_known_gap_a_bad_typed_path_parameter_gets_the_documented_422_list(server: Server) -> None:
    """Strict: when this passes, drop the operation from KNOWN_GAPS."""
    r = httpx.get(server.base_url + "/items/abc")
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], list)
