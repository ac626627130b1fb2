"""Query parameters declared in the signature (``limit: int = 10``), as FastAPI reads
them, converted in Rust; every failure reported at once in FastAPI's 422 shape."""

from __future__ import annotations

import enum
import uuid
from typing import Annotated, Literal, Optional

import pytest

from cello import App, HTTPException, Query, Request
from cello.testing import TestClient


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def typed_app() -> App:
    app = App()

    @app.get("/paint")
    def paint(color: Color, order: Literal["asc", "desc"] = "asc", level: Level = Level.LOW, also: list[Color] = []):  # noqa: B006
        return {"color": color.value, "is_enum": isinstance(color, Color), "order": order, "level": level.name, "also": [c.value for c in also]}

    @app.get("/items")
    def items(req: Request, limit: int = 10, q: str | None = None, ratio: float = 0.5, full: bool = False):
        return {"limit": limit, "q": q, "ratio": ratio, "full": full}

    @app.get("/users/{user_id:int}/tags")
    def tags(user_id: int, tag: str, owner: Optional[uuid.UUID] = None):
        return {"user_id": user_id, "tag": tag, "owner": str(owner) if owner else None}

    @app.get("/untyped")
    def untyped(req, name="world"):
        return {"hello": name}

    @app.get("/async")
    async def async_handler(n: int):
        return {"n": n * 2}

    @app.get("/tagged")
    def tagged(tags: list[str] = [], ids: list[int] = []):  # noqa: B006
        tags.append("seen")  # must not leak into the next request's default
        return {"tags": tags, "ids": ids}

    @app.get("/blocking", blocking=True)
    def blocking_handler(n: int = 1):
        return {"n": n}

    return app


@pytest.fixture(scope="module")
def client():
    with TestClient(typed_app()) as c:
        yield c


def test_query_parameters_are_converted_to_their_annotations(client):
    r = client.get("/items?limit=5&q=cello&ratio=2.5&full=yes")
    assert r.status_code == 200
    assert r.json() == {"limit": 5, "q": "cello", "ratio": 2.5, "full": True}


def test_defaults_fill_what_the_query_leaves_out(client):
    assert client.get("/items").json() == {"limit": 10, "q": None, "ratio": 0.5, "full": False}
    assert client.get("/untyped").json() == {"hello": "world"}
    assert client.get("/untyped?name=cello").json() == {"hello": "cello"}


def test_the_last_value_of_a_repeated_key_wins_and_values_are_percent_decoded(client):
    r = client.get("/items?q=first&q=caf%C3%A9+au+lait")
    assert r.json()["q"] == "café au lait"


@pytest.mark.parametrize(("raw", "want"), [("true", True), ("1", True), ("on", True), ("False", False), ("0", False), ("no", False)])
def test_booleans_read_the_words_fastapi_reads(client, raw, want):
    assert client.get(f"/items?full={raw}").json()["full"] is want


def test_path_and_query_parameters_mix_and_an_optional_uuid_converts(client):
    owner = uuid.uuid4()
    r = client.get(f"/users/7/tags?tag=x&owner={owner}")
    assert r.json() == {"user_id": 7, "tag": "x", "owner": str(owner)}
    assert client.get("/users/7/tags?tag=x").json()["owner"] is None


def test_async_and_blocking_handlers_get_their_query_parameters(client):
    assert client.get("/async?n=21").json() == {"n": 42}
    assert client.get("/blocking?n=3").json() == {"n": 3}


def test_every_invalid_or_missing_parameter_is_reported_at_once_in_fastapis_shape(client):
    r = client.get("/items?limit=ten&ratio=x&full=maybe")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["query", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "ten",
            },
            {
                "type": "float_parsing",
                "loc": ["query", "ratio"],
                "msg": "Input should be a valid number, unable to parse string as a number",
                "input": "x",
            },
            {
                "type": "bool_parsing",
                "loc": ["query", "full"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "input": "maybe",
            },
        ]
    }
    r = client.get("/users/7/tags?owner=not-a-uuid")
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["detail"]] == [
        ("missing", ["query", "tag"]),
        ("uuid_parsing", ["query", "owner"]),
    ]
    # The worker keeps serving.
    assert client.get("/items?limit=1").json()["limit"] == 1


