"""Responses from models, as FastAPI sends them: a dataclass, pydantic model or msgspec
Struct returned is serialized directly; ``status_code=`` sets a route's status;
``response_model=`` (or the return annotation) filters and checks what is sent;
``response_class=`` and ``cello.responses``; ``cello.status``."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import http
import json
import uuid
from typing import Any, ClassVar, Literal, Optional, TypedDict, Union

import httpx
import msgspec
import pydantic
import pytest
import typing_extensions

from cello import App, HTTPException, Response, status
from cello.responses import HTMLResponse, JSONResponse, ORJSONResponse, PlainTextResponse, RedirectResponse
from cello.testing import TestClient

USER_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
WHEN = datetime.datetime(2026, 11, 30, 12, 30, 0)


class Role(enum.Enum):
    ADMIN = "admin"
    USER = "user"


@dataclasses.dataclass
class Address:
    city: str
    zip: str = "00000"


@dataclasses.dataclass
class User:
    id: uuid.UUID
    name: str
    role: Role
    joined: datetime.datetime
    born: datetime.date
    address: Address
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Item:
    name: str
    price: float
    note: Optional[str] = None


@dataclasses.dataclass
class ItemWithSecret(Item):
    secret: str = "hunter2"
    kind: ClassVar[str] = "not a field"


class PItem(pydantic.BaseModel):
    name: str
    price: float
    note: Optional[str] = None


class PAliased(pydantic.BaseModel):
    user_name: str = pydantic.Field(alias="userName")


class PUserIn(pydantic.BaseModel):
    name: str
    password: str


class PUserOut(pydantic.BaseModel):
    name: str


class MItem(msgspec.Struct):
    name: str
    price: float


class TDItem(TypedDict):
    name: str
    price: float


def a_user() -> User:
    return User(USER_ID, "ada", Role.ADMIN, WHEN, datetime.date(1815, 12, 10), Address("London"), ["x"])


USER_JSON = {
    "id": str(USER_ID),
    "name": "ada",
    "role": "admin",
    "joined": "2026-11-30T12:30:00",
    "born": "1815-12-10",
    "address": {"city": "London", "zip": "00000"},
    "tags": ["x"],
}


def models_app() -> App:
    app = App()

    @app.get("/dataclass")
    def dataclass_user():
        return a_user()

    @app.get("/dataclass-list")
    def dataclass_list():
        return {"users": [a_user(), a_user()], "by_name": {"ada": Address("Paris", "75000")}, "role": Role.USER}

    @app.get("/dataclass-subclasses")
    def dataclass_subclasses():
        return [Item("a", 1), ItemWithSecret("b", 2), Item("c", 3)]

    @app.get("/pydantic")
    def pydantic_item():
        return PItem(name="pen", price=1.5)

    @app.get("/pydantic-aliased")
    def pydantic_aliased():
        return {"one": PAliased(userName="ada")}

    @app.get("/pydantic-list")
    def pydantic_list():
        return [PItem(name="a", price=1), PItem(name="b", price=2, note="n")]

    @app.get("/msgspec")
    def msgspec_item():
        return MItem("cup", 3.0)

    @app.get("/msgspec-nested")
    async def msgspec_nested():
        return {"items": [MItem("cup", 3.0)]}

    @app.get("/enum")
    def an_enum():
        return Role.USER

    @app.get("/unsupported")
    def unsupported():
        return object()

    # -- status_code= --
    @app.post("/created", status_code=201)
    def created():
        return {"ok": True}

    @app.post("/created-async", status_code=status.HTTP_201_CREATED)
    async def created_async():
        return Item("pen", 1.5)

    @app.post("/created-tuple", status_code=201)
    def created_but_tuple():
        return {"ok": True}, 202

    @app.post("/created-response", status_code=201)
    def created_but_response():
        return Response.json({"ok": True}, status=200)

    @app.delete("/gone", status_code=204)
    def gone():
        return None

    # -- response_model= --
    @app.get("/filtered", response_model=Item)
    def filtered():
        return {"name": "pen", "price": 1.5, "secret": "hunter2"}

    @app.get("/filtered-object", response_model=Item)
    def filtered_object():
        return ItemWithSecret("pen", 1.5, secret="s3cret")

    @app.get("/annotated")
    def annotated() -> Item:
        return ItemWithSecret("pen", 1.5)  # type: ignore[return-value]

    @app.get("/annotated-list")
    async def annotated_list() -> list[Item]:
        return [{"name": "a", "price": 1, "extra": 1}, ItemWithSecret("b", 2)]  # type: ignore[list-item]

    @app.get("/model-off", response_model=None)
    def model_off() -> Item:
        return {"name": "pen", "price": 1.5, "secret": "hunter2"}  # type: ignore[return-value]

    @app.get("/missing", response_model=Item)
    def missing():
        return {"name": "pen"}

    @app.get("/unset", response_model=Item, response_model_exclude_unset=True)
    def unset():
        return {"name": "pen", "price": 1.5}

    @app.get("/none", response_model=Item, response_model_exclude_none=True)
    def none():
        return Item("pen", 1.5)

    @app.post("/model-status", response_model=Item, status_code=201)
    def model_status():
        return {"name": "pen", "price": 1.5, "secret": "x"}

    @app.get("/model-tuple", response_model=Item)
    def model_tuple():
        return {"name": "pen", "price": 1.5, "secret": "x"}, 203

    @app.get("/pydantic-out", response_model=PUserOut)
    def pydantic_out():
        return PUserIn(name="ada", password="secret")

    @app.get("/pydantic-unset", response_model=PItem, response_model_exclude_unset=True)
    def pydantic_unset():
        return PItem(name="pen", price=2)

    @app.get("/pydantic-invalid", response_model=PItem)
    def pydantic_invalid():
        return {"name": "pen", "price": "not a number"}

    @app.get("/msgspec-out", response_model=list[MItem])
    def msgspec_out():
        return [{"name": "cup", "price": 3.0, "extra": True}]

    @app.get("/typeddict-out", response_model=TDItem)
    def typeddict_out():
        return {"name": "cup", "price": 3.0, "extra": True}

    # -- response_class= and cello.responses --
    @app.get("/html", response_class=HTMLResponse)
    def html():
        return "<h1>hi</h1>"

    @app.get("/html-created", response_class=HTMLResponse, status_code=201)
    async def html_created():
        return "<h1>new</h1>"

    @app.get("/responses/{kind}")
    def responses(kind: str):
        if kind == "html":
            return HTMLResponse("<p>x</p>", status_code=202, headers={"x-a": "1"})
        if kind == "text":
            return PlainTextResponse("plain")
        if kind == "json":
            return JSONResponse({"a": 1}, status_code=status.HTTP_202_ACCEPTED)
        if kind == "orjson":
            return ORJSONResponse([1, 2])
        return RedirectResponse("/somewhere else?q=1")

    @app.get("/raise")
    def raise_with_headers():
        raise HTTPException(401, "who are you", headers={"WWW-Authenticate": "Bearer", "x-extra": "1"})

    return app


@pytest.fixture(scope="module")
def client():
    # Some tests here check the 500 a response-model failure answers.
    with TestClient(models_app(), raise_server_exceptions=False) as c:
        yield c


def test_a_dataclass_is_sent_as_json_recursively_with_enums_dates_and_uuids_as_fastapi_writes_them(client):
    r = client.get("/dataclass")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == USER_JSON


def test_dataclasses_and_enums_inside_lists_and_dicts_are_sent_as_json(client):
    assert client.get("/dataclass-list").json() == {
        "users": [USER_JSON, USER_JSON],
        "by_name": {"ada": {"city": "Paris", "zip": "75000"}},
        "role": "user",
    }


def test_each_dataclass_in_a_list_is_sent_with_its_own_classs_fields_and_no_classvar(client):
    for _ in range(2):  # the second time from the per-class cache of field names
        assert client.get("/dataclass-subclasses").json() == [
            {"name": "a", "price": 1, "note": None},
            {"name": "b", "price": 2, "note": None, "secret": "hunter2"},
            {"name": "c", "price": 3, "note": None},
        ]


def test_a_pydantic_model_is_sent_as_its_own_json(client):
    r = client.get("/pydantic")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"name": "pen", "price": 1.5, "note": None}
    assert client.get("/pydantic-list").json() == [
        {"name": "a", "price": 1.0, "note": None},
        {"name": "b", "price": 2.0, "note": "n"},
    ]


def test_a_pydantic_model_is_sent_with_its_aliases_as_fastapi_sends_it(client):
    assert client.get("/pydantic-aliased").json() == {"one": {"userName": "ada"}}


def test_a_msgspec_struct_is_sent_as_json_alone_or_inside_data(client):
    assert client.get("/msgspec").json() == {"name": "cup", "price": 3.0}
    assert client.get("/msgspec-nested").json() == {"items": [{"name": "cup", "price": 3.0}]}


def test_an_enum_returned_is_sent_as_its_value(client):
    assert client.get("/enum").json() == "user"


def test_an_unsupported_return_type_is_still_a_500_naming_the_handler(client, cello_log):
    r = client.get("/unsupported")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert "unsupported" in cello_log.text and "unsupported type `object`" in cello_log.text


def test_status_code_on_the_decorator_is_the_status_of_plain_answers(client):
    r = client.post("/created")
    assert (r.status_code, r.json()) == (201, {"ok": True})
    r = client.post("/created-async")
    assert (r.status_code, r.json()) == (201, {"name": "pen", "price": 1.5, "note": None})


def test_a_tuple_or_a_response_keeps_its_own_status_over_the_routes(client):
    assert client.post("/created-tuple").status_code == 202
    assert client.post("/created-response").status_code == 200


def test_status_code_204_with_none_sends_no_body(client):
    r = client.delete("/gone")
    assert (r.status_code, r.content) == (204, b"")


def test_an_invalid_status_code_is_refused_when_the_app_starts_naming_the_handler():
    app = App()

    @app.get("/x", status_code=99)
    def bad_status():
        return {}

    with pytest.raises(ValueError, match="bad_status.*status_code=99"):
        app._engine()


def test_status_code_applies_under_python_middleware_too():
    app = App()

    @app.middleware
    async def passthrough(req, call_next):
        return await call_next(req)

    @app.post("/m", status_code=201)
    def made():
        return {"ok": True}

    with TestClient(app) as c:
        assert c.post("/m").status_code == 201


def test_status_code_applies_in_an_app_with_exception_handlers_and_they_see_response_validation_errors():
    from cello.exceptions import ResponseValidationError

    app = App()

    @app.exception_handler(ResponseValidationError)
    def bad_response(req, exc):
        return {"errors": [e["loc"] for e in exc.errors()]}, 500

    @app.post("/made", status_code=201)
    async def made():
        return {"ok": True}

    @app.get("/broken", response_model=Item)
    def broken():
        return {"price": 1}

    with TestClient(app) as c:
        assert c.post("/made").status_code == 201
        r = c.get("/broken")
        assert (r.status_code, r.json()) == (500, {"errors": [["response", "name"]]})


def test_response_model_sends_only_the_models_fields_of_a_dict_or_an_object(client):
    want = {"name": "pen", "price": 1.5, "note": None}
    assert client.get("/filtered").json() == want
    assert client.get("/filtered-object").json() == want


def test_a_return_annotation_naming_a_model_filters_like_response_model(client):
    assert client.get("/annotated").json() == {"name": "pen", "price": 1.5, "note": None}
    assert client.get("/annotated-list").json() == [
        {"name": "a", "price": 1, "note": None},
        {"name": "b", "price": 2, "note": None},
    ]


def test_response_model_none_turns_the_annotation_off(client):
    assert client.get("/model-off").json() == {"name": "pen", "price": 1.5, "secret": "hunter2"}


def test_a_missing_required_field_is_a_logged_500_response_validation_error(client, cello_log):
    r = client.get("/missing")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert "ResponseValidationError" in cello_log.text
    assert "('response', 'price')" in cello_log.text and "Field required" in cello_log.text


def test_exclude_unset_and_exclude_none_leave_those_fields_out(client):
    assert client.get("/unset").json() == {"name": "pen", "price": 1.5}
    assert client.get("/none").json() == {"name": "pen", "price": 1.5}
    assert client.get("/pydantic-unset").json() == {"name": "pen", "price": 2.0}


def test_response_model_with_status_code_and_with_a_tuple(client):
    r = client.post("/model-status")
    assert (r.status_code, r.json()) == (201, {"name": "pen", "price": 1.5, "note": None})
    r = client.get("/model-tuple")
    assert (r.status_code, r.json()) == (203, {"name": "pen", "price": 1.5, "note": None})


def test_a_pydantic_response_model_filters_another_models_fields(client):
    assert client.get("/pydantic-out").json() == {"name": "ada"}


def test_a_pydantic_response_model_checks_types_and_a_wrong_one_is_a_logged_500(client, cello_log):
    r = client.get("/pydantic-invalid")
    assert r.status_code == 500
    assert "ResponseValidationError" in cello_log.text and "float_parsing" in cello_log.text


def test_msgspec_and_typeddict_response_models_filter_too(client):
    assert client.get("/msgspec-out").json() == [{"name": "cup", "price": 3.0}]
    assert client.get("/typeddict-out").json() == {"name": "cup", "price": 3.0}


def test_a_response_model_cello_cannot_check_is_a_type_error_naming_the_handler():
    app = App()

    @app.get("/x", response_model=tuple[Item, int])
    def odd_model():
        return {}

    with pytest.raises(TypeError, match="odd_model"):
        app._engine()



# Every field of a dataclass, TypedDict or msgspec response model is checked and
# converted as pydantic's `TypeAdapter(Model).validate_python` converts it (lax mode),
# which is what FastAPI does with what a handler returns.


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Kinds:
    i: int = 0
    f: float = 0.0
    s: str = ""
    b: bool = False
    n: None = None
    o: Optional[int] = None
    u: Union[int, str] = 0
    num: Union[float, int, None] = None
    e: Role = Role.USER
    lv: Level = Level.LOW
    lit: Literal["a", "b"] = "a"
    li: Literal[1, 2] = 1
    id: uuid.UUID = USER_ID
    d: datetime.date = datetime.date(2024, 1, 2)
    dt: datetime.datetime = WHEN
    ints: list[int] = dataclasses.field(default_factory=list)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    addr: Optional[Address] = None
    addrs: list[Address] = dataclasses.field(default_factory=list)
    anything: Any = None


class Attrs:
    """An object the fields are read from as attributes."""

    city = "Lyon"


#: Per field of `Kinds`, values a handler might return in it.
KIND_VALUES: dict[str, list[Any]] = {
    "i": [5, True, 5.0, 5.5, "5", " 7 ", "5.0", "1_000", "x", "", "1e3", b"5", None, [], float("inf"), 1e20,
          decimal.Decimal("3"), decimal.Decimal("3.5"), Level.HIGH, "1" * 5000],
    "f": [1.5, 1, True, "2.5", "1e3", " .5 ", "1_0.5", "x", "", None, b"1.5", decimal.Decimal("1.25"), 10**400, []],
    "s": ["a", 1, 1.5, True, None, b"ab", b"\xff", bytearray(b"x"), Role.ADMIN, [], {}],
    "b": [True, 1, 0, 2, 0.0, 0.5, "yes", "off", "T", "maybe", " true", "", None, b"true", decimal.Decimal(1)],
    "n": [None, 0, ""],
    "o": [None, "3", "x", 3, 2.0],
    "u": [1, "1", 1.5, 2.0, True, None, [], Level.HIGH, Role.ADMIN],
    "num": [1, 1.5, True, "1", "1.5", None, "x", []],
    "e": [Role.ADMIN, "admin", "ADMIN", "nope", None, 1],
    "lv": [Level.HIGH, 2, "2", 2.0, True, 3, "x"],
    "lit": ["a", "c", None, b"a", Role.ADMIN],
    "li": [1, 1.0, True, "1", 3, 1.5],
    "id": [USER_ID, str(USER_ID), USER_ID.hex, "{" + str(USER_ID) + "}", "urn:uuid:" + str(USER_ID),
           str(USER_ID).encode(), USER_ID.bytes, "x", str(USER_ID)[:-1] + "z", 5, None],
    "d": [datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29), datetime.datetime(2024, 2, 29, 3),
          "2024-02-29", "2024-02-29T00:00:00", 1709164800, 1709164800.5, "2024-02-30", "x", True, None, []],
    "dt": [WHEN, datetime.date(2024, 2, 29), "2024-02-29T10:30:00", "2024-02-29T10:30:00+02:00", "2024-02-29",
           b"2024-02-29T10:30:00", "2024-02-29T25:00:00", "nope", True, None, {}],
    "ints": [[1, "2", 3.0], (1, 2), {3}, {"a": 4, "b": "5"}.values(), "ab", None, [1, "x", None, 2.5], {"a": 1}],
    "counts": [{"a": "1"}, {1: 2}, [("a", 1)], None, {"a": "x", "b": None}],
    "addr": [None, {"city": "Paris"}, {"city": 1, "zip": 75000}, {"zip": "x"}, Address("Paris"), 5, "x"],
    "addrs": [[{"city": "a"}, Address("b", "1")], [{"city": 2}, {}], [None], None],
    "anything": [1, "x", [1, "y"], {"a": None}],
}


def fastapi_prepared(value: Any) -> Any:
    """What FastAPI hands pydantic: dataclass instances as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: fastapi_prepared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fastapi_prepared(v) for v in value]
    return value


