"""Exceptions and bad return values: a clear answer, a log line, and the worker keeps serving."""

import pytest

from cello import HTTPException, Response


def test_http_exception_gives_its_status_detail_and_headers(client):
    r = client.get("/raise/http")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "no such thing"}
    assert r.headers["x-error"] == "yes"


def test_http_exception_detail_may_be_json_data(client):
    r = client.get("/raise/http-dict")
    assert r.status_code == 409
    assert r.json() == {"detail": {"field": "name", "problem": "taken"}}


def test_http_exception_without_detail_uses_the_status_phrase(client):
    r = client.get("/raise/http-default")
    assert r.status_code == 403
    assert r.json() == {"detail": "Forbidden"}


def test_http_exception_raised_after_an_await(client):
    r = client.get("/raise/http-after-await")
    assert r.status_code == 401
    assert r.json() == {"detail": "later"}
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "path, handler, exc_type, message",
    [
        ("/raise/boom", "raise_boom", "RuntimeError", "boom from a sync handler"),
        ("/raise/async-boom", "raise_async_boom", "KeyError", "boom from an async handler"),
    ],
)
def test_other_exception_is_500_generic_logged_with_traceback_and_server_keeps_serving(
    client, path, handler, exc_type, message
):
    mark = client.log_mark()
    r = client.get(path)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert message not in r.text  # nothing internal leaks to the client
    log = client.logs_since(mark, expect=message)
    assert handler in log
    assert "Traceback" in log
    assert exc_type in log and message in log
    # The worker keeps serving.
    assert client.get("/sync").json() == {"kind": "sync"}


@pytest.mark.parametrize(
    "path, handler, type_name",
    [("/ret/set", "ret_set", "set"), ("/ret/object", "ret_object", "object"), ("/ret/async-set", "ret_async_set", "set")],
)
def test_unsupported_return_type_is_500_and_logs_handler_and_type(client, path, handler, type_name):
    mark = client.log_mark()
    r = client.get(path)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    log = client.logs_since(mark, expect=handler)
    assert handler in log
    assert f"`{type_name}`" in log
    assert client.get("/sync").status_code == 200


def test_cr_lf_in_header_returned_in_tuple_is_500_never_sent(client):
    mark = client.log_mark()
    r = client.get("/ret/tuple-bad-header")
    assert r.status_code == 500
    assert "evil" not in r.headers.get("set-cookie", "")
    assert "x-bad" not in r.headers
    log = client.logs_since(mark, expect="ret_tuple_bad_header")
    assert "ret_tuple_bad_header" in log
    assert client.get("/sync").status_code == 200


def test_many_failures_in_a_row_do_not_take_the_worker_down(client):
    for _ in range(20):
        assert client.get("/raise/boom").status_code == 500
        assert client.get("/ret/object").status_code == 500
    assert client.get("/sync").json() == {"kind": "sync"}


# -- building a Response in Python (no server) --------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"x-bad": "a\r\nset-cookie: evil=1"},
        {"x-bad": "line\nfeed"},
        {"x-bad": "carriage\rreturn"},
        {"x-bad\r\nx-evil": "1"},
        [("x-bad\n", "1")],
    ],
)
def test_cr_or_lf_in_a_header_raises_value_error_when_the_response_is_built(headers):
    with pytest.raises(ValueError, match="CR or LF"):
        Response("x", headers=headers)


@pytest.mark.parametrize("factory", [Response.json, Response.text, Response.html])
def test_cr_lf_check_applies_to_every_response_factory(factory):
    with pytest.raises(ValueError):
        factory("x", headers={"x": "a\r\nb"})


def test_cr_lf_in_redirect_location_raises_value_error():
    with pytest.raises(ValueError):
        Response.redirect("/ok\r\nset-cookie: evil=1")


def test_cr_lf_in_add_header_and_cookie_raises_value_error():
    r = Response("x")
    with pytest.raises(ValueError):
        r.add_header("x-a", "1\r\n2")
    with pytest.raises(ValueError):
        r.set_cookie("k", "v\r\nx")
    with pytest.raises(ValueError):
        r.set_cookie("k", "v", path="/\r\n")


def test_cr_lf_in_content_type_raises_value_error():
    with pytest.raises(ValueError):
        Response("x", content_type="text/plain\r\nx-evil: 1")


def test_response_exposes_its_parts():
    r = Response({"a": 1}, 201, headers={"x-a": "1"}, content_type="application/json")
    assert r.status == 201
    assert r.body == {"a": 1}
    assert r.content_type == "application/json"
    assert ("x-a", "1") in r.headers


def test_invalid_status_raises_value_error():
    with pytest.raises((ValueError, OverflowError)):
        Response("x", status=42)


def test_http_exception_attributes():
    e = HTTPException(418, "teapot", headers={"x": "y"})
    assert (e.status_code, e.detail, e.headers) == (418, "teapot", {"x": "y"})
    assert HTTPException(404).detail == "Not Found"
