"""``examples/todo_api.py``, the typed CRUD service: through the ``TestClient`` and
served as a user runs it (``python examples/todo_api.py PORT``). CRUD, the query
filters, 422 bodies field by field, the bearer token, the unit of work's commit and
rollback, the pydantic route (and the service without pydantic), and third-party
tools on its document: openapi-spec-validator, schemathesis, Swagger UI and ReDoc in
headless Chromium."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
from openapi_spec_validator import validate

from cello.testing import TestClient
from conftest import Server, wait_until
from openapi_tools import render, schemathesis

EXAMPLE = Path(__file__).parents[2] / "examples" / "todo_api.py"
TOKEN = "s3cret-token"  # the served example's, through $TODO_API_TOKEN
AUTH = {"authorization": "Bearer demo-token"}  # the default, for the TestClient


def load_example(name: str) -> Any:
    """The example as a module of its own (a separate app, store and overrides)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses read their string annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


todo_api = load_example("todo_api_example")
client = TestClient(todo_api.app)


@pytest.fixture(scope="module")
def served(start_server: Callable[..., Server]) -> Server:
    return start_server(str(EXAMPLE), env={"TODO_API_TOKEN": TOKEN})


def create(title: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/todos", json={"title": title, **fields}, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def stats() -> dict[str, int]:
    return client.get("/stats").json()  # type: ignore[no-any-return]


# -- CRUD ------------------------------------------------------------------------------


def test_a_todo_is_created_read_replaced_patched_and_deleted() -> None:
    todo = create("Write the report", tags=["work"])
    assert todo == {"id": todo["id"], "title": "Write the report", "done": False, "notes": None, "tags": ["work"]}
    assert client.get(f"/todos/{todo['id']}").json() == todo

    r = client.put(f"/todos/{todo['id']}", json={"title": "Write the long report", "notes": "by Friday"}, headers=AUTH)
    assert r.status_code == 200
    # PUT writes every field: tags left out get their default.
    assert r.json() == {**todo, "title": "Write the long report", "notes": "by Friday", "tags": []}

    r = client.patch(f"/todos/{todo['id']}", json={"done": True}, headers=AUTH)
    assert r.json() == {**todo, "title": "Write the long report", "notes": "by Friday", "tags": [], "done": True}
    # PATCH changes only the fields given, an explicit null included.
    r = client.patch(f"/todos/{todo['id']}", json={"notes": None}, headers=AUTH)
    assert r.json()["notes"] is None and r.json()["done"] is True

    r = client.delete(f"/todos/{todo['id']}", headers=AUTH)
    assert r.status_code == 204 and r.content == b""
    r = client.get(f"/todos/{todo['id']}")
    assert r.status_code == 404 and r.json() == {"detail": f"No to-do {todo['id']}"}


def test_writes_to_a_missing_todo_are_404() -> None:
    missing = 10**9
    assert client.put(f"/todos/{missing}", json={"title": "x"}, headers=AUTH).status_code == 404
    assert client.patch(f"/todos/{missing}", json={}, headers=AUTH).status_code == 404
    assert client.delete(f"/todos/{missing}", headers=AUTH).status_code == 404


def test_the_list_is_filtered_by_done_and_text_and_paged() -> None:
    made = [create(f"Filter-me {i}", done=i % 2 == 0) for i in range(5)]
    ids = [t["id"] for t in made]

    def listed(**params: Any) -> list[int]:
        r = client.get("/todos", params={"q": "filter-ME", **params})
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()]

    assert listed() == ids  # case-insensitive, in creation order
    assert listed(done="true") == ids[0::2]
    assert listed(done="false") == ids[1::2]
    assert listed(done="no") == ids[1::2]
    assert listed(limit=2) == ids[:2]
    assert listed(limit=2, offset=2) == ids[2:4]
    assert listed(offset=4) == ids[4:]
    assert listed(q="filter-me 3") == [ids[3]]


# -- 422s, field by field ----------------------------------------------------------------


def test_a_bad_body_gets_every_failure_in_one_422() -> None:
    r = client.post("/todos", json={"done": "maybe", "notes": 3, "tags": ["ok", 7]}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "missing",
            "loc": ["body", "title"],
            "msg": "Field required",
            "input": {"done": "maybe", "notes": 3, "tags": ["ok", 7]},
        },
        {
            "type": "bool_parsing",
            "loc": ["body", "done"],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "input": "maybe",
        },
        {"type": "string_type", "loc": ["body", "notes"], "msg": "Input should be a valid string", "input": 3},
        {"type": "string_type", "loc": ["body", "tags", 1], "msg": "Input should be a valid string", "input": 7},
    ]