def pydantic_response(model: Any, value: Any) -> tuple[Any, Any]:
    """What FastAPI sends for ``value`` returned through ``response_model=model``:
    ``(json, None)``, or ``(None, the ResponseValidationError's errors)``."""
    adapter = pydantic.TypeAdapter(model)
    try:
        out = adapter.validate_python(fastapi_prepared(value), from_attributes=True)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        return None, [short_error({**e, "loc": ("response", *e["loc"])}) for e in errors]
    return adapter.dump_python(out, mode="json"), None


def short_error(e: Any) -> dict[str, Any]:
    """An error as compared here: its JSON form, without the input (which may be bytes)."""
    return json.loads(json.dumps({k: e[k] for k in ("type", "loc", "msg", "ctx") if k in e}, default=str))


@pytest.fixture(scope="module")
def returns():
    """A client of an app whose routes return ``returned[0]`` through a response model."""
    from cello.exceptions import ResponseValidationError

    returned: list[Any] = [None]
    app = App()

    @app.exception_handler(ResponseValidationError)
    def bad_response(req, exc):
        return {"errors": [short_error(e) for e in exc.errors()]}, 500

    @app.get("/kinds", response_model=Kinds)
    def kinds():
        return returned[0]

    @app.get("/kinds-list", response_model=list[Kinds])
    def kinds_list():
        return returned[0]

    @app.get("/typeddict", response_model=TDKinds)
    def typeddict():
        return returned[0]

    @app.get("/struct", response_model=MKinds)
    def struct():
        return returned[0]

    with TestClient(app) as c:

        def get(path: str, value: Any) -> Any:
            returned[0] = value
            return c.get(path)

        yield get


