"""Parameters from headers, cookies, the query string and the path, with FastAPI's
markers and constraints (``Header()``, ``Cookie()``, ``Query(ge=1)``,
``Path(pattern=...)``), dates and datetimes: converted and checked in Rust, every
failure reported at once in FastAPI's 422 shape (pydantic's type, msg and ctx)."""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Iterator

import httpx
import pytest

from cello import App, Cookie, Header, Path, Query
from cello import params
from cello._signature import compile_signature
from cello.testing import TestClient


class Size(enum.Enum):
    S = "s"
    L = "l"


def params_app() -> App:
    app = App()

    @app.get("/headers")
    def headers(
        user_agent: Annotated[str | None, Header()] = None,
        x_token: Annotated[list[str], Header()] = [],  # noqa: B006
        x_count: Annotated[int, Header(ge=1)] = 1,
        raw_name: Annotated[str | None, Header(convert_underscores=False)] = None,
        tagged: Annotated[str | None, Header(alias="X-Tag")] = None,
    ):
        return {"ua": user_agent, "tokens": x_token, "count": x_count, "raw": raw_name, "tag": tagged}

    @app.get("/need-header")
    def need_header(x_key: Annotated[str, Header(min_length=4)]):
        return {"key": x_key}

    @app.get("/cookies")
    def cookies(session: Annotated[str | None, Cookie()] = None, n: Annotated[int, Cookie(lt=10)] = 0):
        return {"session": session, "n": n}

    @app.get("/numbers")
    def numbers(
        a: Annotated[int, Query(ge=1, le=10)] = 1,
        b: Annotated[float, Query(gt=1.5, lt=10)] = 2.0,
    ):
        return {"a": a, "b": b}

    @app.get("/strings")
    def strings(
        q: Annotated[str, Query(min_length=3, max_length=5, pattern="^a")] = "abc",
        one: Annotated[str | None, Query(min_length=1)] = None,
        tags: Annotated[list[str], Query(min_length=1, max_length=2)] = ["x"],  # noqa: B006
    ):
        return {"q": q, "one": one, "tags": tags}

    @app.get("/aliased")
    def aliased(
        item: Annotated[str | None, Query(alias="item-query")] = None,
        made: Annotated[list[int], Query(default_factory=lambda: [7])] = None,  # type: ignore[assignment]
        hidden: Annotated[str, Query(include_in_schema=False, description="not in the docs", examples=["x"])] = "h",
        maybe: int | None = None,
    ):
        made.append(0)  # must not leak into the next request's
        return {"item": item, "made": made, "hidden": hidden, "maybe": maybe}

    @app.get("/optional")
    def optional(a: int | None):
        return {"a": a}

    @app.get("/dates")
    def dates(d: datetime.date | None = None, dt: datetime.datetime | None = None, days: list[datetime.date] = []):  # noqa: B006
        return {
            "d": d.isoformat() if d else None,
            "is_date": type(d) is datetime.date,
            "dt": dt.isoformat() if dt else None,
            "days": [x.isoformat() for x in days],
        }

    @app.get("/flag/{on}")
    def flag(on: bool):
        return {"on": on, "is_bool": type(on) is bool}

    @app.get("/day/{day}/{size}")
    def day(day: datetime.date, size: Size):
        return {"day": day.isoformat(), "size": size.value}

    @app.get("/items/{item_id}")
    def item(item_id: Annotated[int, Path(ge=1)], name: Annotated[str, Query(max_length=3)] = "x"):
        return {"item_id": item_id, "name": name}

    @app.get("/written/{n:int}/{slug}")
    def written(n: Annotated[int, Path(lt=100)], slug: Annotated[str, Path(pattern="^[a-z]+$")]):
        return {"n": n, "slug": slug}

    @app.get("/mixed/{n}")
    def mixed(
        c: Annotated[str, Cookie(max_length=2)],
        x_h: Annotated[datetime.date, Header()],
        q: Annotated[int, Query()],
        n: Annotated[int, Path(gt=0)],
    ):
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with TestClient(params_app()) as tc, httpx.Client(base_url=tc.server_url) as c:
        yield c