def test_an_exception_handler_for_422_sees_query_errors_as_an_http_exception():
    app = App()

    @app.exception_handler(422)
    def reshape(req: Request, exc: HTTPException):
        return {"error": [e["loc"][-1] for e in exc.detail], "path": req.path}, 422

    @app.get("/n")
    def n(n: int):
        return {"n": n}

    with TestClient(app) as c:
        r = c.get("/n?n=x")
        assert r.status_code == 422
        assert r.json() == {"error": ["n"], "path": "/n"}


def test_a_list_takes_every_value_of_a_repeated_key_in_order(client):
    assert client.get("/tagged?tags=a&ids=3&tags=b&ids=1").json() == {"tags": ["a", "b", "seen"], "ids": [3, 1]}
    # The default list is a fresh copy each time.
    assert client.get("/tagged").json() == {"tags": ["seen"], "ids": []}
    assert client.get("/tagged").json() == {"tags": ["seen"], "ids": []}


def test_a_bad_list_item_is_reported_with_its_position(client):
    r = client.get("/tagged?ids=1&ids=two&ids=3&ids=x")
    assert r.status_code == 422
    assert [(e["loc"], e["input"]) for e in r.json()["detail"]] == [
        (["query", "ids", 1], "two"),
        (["query", "ids", 3], "x"),
    ]


def test_enum_and_literal_choices_give_the_member_or_the_value(client):
    r = client.get("/paint?color=green&order=desc&level=2&also=red&also=green")
    assert r.json() == {"color": "green", "is_enum": True, "order": "desc", "level": "HIGH", "also": ["red", "green"]}
    assert client.get("/paint?color=red").json()["order"] == "asc"


def test_a_value_outside_the_choices_names_them_as_pydantic_does(client):
    r = client.get("/paint?color=blue&order=up&level=3")
    assert r.status_code == 422
    assert [(e["type"], e["loc"], e["msg"], e["input"]) for e in r.json()["detail"]] == [
        ("enum", ["query", "color"], "Input should be 'red' or 'green'", "blue"),
        ("literal_error", ["query", "order"], "Input should be 'asc' or 'desc'", "up"),
        ("enum", ["query", "level"], "Input should be 1 or 2", "3"),
    ]


def test_an_annotation_the_query_cannot_hold_is_an_error_at_registration():
    app = App()

    @app.get("/bad")
    def bad(where: dict[str, int] = {}):  # noqa: B006
        return where

    with pytest.raises(TypeError, match=r"handler .*bad: query parameter `where` is annotated dict\[str, int\]"):
        app._engine()


def test_integers_beyond_64_bits_are_exact_python_ints_as_pydantic_reads_them():
    app = App()

    @app.get("/big")
    def big(n: int, m: Annotated[int, Query(le=10**30)] = 0):
        return {"n": n, "n_text": str(n), "m": str(m)}

    client = TestClient(app)
    huge = "123456789012345678901234567890"
    r = client.get(f"/big?n={huge}&m=-{huge}")
    assert r.status_code == 200, r.text
    assert r.json() == {"n": int(huge), "n_text": huge, "m": "-" + huge}
    assert client.get("/big?n=+9223372036854775808").json()["n_text"] == "9223372036854775808"

    r = client.get(f"/big?n=1&m={huge}0")  # over le=10**30: the limit applies to big ints too
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "less_than_equal"

    r = client.get("/big?n=" + "9" * 4301)  # past CPython's 4,300-digit limit, as pydantic says
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "int_parsing_size"
    for bad in ("12345678901234567890x", "1_000", "--5"):
        r = client.get(f"/big?n={bad}")
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["type"] == "int_parsing"