def assert_sent_as_fastapi_sends(r: Any, model: Any, value: Any) -> None:
    want, errors = pydantic_response(model, value)
    if errors is None:
        assert (r.status_code, r.json()) == (200, want)
    else:
        assert (r.status_code, r.json()) == (500, {"errors": errors})


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field, values in KIND_VALUES.items() for value in values],
    ids=lambda x: repr(x)[:40] if not isinstance(x, str) else x[:40],
)
def test_each_field_of_a_dataclass_response_model_is_converted_and_checked_as_pydantic_does(returns, field, value):
    assert_sent_as_fastapi_sends(returns("/kinds", {field: value, "extra": 1}), Kinds, {field: value})


@pytest.mark.parametrize("value", [1709202600, "2024-02-29T10:30:00Z", b"2024-02-29T10:30:00.000Z"])
def test_a_timestamp_or_a_utc_text_for_a_datetime_is_sent_as_that_instant(returns, value):
    # Pydantic writes UTC as "Z" where Cello's encoder writes "+00:00": the same instant.
    want = pydantic_response(Kinds, {"dt": value})[0]["dt"]
    sent = returns("/kinds", {"dt": value}).json()["dt"]
    assert datetime.datetime.fromisoformat(sent) == datetime.datetime.fromisoformat(want.replace("Z", "+00:00"))
    assert sent == "2024-02-29T10:30:00+00:00"