def test_a_patch_body_of_the_wrong_type_is_a_422() -> None:
    todo = create("Patch me badly")
    r = client.patch(f"/todos/{todo['id']}", json={"title": None, "tags": "a"}, headers=AUTH)
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [
        ("string_type", ["body", "title"]),
        ("list_type", ["body", "tags"]),
    ]
    assert client.get(f"/todos/{todo['id']}").json() == todo


def test_bad_query_filters_get_every_failure_in_one_422() -> None:
    r = client.get("/todos", params={"done": "perhaps", "q": "x" * 51, "limit": "0", "offset": "-1"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "bool_parsing",
            "loc": ["query", "done"],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "input": "perhaps",
        },
        {
            "type": "string_too_long",
            "loc": ["query", "q"],
            "msg": "String should have at most 50 characters",
            "input": "x" * 51,
            "ctx": {"max_length": 50},
        },
        {
            "type": "greater_than_equal",
            "loc": ["query", "limit"],
            "msg": "Input should be greater than or equal to 1",
            "input": "0",
            "ctx": {"ge": 1},
        },
        {
            "type": "greater_than_equal",
            "loc": ["query", "offset"],
            "msg": "Input should be greater than or equal to 0",
            "input": "-1",
            "ctx": {"ge": 0},
        },
    ]
    r = client.get("/todos", params={"limit": "101"})
    assert [(e["type"], e["loc"], e["ctx"]) for e in r.json()["detail"]] == [
        ("less_than_equal", ["query", "limit"], {"le": 100})
    ]


def test_a_todo_id_that_is_not_an_integer_is_a_422() -> None:
    r = client.get("/todos/abc")
    assert r.status_code == 422
    assert [(e["type"], e["loc"], e["input"]) for e in r.json()["detail"]] == [("int_parsing", ["path", "todo_id"], "abc")]


# -- auth ------------------------------------------------------------------------------------


