"""``App(redirect_slashes=True)``, the default as in FastAPI: a path routed only with
(or without) its trailing slash gets a 307 to the routed form, query string kept, for
any method; ``redirect_slashes=False`` answers 404."""

from __future__ import annotations

import pytest

from cello import App, Request
from cello.testing import TestClient
from rawhttp import h11_exchange


def slash_app(**kw) -> App:
    app = App(**kw)

    @app.get("/items/")
    def items(req: Request):
        return {"items": [], "query": req.query_string}

    @app.post("/orders")
    def create_order(req: Request):
        return {"created": req.json()}

    @app.get("/users/{user_id}")
    def user(user_id: int):
        return {"user_id": user_id}

    @app.get("/")
    def root(req: Request):
        return "root"

    return app


@pytest.fixture(scope="module")
def served():
    with TestClient(slash_app()) as client:
        yield client


def test_a_missing_trailing_slash_gets_a_307_to_the_routed_path_with_the_query(served):
    response, body, _ = h11_exchange(served.port, "GET", "/items?limit=5&q=a%20b")
    assert response.status_code == 307
    assert dict(response.headers)[b"location"] == b"/items/?limit=5&q=a%20b"
    assert body == b""


def test_an_extra_trailing_slash_gets_a_307_for_any_method_and_the_body_is_sent_again(served):
    response, _, _ = h11_exchange(served.port, "POST", "/orders/", b'{"n": 1}')
    assert response.status_code == 307
    assert dict(response.headers)[b"location"] == b"/orders"
    # httpx (and so TestClient) repeats a POST with its body on a 307.
    followed = served.post("/orders/", json={"n": 1})
    assert followed.status_code == 200
    assert followed.json() == {"created": {"n": 1}}
    assert [r.status_code for r in followed.history] == [307]


def test_a_path_with_parameters_is_redirected_too(served):
    response, _, _ = h11_exchange(served.port, "GET", "/users/7/")
    assert response.status_code == 307
    assert dict(response.headers)[b"location"] == b"/users/7"
    assert served.get("/users/7/").json() == {"user_id": 7}


def test_the_test_client_follows_the_redirect_and_reports_the_final_url(served):
    r = served.get("/items", params={"limit": 5})
    assert r.status_code == 200
    assert r.json() == {"items": [], "query": "limit=5"}
    assert str(r.url) == "http://testserver/items/?limit=5"


def test_a_path_unknown_with_and_without_the_slash_is_still_404(served):
    response, _, _ = h11_exchange(served.port, "GET", "/nothing/here/")
    assert response.status_code == 404


def test_a_routed_path_and_a_405_are_never_redirected(served):
    ok, _, _ = h11_exchange(served.port, "GET", "/items/")
    assert ok.status_code == 200
    wrong_method, _, _ = h11_exchange(served.port, "GET", "/orders")
    assert wrong_method.status_code == 405


def test_redirect_slashes_false_answers_404():
    with TestClient(slash_app(redirect_slashes=False)) as client:
        response, _, _ = h11_exchange(client.port, "GET", "/items")
        assert response.status_code == 404
        assert client.get("/items").status_code == 404