def test_every_failure_is_reported_with_its_location_in_a_list_of_models(returns):
    wrong = Kinds(b="maybe")  # type: ignore[arg-type]
    value = [{"i": "1", "s": "ok"}, {"i": "x", "s": 3, "addrs": [{"city": None}]}, wrong]
    r = returns("/kinds-list", value)
    assert_sent_as_fastapi_sends(r, list[Kinds], value)
    assert [e["loc"] for e in r.json()["errors"]] == [
        ["response", 1, "i"], ["response", 1, "s"], ["response", 1, "addrs", 0, "city"], ["response", 2, "b"],
    ]


def test_a_dataclass_instance_returned_is_checked_too():
    # As FastAPI, which turns it into a dict before pydantic validates it.
    app = App()

    @app.get("/item", response_model=Item)
    def item():
        return Item(name=3, price="2.5")  # type: ignore[arg-type]

    @app.get("/ok", response_model=Item)
    def ok():
        return Item(name="pen", price="2.5")  # type: ignore[arg-type]

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/item").status_code == 500
        assert c.get("/ok").json() == {"name": "pen", "price": 2.5, "note": None}


class TDKinds(TypedDict):
    i: int
    d: datetime.date
    tags: typing_extensions.NotRequired[list[str]]


class PTDKinds(typing_extensions.TypedDict):
    """`TDKinds` for pydantic, which wants typing_extensions' TypedDict before Python 3.12."""

    i: int
    d: datetime.date
    tags: typing_extensions.NotRequired[list[str]]


