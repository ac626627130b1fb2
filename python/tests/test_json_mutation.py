"""Data that Python code changes while Cello encodes it (issue 9): the encoder holds the
containers it is walking while Python code runs, so one dropped mid-walk is still
written whole, and a dict that changes size is a clear RuntimeError, never a crash or
garbage. Known types are
told apart by their type, not their class name."""

import datetime
import decimal
import json
import uuid

import httpx
import pytest

from cello import json_dumps
from conftest import load_app, wait_until

mutation = load_app("json_mutation_app")


@pytest.fixture(scope="module")
def server(start_server):
    return start_server("json_mutation_app.py")


def test_a_dict_whose_last_reference_is_dropped_mid_walk_is_written_whole():
    out = json_dumps(mutation.list_cleared_under_its_dict())
    assert json.loads(out) == mutation.LIST_CLEARED_EXPECTED


@pytest.mark.parametrize("name", sorted(mutation.CHANGED_SIZE))
def test_a_dict_that_changes_size_while_encoded_raises_runtime_error(name):
    data = mutation.CHANGED_SIZE[name]()
    with pytest.raises(RuntimeError, match="dict changed size while it was being encoded"):
        json_dumps(data)


def test_encoding_works_again_after_a_dict_changed_size():
    for _ in range(3):
        with pytest.raises(RuntimeError):
            json_dumps(mutation.key_str_clears_its_dict())
        rows = [{"id": i, "name": f"n{i}"} for i in range(50)]
        assert json.loads(json_dumps(rows)) == rows


def test_a_list_dropped_mid_walk_is_written_whole_and_freed_once_written():
    data = mutation.list_dropped_by_its_parent()
    out = json_dumps(data)
    assert json.loads(out) == mutation.LIST_DROPPED_EXPECTED
    # The encoder let go of the list after writing: its items' finalizers ran.
    assert data == {"items": None}


def test_engine_writes_containers_dropped_mid_walk_whole(server):
    r = httpx.get(server.base_url + "/list-cleared")
    assert r.status_code == 200
    assert r.json() == mutation.LIST_CLEARED_EXPECTED
    r = httpx.get(server.base_url + "/list-dropped")
    assert r.status_code == 200
    assert r.json() == mutation.LIST_DROPPED_EXPECTED


@pytest.mark.parametrize("name", sorted(mutation.CHANGED_SIZE))
def test_engine_answers_500_and_logs_a_dict_that_changed_size(server, name):
    mark = len(server.log())
    r = httpx.get(f"{server.base_url}/changed-size/{name}")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    expect = "dict changed size while it was being encoded"
    assert wait_until(lambda: expect in server.log()[mark:], timeout=10)
    log = server.log()[mark:]
    assert "changed_size" in log  # the handler's name
    assert "RuntimeError" in log
    # The worker keeps serving.
    assert httpx.get(server.base_url + "/ok").json() == {"ok": True}


class Stamp(datetime.datetime):
    pass


class Id(uuid.UUID):
    pass


def test_dates_times_uuids_and_decimals_and_their_subclasses_are_written():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "date": datetime.date(2024, 2, 29),
        "datetime": datetime.datetime(2024, 2, 29, 12, 30, 5, 123000, tzinfo=datetime.timezone.utc),
        "time": datetime.time(23, 59, 1),
        "subclass": Stamp(2024, 1, 2, 3, 4, 5),
        "uuid": u,
        "uuid subclass": Id(str(u)),
        "decimal": decimal.Decimal("3.14159265358979323846264338327950288"),
    }
    assert json.loads(json_dumps(value)) == {
        "date": "2024-02-29",
        "datetime": "2024-02-29T12:30:05.123000+00:00",
        "time": "23:59:01",
        "subclass": "2024-01-02T03:04:05",
        "uuid": str(u),
        "uuid subclass": str(u),
        "decimal": "3.14159265358979323846264338327950288",
    }


def test_a_class_that_only_shares_a_name_with_uuid_or_decimal_is_refused():
    for name in ("UUID", "Decimal"):
        impostor = type(name, (), {"__str__": lambda self: "not json"})()
        with pytest.raises(TypeError, match=f"object of type {name}"):
            json_dumps({"value": impostor})