def detail(r: httpx.Response) -> list[dict]:
    assert r.status_code == 422, r.text
    return r.json()["detail"]


# -- headers -----------------------------------------------------------------------


def test_a_header_parameter_reads_its_hyphenated_name_in_any_case(client):
    r = client.get("/headers", headers={"User-Agent": "probe/1", "X-COUNT": "3", "raw_name": "r", "x-tag": "t"})
    assert r.json() == {"ua": "probe/1", "tokens": [], "count": 3, "raw": "r", "tag": "t"}


def test_underscores_stay_when_convert_underscores_is_false(client):
    assert client.get("/headers", headers={"raw-name": "r"}).json()["raw"] is None


def test_a_list_header_takes_every_value_of_a_repeated_header_and_a_scalar_the_first(client):
    r = client.get("/headers", headers=[("x-token", "a"), ("X-Token", "b, c"), ("x-count", "2"), ("x-count", "5")])
    assert r.json()["tokens"] == ["a", "b, c"]
    assert r.json()["count"] == 2


def test_a_bad_or_missing_header_is_a_422_at_loc_header(client):
    assert detail(client.get("/need-header")) == [
        {"type": "missing", "loc": ["header", "x-key"], "msg": "Field required", "input": None}
    ]
    assert detail(client.get("/need-header", headers={"x-key": "abc"})) == [
        {
            "type": "string_too_short",
            "loc": ["header", "x-key"],
            "msg": "String should have at least 4 characters",
            "input": "abc",
            "ctx": {"min_length": 4},
        }
    ]
    assert detail(client.get("/headers", headers={"x-count": "0"})) == [
        {
            "type": "greater_than_equal",
            "loc": ["header", "x-count"],
            "msg": "Input should be greater than or equal to 1",
            "input": "0",
            "ctx": {"ge": 1},
        }
    ]


def test_an_alias_is_the_headers_name_in_an_error_as_declared():
    app = App()

    @app.get("/h")
    def h(tok: Annotated[int, Header(alias="X-Tok")]):
        return {"tok": tok}

    with TestClient(app) as c:
        assert c.get("/h", headers={"x-tok": "5"}).json() == {"tok": 5}
        assert [(e["loc"], e["input"]) for e in c.get("/h", headers={"x-tok": "five"}).json()["detail"]] == [
            (["header", "X-Tok"], "five")
        ]


# -- cookies -----------------------------------------------------------------------


def test_cookies_are_read_from_the_cookie_header_and_unquoted(client):
    r = client.get("/cookies", headers={"cookie": 'other=1; session="a b"; n=4'})
    assert r.json() == {"session": "a b", "n": 4}
    assert client.get("/cookies").json() == {"session": None, "n": 0}


def test_a_cookie_in_a_second_cookie_header_is_found_and_the_last_one_wins(client):
    r = client.get("/cookies", headers=[("cookie", "session=one"), ("cookie", "n=1; session=two")])
    assert r.json() == {"session": "two", "n": 1}


def test_a_bad_cookie_is_a_422_at_loc_cookie(client):
    assert detail(client.get("/cookies", headers={"cookie": "n=10"})) == [
        {
            "type": "less_than",
            "loc": ["cookie", "n"],
            "msg": "Input should be less than 10",
            "input": "10",
            "ctx": {"lt": 10},
        }
    ]


# -- constraints ---------------------------------------------------------------------


def test_numbers_within_their_bounds_pass_and_the_bounds_themselves_as_declared(client):
    assert client.get("/numbers?a=10&b=9.5").json() == {"a": 10, "b": 9.5}
    assert client.get("/numbers?a=1&b=1.6").json() == {"a": 1, "b": 1.6}


