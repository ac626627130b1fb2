"""Decorators, routers, path parameters, 404/405 and HEAD."""

import uuid

import pytest

from cello import App
from cello.testing import TestClient
from rawhttp import exchange


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_each_method_decorator_routes_its_method(client, method):
    r = client.request(method, "/method")
    assert r.status_code == 200
    assert r.json() == {"method": method}


def test_options_decorator_routes_options(client):
    r = client.options("/method")
    assert r.status_code == 204
    assert "OPTIONS" in r.headers["allow"]


def test_head_decorator_routes_head_with_headers_and_no_body(client):
    r = client.head("/head-only")
    assert r.status_code == 200
    assert r.headers["x-head"] == "yes"
    assert r.content == b""


def test_route_with_methods_list_registers_each_method(client):
    assert client.get("/multi").json() == {"method": "GET"}
    assert client.post("/multi").json() == {"method": "POST"}
    r = client.put("/multi")
    assert r.status_code == 405


def test_head_on_a_get_route_answers_headers_without_body(client):
    get = client.get("/ret/dict")
    head = client.head("/ret/dict")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_unknown_path_is_404_with_json_detail(client):
    r = client.get("/no/such/path")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"detail": "Not Found"}


def test_wrong_method_is_405_with_allow_header(client):
    r = client.delete("/only-get")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert "GET" in allow
    assert "DELETE" not in allow


def test_405_allow_lists_every_registered_method(client):
    r = client.request("TRACE", "/multi")
    assert r.status_code == 405
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allow


def test_sync_and_async_handlers_both_answer(client):
    assert client.get("/sync").json() == {"kind": "sync"}
    assert client.get("/async").json() == {"kind": "async"}
    assert client.get("/async-suspend").json() == {"kind": "async", "suspended": True}


def test_int_path_param_is_converted_to_int(client):
    assert client.get("/users/42").json() == {"user_id": 42, "type": "int"}
    assert client.get("/users/-7").json() == {"user_id": -7, "type": "int"}


def test_float_path_param_is_converted_to_float(client):
    assert client.get("/floats/2.5").json() == {"x": 2.5, "type": "float"}


def test_str_path_param_is_percent_decoded(client):
    r = client.get("/names/caf%C3%A9%20au%20lait")
    assert r.json() == {"name": "café au lait", "type": "str", "method": "GET"}


def test_uuid_path_param_is_converted_to_uuid(client):
    u = uuid.uuid4()
    assert client.get(f"/items/{u}").json() == {"item_id": str(u), "is_uuid": True}


def test_unannotated_path_param_is_a_str(client):
    assert client.get("/untyped/123").json() == {"thing": "123", "type": "str"}


def test_handler_may_take_only_path_params(client):
    assert client.get("/params-only/5/x").json() == {"a": 5, "b": "x"}


def test_handler_may_take_no_arguments(client):
    assert client.get("/no-args").text == "no args"


@pytest.mark.parametrize(
    "path, name, kind",
    [
        ("/users/abc", "user_id", "int_parsing"),
        ("/users/1.5", "user_id", "int_parsing"),
        ("/users/99999999999999999999999", "user_id", "int_parsing"),
        ("/floats/nope", "x", "float_parsing"),
        ("/items/not-a-uuid", "item_id", "uuid_parsing"),
    ],
)
def test_path_param_that_does_not_convert_is_422_in_fastapis_shape(client, path, name, kind):
    r = client.get(path)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/json")
    [error] = r.json()["detail"]
    assert error["loc"] == ["path", name]
    assert error["type"] == kind
    assert error["input"] == path.rsplit("/", 1)[1]
    assert error["msg"].startswith("Input should be a valid ")


def test_router_routes_are_mounted_under_its_prefix(client):
    r = client.get("/api/v1/status")
    assert r.json() == {"router": "api", "path": "/api/v1/status"}
    assert client.get("/status").status_code == 404


def test_router_async_route_with_param_and_tuple(client):
    r = client.post("/api/v1/things/9")
    assert r.status_code == 201
    assert r.json() == {"thing_id": 9}


def test_include_router_prefix_is_prepended_to_the_routers_own(client):
    assert client.get("/outer/nested/hello").text == "nested hello"
    assert client.get("/nested/hello").status_code == 404


def test_the_route_grammar_is_read_by_the_router_so_literal_braces_are_not_parameters():
    from cello import _cello

    assert _cello.route_params("/a/{{x}}/{y:int}/{*rest}") == [("y", "int", False), ("rest", None, True)]
    app = App()

    @app.get("/lit/{{x}}/{n}")
    def lit(req, n: int):
        return {"n": n}

    with TestClient(app) as client:
        # Raw: httpx would percent-encode the braces.
        ok, _ = exchange(client.port, b"GET /lit/{x}/5 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert ok.status == 200 and ok.body == b'{"n":5}'
        bad, _ = exchange(client.port, b"GET /lit/{x}/five HTTP/1.1\r\nHost: t\r\n\r\n")
        assert bad.status == 422


def test_an_annotation_the_engine_cannot_convert_is_an_error_at_registration():
    app = App()

    # (bool, date, Enum... path parameters convert since typed handlers: test_params.py)
    @app.get("/flag/{on}")
    def flag(req, on: dict):
        return {"on": on}

    with pytest.raises(TypeError, match=r"flag.*`on`.*dict"):
        app._engine()
