"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served by the
real engine, and third-party tools working from them: both pages rendered in
headless Chromium with no network, schemathesis fuzzing the example app from its
document."""

from __future__ import annotations

import os
from typing import Any, Callable

import httpx
import pytest

from cello import App, Request
from cello.testing import TestClient
from conftest import Server, load_app
from openapi_tools import render, schemathesis


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_app("openapi_app").app.openapi()


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Server]) -> Server:
    return start_server("openapi_app.py")


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


def test_swagger_ui_renders_the_operations_offline(server: Server, browser_home: None) -> None:
    dom = render(server.base_url + "/docs")
    # Texts only the rendered page has (the served HTML names none of them).
    for text in ("OAS 3.1", "List Items", "Read one item", "Place Order", "HTTPValidationError"):
        assert text in dom, text


def test_redoc_renders_the_operations_offline(server: Server, browser_home: None) -> None:
    dom = render(server.base_url + "/redoc")
    for text in ("Download OpenAPI description", "Place Order", "Any color name", "Sells paint"):
        assert text in dom, text


def test_schemathesis_finds_no_failure_in_the_example_app(server: Server, tmp_path: Any) -> None:
    code, text = schemathesis(server.base_url, tmp_path)
    assert code == 0, text[-6000:]
    assert "Tested: 7" in text, text[-3000:]


def test_the_status_code_option_answers_the_documented_201(server: Server) -> None:
    assert httpx.post(server.base_url + "/orders?color=red").status_code == 201


def test_a_bad_typed_path_parameter_gets_the_documented_422_list(server: Server) -> None:
    r = httpx.get(server.base_url + "/items/abc")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "int_parsing",
            "loc": ["path", "item_id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "abc",
        }
    ]