class MKinds(msgspec.Struct):
    i: int
    d: datetime.date
    tags: list[str] = []


@dataclasses.dataclass
class DKinds:
    """What `MKinds` is to pydantic, which cannot validate a msgspec Struct."""

    i: int
    d: datetime.date
    tags: list[str] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("value", [
    {"i": "4", "d": "2024-02-29", "tags": ("a", "b")},
    {"i": 4.0, "d": datetime.datetime(2024, 2, 29)},
    {"i": "x", "d": "2024-02-30", "tags": "ab"},
    {"d": 5, "tags": [1]},
    None,
    [1],
])
def test_typeddict_and_msgspec_response_models_convert_and_check_each_field(returns, value):
    assert_sent_as_fastapi_sends(returns("/typeddict", value), PTDKinds, value)
    if isinstance(value, dict):
        assert_sent_as_fastapi_sends(returns("/struct", value), DKinds, value)
    else:
        r = returns("/struct", value)
        assert (r.status_code, r.json()["errors"][0]["type"]) == (500, "model_attributes_type")


def test_a_default_is_sent_as_it_is_as_pydantic_does_not_check_defaults():
    @dataclasses.dataclass
    class Loose:
        count: int = None  # type: ignore[assignment]

    app = App()

    @app.get("/loose", response_model=Loose)
    def loose():
        return {}

    with TestClient(app) as c:
        assert c.get("/loose").json() == pydantic_response(Loose, {})[0] == {"count": None}


