"""Tests of ``items_app``, written as a FastAPI user writes them (a module-level
``TestClient``, no ``with``). ``test_porting.py`` runs them with only the imports
rewritten to Cello."""

from fastapi import status
from fastapi.testclient import TestClient

from items_app import app

client = TestClient(app)


def test_root():
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"service": "items"}


def test_list_items_with_defaults():
    response = client.get("/items/")
    assert response.status_code == status.HTTP_200_OK
    data = response.json()
    assert data["total"] == 3
    assert [i["name"] for i in data["items"]] == ["hammer", "saw", "drill"]


def test_list_items_filters_by_query():
    response = client.get("/items/", params={"color": "red", "limit": 1})
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"id": 1, "name": "hammer", "color": "red", "price": 12.5}],
        "total": 2,
    }
    assert client.get("/items/?q=sa").json()["total"] == 1


def test_list_items_without_the_trailing_slash_redirects():
    response = client.get("/items?limit=2")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2
    assert response.history[0].status_code == status.HTTP_307_TEMPORARY_REDIRECT
    assert response.url == "http://testserver/items/?limit=2"


def test_the_redirect_itself():
    response = client.get("/items", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/items/")


def test_a_bad_query_value_is_a_422():
    response = client.get("/items/", params={"limit": "many"})
    assert response.status_code == status.HTTP_422_UNPROCESSABLE_ENTITY
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", "limit"]
    assert detail[0]["type"] == "int_parsing"


def test_a_bad_enum_value_is_a_422():
    response = client.get("/items/", params={"color": "green"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "color"]
    assert response.json()["detail"][0]["type"] == "enum"


def test_read_item():
    response = client.get("/items/2")
    assert response.status_code == 200
    assert response.json() == {"id": 2, "name": "saw", "color": "blue", "price": 20.0}


def test_read_item_verbose():
    assert client.get("/items/2?verbose=true").json()["verbose"] is True


def test_read_missing_item():
    response = client.get("/items/42")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}
    assert response.headers["x-error"] == "missing-item"


def test_read_item_with_a_bad_id():
    response = client.get("/items/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_search_with_repeated_tags_and_choices():
    response = client.get("/search", params={"tags": ["a", "b"], "order": "desc", "min_price": "15"})
    assert response.status_code == 200
    assert response.json() == {"tags": ["a", "b"], "prices": [99.0, 20.0]}


def test_search_with_a_bad_choice():
    response = client.get("/search?order=sideways")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "literal_error"


def test_read_owner():
    owner = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert client.get(f"/owners/{owner}").json() == {"owner_id": owner}


def test_delete_is_forbidden():
    response = client.delete("/items/1")
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json() == {"detail": "Items are read-only"}


def test_delete_missing():
    assert client.delete("/items/9").status_code == 404


def test_method_not_allowed():
    response = client.post("/items/1")
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED


def test_http_exception_without_detail_uses_the_reason_phrase():
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.json() == {"detail": "I'm a Teapot"}


def test_the_test_client_identifies_itself():
    assert client.headers["user-agent"] == "testclient"
    assert str(client.base_url) == "http://testserver"