def test_every_number_bound_fails_with_pydantics_type_message_and_ctx(client):
    assert detail(client.get("/numbers?a=0&b=1.5")) == [
        {
            "type": "greater_than_equal",
            "loc": ["query", "a"],
            "msg": "Input should be greater than or equal to 1",
            "input": "0",
            "ctx": {"ge": 1},
        },
        {
            "type": "greater_than",
            "loc": ["query", "b"],
            "msg": "Input should be greater than 1.5",
            "input": "1.5",
            "ctx": {"gt": 1.5},
        },
    ]
    assert detail(client.get("/numbers?a=11&b=10")) == [
        {
            "type": "less_than_equal",
            "loc": ["query", "a"],
            "msg": "Input should be less than or equal to 10",
            "input": "11",
            "ctx": {"le": 10},
        },
        {
            "type": "less_than",
            "loc": ["query", "b"],
            "msg": "Input should be less than 10",
            "input": "10",
            "ctx": {"lt": 10},
        },
    ]


def test_strings_are_bounded_in_characters_and_searched_for_their_pattern(client):
    assert client.get("/strings?q=abcde&one=é").json() == {"q": "abcde", "one": "é", "tags": ["x"]}
    assert client.get("/strings?q=zab").status_code == 422
    assert client.get("/strings?q=a%C3%A9%C3%A9").json()["q"] == "aéé"  # 3 characters, 5 bytes
    assert detail(client.get("/strings?q=ab&one=")) == [
        {
            "type": "string_too_short",
            "loc": ["query", "q"],
            "msg": "String should have at least 3 characters",
            "input": "ab",
            "ctx": {"min_length": 3},
        },
        {
            "type": "string_too_short",
            "loc": ["query", "one"],
            "msg": "String should have at least 1 character",
            "input": "",
            "ctx": {"min_length": 1},
        },
    ]
    assert detail(client.get("/strings?q=abcdef")) == [
        {
            "type": "string_too_long",
            "loc": ["query", "q"],
            "msg": "String should have at most 5 characters",
            "input": "abcdef",
            "ctx": {"max_length": 5},
        }
    ]
    assert detail(client.get("/strings?q=bcd")) == [
        {
            "type": "string_pattern_mismatch",
            "loc": ["query", "q"],
            "msg": "String should match pattern '^a'",
            "input": "bcd",
            "ctx": {"pattern": "^a"},
        }
    ]


def test_a_lists_length_is_bounded_and_reported_with_the_whole_list(client):
    assert client.get("/strings?tags=a&tags=b").json()["tags"] == ["a", "b"]
    assert detail(client.get("/strings?tags=a&tags=b&tags=c")) == [
        {
            "type": "too_long",
            "loc": ["query", "tags"],
            "msg": "List should have at most 2 items after validation, not 3",
            "input": ["a", "b", "c"],
            "ctx": {"field_type": "List", "max_length": 2, "actual_length": 3},
        }
    ]


def test_a_list_below_its_minimum_says_so_in_the_singular():
    app = App()

    @app.get("/l")
    def l(ids: Annotated[list[int], Query(min_length=2)]):  # noqa: E741
        return ids

    with TestClient(app) as c:
        assert c.get("/l?ids=1").json()["detail"] == [
            {
                "type": "too_short",
                "loc": ["query", "ids"],
                "msg": "List should have at least 2 items after validation, not 1",
                "input": ["1"],
                "ctx": {"field_type": "List", "min_length": 2, "actual_length": 1},
            }
        ]
        assert c.get("/l").json()["detail"][0]["type"] == "missing"


# -- aliases, defaults, optional -------------------------------------------------------


def test_an_alias_a_default_factory_and_a_hidden_parameter_are_read(client):
    r = client.get("/aliased?item-query=i&hidden=shown")
    assert r.json() == {"item": "i", "made": [7, 0], "hidden": "shown", "maybe": None}
    # The factory is called per request.
    assert client.get("/aliased").json()["made"] == [7, 0]
    assert client.get("/aliased?made=1&made=2").json()["made"] == [1, 2, 0]
    assert client.get("/aliased?item=x").json()["item"] is None