def test_the_issues_example_converts_a_number_in_text_and_refuses_the_wrong_types():
    @dataclasses.dataclass
    class Out:
        id: int
        name: str
        tags: list[str] = dataclasses.field(default_factory=list)

    app = App()

    @app.get("/a", response_model=Out)
    def a():
        return {"id": "5", "name": 3, "tags": "x", "secret": 1}

    @app.get("/b", response_model=Out)
    def b():
        return {"id": "5", "name": "ok", "secret": 1}

    @app.get("/c", response_model=Out)
    def c():
        return {"id": "x", "name": "ok"}

    with TestClient(app, raise_server_exceptions=False) as client:
        assert (client.get("/a").status_code, client.get("/c").status_code) == (500, 500)
        assert client.get("/b").json() == {"id": 5, "name": "ok", "tags": []}


def test_response_class_sets_the_media_type_of_a_plain_return(client):
    r = client.get("/html")
    assert (r.status_code, r.headers["content-type"], r.text) == (200, "text/html; charset=utf-8", "<h1>hi</h1>")
    r = client.get("/html-created")
    assert (r.status_code, r.headers["content-type"]) == (201, "text/html; charset=utf-8")


def test_fastapis_response_classes_send_their_media_type_status_and_headers(client):
    r = client.get("/responses/html")
    assert (r.status_code, r.headers["content-type"], r.headers["x-a"], r.text) == (
        202,
        "text/html; charset=utf-8",
        "1",
        "<p>x</p>",
    )
    r = client.get("/responses/text")
    assert (r.headers["content-type"], r.text) == ("text/plain; charset=utf-8", "plain")
    r = client.get("/responses/json")
    assert (r.status_code, r.headers["content-type"], r.json()) == (202, "application/json", {"a": 1})
    assert client.get("/responses/orjson").json() == [1, 2]