def test_writes_without_the_token_are_401_and_write_nothing() -> None:
    before = stats()
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "Basic ZGVtbzp0b2tlbg=="}):
        r = client.post("/todos", json={"title": "Sneaky"}, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["detail"] in ("Not authenticated", "Invalid bearer token")
    assert client.delete("/todos/1").status_code == 401
    assert client.patch("/todos/1", json={}).status_code == 401
    # Refused before the unit of work began: nothing committed or rolled back.
    assert stats() == before
    assert client.get("/todos", params={"q": "Sneaky"}).json() == []


def test_reads_need_no_token() -> None:
    assert client.get("/todos").status_code == 200
    assert client.get("/stats").status_code == 200


# -- the yield dependency: a unit of work ------------------------------------------------------


def test_each_successful_write_commits_its_unit_of_work() -> None:
    before = stats()
    todo = create("Commit me")
    client.patch(f"/todos/{todo['id']}", json={"done": True}, headers=AUTH)
    # The cleanup runs after the response is made: wait for it, do not assume it.
    assert wait_until(lambda: stats()["commits"] == before["commits"] + 2), stats()
    assert stats()["rollbacks"] == before["rollbacks"]


def test_a_failed_write_rolls_its_unit_of_work_back() -> None:
    before = stats()
    assert client.delete(f"/todos/{10**9}", headers=AUTH).status_code == 404
    assert wait_until(lambda: stats()["rollbacks"] == before["rollbacks"] + 1), stats()
    assert stats()["commits"] == before["commits"]


def test_the_store_can_be_replaced_with_dependency_overrides() -> None:
    other = load_example("todo_api_overridden")  # its own app: the shared client's store is untouched
    store = other.Store()
    other.app.dependency_overrides[other.get_store] = lambda: store
    with TestClient(other.app) as own:
        r = own.post("/todos", json={"title": "Only here"}, headers=AUTH)
        assert r.status_code == 201
        assert [t.title for t in store.todos.values()] == ["Only here"]
        assert wait_until(lambda: store.commits == 1)
        assert own.get("/stats").json() == {"todos": 1, "commits": 1, "rollbacks": 0}
    assert client.get("/todos", params={"q": "Only here"}).json() == []


# -- the pydantic route ----------------------------------------------------------------------


def test_an_import_adds_every_item() -> None:
    pytest.importorskip("pydantic")
    r = client.post("/todos/import", json={"items": [{"title": "Imported A"}, {"title": "Imported B", "done": True}]}, headers=AUTH)
    assert r.status_code == 201, r.text
    assert [(t["title"], t["done"]) for t in r.json()] == [("Imported A", False), ("Imported B", True)]
    assert [t["title"] for t in client.get("/todos", params={"q": "imported"}).json()] == ["Imported A", "Imported B"]


def test_an_import_with_a_taken_title_is_409_and_rolled_back_whole() -> None:
    pytest.importorskip("pydantic")
    create("Taken title")
    before = stats()
    batch = {"items": [{"title": "Rolled back 1"}, {"title": "Rolled back 2"}, {"title": "Taken title"}]}
    r = client.post("/todos/import", json=batch, headers=AUTH)
    assert r.status_code == 409
    assert r.json() == {"detail": "A to-do titled 'Taken title' exists"}
    # The unit of work undid the two items added before the failure.
    assert wait_until(lambda: stats()["rollbacks"] == before["rollbacks"] + 1), stats()
    assert client.get("/todos", params={"q": "rolled back"}).json() == []
    assert stats()["todos"] == before["todos"]


def test_an_import_is_validated_by_pydantic() -> None:
    pytest.importorskip("pydantic")
    r = client.post("/todos/import", json={"items": [{"title": ""}, {"done": "x"}]}, headers=AUTH)
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [
        ("string_too_short", ["body", "items", 0, "title"]),
        ("missing", ["body", "items", 1, "title"]),
        ("bool_parsing", ["body", "items", 1, "done"]),
    ]
    r = client.post("/todos/import", json={"items": []}, headers=AUTH)
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [("too_short", ["body", "items"])]


def test_the_service_runs_without_pydantic_minus_the_import_route() -> None:
    script = (
        "import sys; sys.modules['pydantic'] = None; "  # makes `import pydantic` fail
        f"sys.path.insert(0, {str(EXAMPLE.parent)!r}); import todo_api; "
        "print(sorted(todo_api.app.openapi()['paths']))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['/stats', '/todos', '/todos/{todo_id}']"


# -- served, and third-party tools on its document -----------------------------------------


def test_the_served_example_takes_its_token_from_the_environment(served: Server) -> None:
    with httpx.Client(base_url=served.base_url, timeout=10.0) as http:
        assert http.post("/todos", json={"title": "x"}, headers=AUTH).status_code == 401
        r = http.post("/todos", json={"title": "Served"}, headers={"authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 201
        assert http.get(f"/todos/{r.json()['id']}").json()["title"] == "Served"


def test_its_openapi_document_validates_and_lists_every_operation(served: Server) -> None:
    doc = httpx.get(served.base_url + "/openapi.json").json()
    validate(doc)
    assert doc == todo_api.app.openapi()
    ops = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert ops == {
        ("/todos", "get"),
        ("/todos", "post"),
        ("/todos/{todo_id}", "get"),
        ("/todos/{todo_id}", "put"),
        ("/todos/{todo_id}", "patch"),
        ("/todos/{todo_id}", "delete"),
        ("/todos/import", "post"),
        ("/stats", "get"),
    }
    assert doc["components"]["securitySchemes"] == {"HTTPBearer": {"type": "http", "scheme": "bearer"}}
    for path, method in ops:
        op = doc["paths"][path][method]
        assert ("security" in op) == (method != "get"), (path, method)
    schemas = {p["name"]: p["schema"] for p in doc["paths"]["/todos"]["get"]["parameters"]}
    assert schemas["q"]["anyOf"] == [{"type": "string", "maxLength": 50}, {"type": "null"}]
    assert (schemas["limit"]["minimum"], schemas["limit"]["maximum"], schemas["limit"]["default"]) == (1, 100, 20)
    assert schemas["done"]["anyOf"] == [{"type": "boolean"}, {"type": "null"}]


def test_schemathesis_finds_no_failure_on_any_operation(served: Server, tmp_path: Any) -> None:
    code, text = schemathesis(served.base_url, tmp_path, "-H", f"Authorization: Bearer {TOKEN}")
    assert code == 0, text[-6000:]
    assert "Tested: 8" in text, text[-3000:]


def test_swagger_ui_renders_its_operations_offline(served: Server, browser_home: None) -> None:
    dom = render(served.base_url + "/docs")
    for text in ("To-do API", "List to-dos", "Create a to-do", "Change some fields of a to-do", "Import to-dos", "TodoIn"):
        assert text in dom, text


def test_redoc_renders_its_operations_offline(served: Server, browser_home: None) -> None:
    dom = render(served.base_url + "/redoc")
    assert "To-do API (1.0.0)" in dom
    # The overview links every operation by its tag and operationId.
    for tag, op in [("todos", "list_todos_todos_get"), ("todos", "import_todos_todos_import_post"), ("meta", "stats_stats_get")]:
        assert f'href="#/{tag}/{op}"' in dom, op
    dom = render(served.base_url + "/redoc#/todos/update_todo_todos__todo_id__patch")
    for text in ("Change some fields of a to-do", "Only the fields in the body change.", "HTTPBearer", "Replace a to-do"):
        assert text in dom, text