def test_an_optional_without_a_default_is_still_required_as_in_fastapi(client):
    assert client.get("/aliased?maybe=3").json()["maybe"] == 3
    assert detail(client.get("/optional")) == [
        {"type": "missing", "loc": ["query", "a"], "msg": "Field required", "input": None}
    ]
    assert client.get("/optional?a=1").json() == {"a": 1}


def test_description_and_examples_stay_on_the_signature_for_the_docs():
    def h(a: int | None, b: Annotated[str, Query(description="the b", examples=["x"], include_in_schema=False)] = "b"):
        return None

    a, b = compile_signature("/", h).params
    assert (a.required, a.default, a.nullable) == (True, None, True)
    assert (b.required, b.default, b.alias) == (False, "b", "b")
    assert isinstance(b.marker, params.Query) and b.marker.description == "the b" and b.marker.examples == ["x"]
    assert b.marker.include_in_schema is False


# -- dates ------------------------------------------------------------------------------


def test_dates_and_datetimes_parse_as_pydantic_parses_them(client):
    r = client.get("/dates?d=2024-01-31&dt=2024-01-31T10:00:00&days=2024-02-01&days=2024-02-29T00:00:00")
    assert r.json() == {
        "d": "2024-01-31",
        "is_date": True,
        "dt": "2024-01-31T10:00:00",
        "days": ["2024-02-01", "2024-02-29"],
    }
    assert client.get("/dates?dt=2024-01-31T10:00:00Z").json()["dt"] == "2024-01-31T10:00:00+00:00"
    assert client.get("/dates", params={"dt": "2024-01-31T10:00:00.5+02:00"}).json()["dt"] == (
        "2024-01-31T10:00:00.500000+02:00"
    )
    assert client.get("/dates?dt=2024-01-31").json()["dt"] == "2024-01-31T00:00:00"
    assert client.get("/dates?d=86400").json()["d"] == "1970-01-02"


def test_a_bad_date_or_datetime_gives_pydantics_errors(client):
    assert detail(client.get("/dates?d=2024-13-01&dt=2024-01-3&days=2024-01-31T01:00:00")) == [
        {
            "type": "date_from_datetime_parsing",
            "loc": ["query", "d"],
            "msg": "Input should be a valid date or datetime, month value is outside expected range of 1-12",
            "input": "2024-13-01",
            "ctx": {"error": "month value is outside expected range of 1-12"},
        },
        {
            "type": "datetime_from_date_parsing",
            "loc": ["query", "dt"],
            "msg": "Input should be a valid datetime or date, input is too short",
            "input": "2024-01-3",
            "ctx": {"error": "input is too short"},
        },
        {
            "type": "date_from_datetime_inexact",
            "loc": ["query", "days", 0],
            "msg": "Datetimes provided to dates should have zero time - e.g. be exact dates",
            "input": "2024-01-31T01:00:00",
        },
    ]


# -- path -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "want"), [("true", True), ("yes", True), ("0", False), ("off", False)])
def test_a_bool_path_parameter_converts_like_a_query_bool(client, raw, want):
    assert client.get(f"/flag/{raw}").json() == {"on": want, "is_bool": True}


def test_a_bad_bool_date_or_choice_in_the_path_is_fastapis_422(client):
    assert detail(client.get("/flag/maybe")) == [
        {
            "type": "bool_parsing",
            "loc": ["path", "on"],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "input": "maybe",
        }
    ]
    assert client.get("/day/2024-01-31/l").json() == {"day": "2024-01-31", "size": "l"}
    assert [(e["type"], e["loc"]) for e in detail(client.get("/day/x/m"))] == [
        ("date_from_datetime_parsing", ["path", "day"]),
        ("enum", ["path", "size"]),
    ]