def test_a_redirect_response_is_a_307_to_the_percent_encoded_url(client):
    r = client.get("/responses/redirect", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/somewhere%20else?q=1"


def test_fastapis_response_classes_are_cello_responses():
    r = HTMLResponse("x", status_code=201)
    assert isinstance(r, Response)
    assert (r.status_code, r.status, r.content_type) == (201, 201, "text/html; charset=utf-8")


def test_http_exception_headers_reach_the_response(client):
    r = client.get("/raise")
    assert r.status_code == 401
    assert r.json() == {"detail": "who are you"}
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["x-extra"] == "1"


STARLETTE_NAMES = """
100 CONTINUE, 101 SWITCHING_PROTOCOLS, 102 PROCESSING, 103 EARLY_HINTS, 200 OK, 201 CREATED,
202 ACCEPTED, 203 NON_AUTHORITATIVE_INFORMATION, 204 NO_CONTENT, 205 RESET_CONTENT,
206 PARTIAL_CONTENT, 207 MULTI_STATUS, 208 ALREADY_REPORTED, 226 IM_USED, 300 MULTIPLE_CHOICES,
301 MOVED_PERMANENTLY, 302 FOUND, 303 SEE_OTHER, 304 NOT_MODIFIED, 305 USE_PROXY, 306 RESERVED,
307 TEMPORARY_REDIRECT, 308 PERMANENT_REDIRECT, 400 BAD_REQUEST, 401 UNAUTHORIZED,
402 PAYMENT_REQUIRED, 403 FORBIDDEN, 404 NOT_FOUND, 405 METHOD_NOT_ALLOWED, 406 NOT_ACCEPTABLE,
407 PROXY_AUTHENTICATION_REQUIRED, 408 REQUEST_TIMEOUT, 409 CONFLICT, 410 GONE,
411 LENGTH_REQUIRED, 412 PRECONDITION_FAILED, 413 REQUEST_ENTITY_TOO_LARGE, 413 CONTENT_TOO_LARGE,
414 REQUEST_URI_TOO_LONG, 414 URI_TOO_LONG, 415 UNSUPPORTED_MEDIA_TYPE,
416 REQUESTED_RANGE_NOT_SATISFIABLE, 416 RANGE_NOT_SATISFIABLE, 417 EXPECTATION_FAILED,
418 IM_A_TEAPOT, 421 MISDIRECTED_REQUEST, 422 UNPROCESSABLE_ENTITY, 422 UNPROCESSABLE_CONTENT,
423 LOCKED, 424 FAILED_DEPENDENCY, 425 TOO_EARLY, 426 UPGRADE_REQUIRED, 428 PRECONDITION_REQUIRED,
429 TOO_MANY_REQUESTS, 431 REQUEST_HEADER_FIELDS_TOO_LARGE, 451 UNAVAILABLE_FOR_LEGAL_REASONS,
500 INTERNAL_SERVER_ERROR, 501 NOT_IMPLEMENTED, 502 BAD_GATEWAY, 503 SERVICE_UNAVAILABLE,
504 GATEWAY_TIMEOUT, 505 HTTP_VERSION_NOT_SUPPORTED, 506 VARIANT_ALSO_NEGOTIATES,
507 INSUFFICIENT_STORAGE, 508 LOOP_DETECTED, 510 NOT_EXTENDED, 511 NETWORK_AUTHENTICATION_REQUIRED
"""

WS_NAMES = """
1000 NORMAL_CLOSURE, 1001 GOING_AWAY, 1002 PROTOCOL_ERROR, 1003 UNSUPPORTED_DATA, 1005 NO_STATUS_RCVD,
1006 ABNORMAL_CLOSURE, 1007 INVALID_FRAME_PAYLOAD_DATA, 1008 POLICY_VIOLATION, 1009 MESSAGE_TOO_BIG,
1010 MANDATORY_EXT, 1011 INTERNAL_ERROR, 1012 SERVICE_RESTART, 1013 TRY_AGAIN_LATER, 1014 BAD_GATEWAY,
1015 TLS_HANDSHAKE
"""


def _names(text: str, prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in text.replace("\n", " ").split(","):
        code, name = entry.split()
        out[f"{prefix}_{code}_{name}"] = int(code)
    return out


def test_cello_status_has_every_name_starlettes_status_has():
    for name, code in {**_names(STARLETTE_NAMES, "HTTP"), **_names(WS_NAMES, "WS")}.items():
        assert getattr(status, name) == code, name


def test_every_http_status_python_knows_has_a_constant():
    for s in http.HTTPStatus:
        assert any(k.startswith(f"HTTP_{s.value}_") for k in vars(status)), s


def test_list_subclasses_and_plain_str_keyed_dicts_are_sent_as_pydantic_accepts_them():
    class Tracked(list):  # what an ORM relationship holds (SQLAlchemy's InstrumentedList)
        pass

    @dataclasses.dataclass
    class Owner:
        names: list[str]
        meta: dict[str, Any]

    app = App()

    @app.get("/owner", response_model=Owner)
    def owner():
        return {"names": Tracked(["a", "b"]), "meta": {"k": [1, {"x": None}]}}

    r = TestClient(app).get("/owner")
    assert r.status_code == 200, r.text
    assert r.json() == {"names": ["a", "b"], "meta": {"k": [1, {"x": None}]}}
    want = pydantic.TypeAdapter(Owner).validate_python(owner())
    assert r.json() == dataclasses.asdict(want)