def test_path_constraints_apply_with_loc_path(client):
    assert client.get("/items/1").json() == {"item_id": 1, "name": "x"}
    assert detail(client.get("/items/0?name=long")) == [
        {
            "type": "greater_than_equal",
            "loc": ["path", "item_id"],
            "msg": "Input should be greater than or equal to 1",
            "input": "0",
            "ctx": {"ge": 1},
        },
        {
            "type": "string_too_long",
            "loc": ["query", "name"],
            "msg": "String should have at most 3 characters",
            "input": "long",
            "ctx": {"max_length": 3},
        },
    ]
    # A constrained int path parameter that is not an int fails in FastAPI's shape too.
    assert [(e["type"], e["loc"]) for e in detail(client.get("/items/one"))] == [("int_parsing", ["path", "item_id"])]


def test_constraints_apply_to_a_path_parameter_the_pattern_types(client):
    assert client.get("/written/99/abc").json() == {"n": 99, "slug": "abc"}
    assert [(e["type"], e["loc"], e["input"]) for e in detail(client.get("/written/100/ABC"))] == [
        ("less_than", ["path", "n"], "100"),
        ("string_pattern_mismatch", ["path", "slug"], "ABC"),
    ]


def test_failures_from_every_source_come_in_one_422_ordered_by_source_as_fastapi_orders_them(client):
    # FastAPI lists path, query, header and cookie failures in that order, whatever
    # the signature's order.
    r = client.get("/mixed/0?q=x", headers={"x-h": "nope", "cookie": "c=long"})
    assert [(e["type"], e["loc"]) for e in detail(r)] == [
        ("greater_than", ["path", "n"]),
        ("int_parsing", ["query", "q"]),
        ("date_from_datetime_parsing", ["header", "x-h"]),
        ("string_too_long", ["cookie", "c"]),
    ]
    assert [(e["type"], e["loc"]) for e in detail(client.get("/mixed/1"))] == [
        ("missing", ["query", "q"]),
        ("missing", ["header", "x-h"]),
        ("missing", ["cookie", "c"]),
    ]
    ok = client.get("/mixed/1?q=1", headers={"x-h": "2024-01-31", "cookie": "c=ab"})
    assert ok.json() == {"ok": True}


# -- registration -----------------------------------------------------------------------


def _register(handler, path: str = "/r") -> None:
    app = App()
    app.get(path)(handler)
    app._engine()


def test_a_pattern_the_engine_cannot_compile_is_an_error_naming_the_handler():
    def lookaround(q: Annotated[str, Query(pattern="^(?=a)")] = "a"):
        return q

    with pytest.raises(ValueError, match=r"handler .*lookaround: parameter `q`: pattern .*\^\(\?=a\)"):
        _register(lookaround)


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (Annotated[str, Query(ge=1)], r"query parameter `v`: `ge` applies to int and float values"),
        (Annotated[int, Query(pattern="x")], r"query parameter `v`: `pattern` applies to str values"),
        (Annotated[bool, Header(max_length=2)], r"header parameter `v`: `max_length` applies to str and list"),
        (Annotated[list[str], Cookie()], r"cookie parameter `v` .*a cookie has one value"),
        (Annotated[dict, Header()], r"header parameter `v` is annotated <class 'dict'>"),
    ],
)
def test_a_constraint_or_type_a_source_cannot_honor_is_a_type_error_at_registration(annotation, message):
    def bad(v=None):
        return v

    bad.__annotations__ = {"v": annotation}
    with pytest.raises(TypeError, match=r"handler .*bad: " + message):
        _register(bad)


def test_a_path_parameter_of_a_type_no_segment_converts_to_is_a_type_error():
    def bad(ids: list[int]):
        return ids

    with pytest.raises(TypeError, match=r"handler .*bad: path parameter `ids` is annotated list\[int\]"):
        _register(bad, "/r/{ids}")
