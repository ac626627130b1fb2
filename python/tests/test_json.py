"""``cello.json_dumps`` / ``json_loads`` (Rust) agree with the stdlib ``json``."""

import json
import math

import pytest

from cello import json_dumps, json_loads

CASES = [
    None,
    True,
    False,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    0.0,
    -0.5,
    1.5e300,
    3.141592653589793,
    1e-7,
    "",
    "plain",
    "ünïcödé ✓ 😀 中文",
    "quotes \" and \\ backslash / slash",
    "control \x00 \x01 \x1f \n \r \t \b \f",
    "\u2028\u2029",
    [],
    {},
    [1, [2, [3, [4, [5]]]]],
    {"a": {"b": {"c": [1, 2, {"d": None}]}}},
    {"ключ": "значение", "emoji 😀": ["🎉"]},
    [1, "two", 3.0, None, True, {"x": []}],
    {"k" * 100: "v" * 10_000},
    list(range(1000)),
]


@pytest.mark.parametrize("value", CASES, ids=lambda v: repr(v)[:30])
def test_dumps_output_is_read_back_by_stdlib_json(value):
    out = json_dumps(value)
    assert isinstance(out, bytes)
    assert json.loads(out) == value


@pytest.mark.parametrize("value", CASES, ids=lambda v: repr(v)[:30])
def test_loads_reads_what_stdlib_json_writes(value):
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False), json.dumps(value, indent=2)):
        assert json_loads(text) == value
        assert json_loads(text.encode()) == value


@pytest.mark.parametrize("value", CASES, ids=lambda v: repr(v)[:30])
def test_round_trip_is_identity(value):
    result = json_loads(json_dumps(value))
    assert result == value
    assert type(result) is type(value)


def test_floats_round_trip_exactly():
    for f in [0.1, 0.2 + 0.1, 1 / 3, 5e-324, 1.7976931348623157e308, 123456789.123456789, -2.5e-10]:
        assert json_loads(json_dumps(f)) == f
        assert json_loads(json.dumps(f)) == f


def test_big_ints_beyond_64_bits_are_written_exactly():
    for n in [2**64, 2**100, -(2**80), 10**30]:
        assert json.loads(json_dumps(n)) == n


def test_ints_at_the_64_bit_edges_are_read_exactly():
    for n in [2**63 - 1, -(2**63), 2**64 - 1]:
        assert json_loads(str(n)) == n
        assert type(json_loads(str(n))) is int


def test_big_ints_beyond_64_bits_are_read_exactly():
    for n in [2**64, 2**100, -(2**80), 10**30]:
        assert json_loads(str(n)) == n
        assert type(json_loads(str(n))) is int
    doc = '{"id": 123456789012345678901234567890, "x": [1.5, "s\\u00e9", 1e300, -2]}'
    assert json_loads(doc) == {"id": 123456789012345678901234567890, "x": [1.5, "s\u00e9", 1e300, -2]}
    assert json_loads(doc.encode()) == json_loads(doc)
    # A float literal of that size stays a float.
    assert type(json_loads("1e19")) is float


def test_tuples_encode_as_arrays():
    assert json.loads(json_dumps({"t": (1, 2)})) == {"t": [1, 2]}


def test_nan_and_infinity_are_not_silently_written_as_invalid_json():
    for f in (math.nan, math.inf, -math.inf):
        try:
            out = json_dumps(f)
        except (ValueError, TypeError):
            continue
        json.loads(out)  # whatever is written must be valid JSON (e.g. null)
        assert b"NaN" not in out and b"Infinity" not in out


def test_unencodable_value_raises():
    with pytest.raises((TypeError, ValueError)):
        json_dumps({"s": {1, 2}})
    with pytest.raises((TypeError, ValueError)):
        json_dumps(object())


@pytest.mark.parametrize("key", [1, -7, 1.5, True, False, None])
def test_int_float_bool_and_none_dict_keys_become_strings_as_in_the_stdlib(key):
    value = {key: "a", "s": 1}
    assert json.loads(json_dumps(value)) == json.loads(json.dumps(value))


def test_other_dict_keys_raise_type_error_naming_the_key_type():
    with pytest.raises(TypeError, match="tuple"):
        json_dumps({(1, 2): "a"})


@pytest.mark.parametrize("bad", [b"", b"{", b"[1,]", b"nul", b'{"a" 1}', b"1 2", b'"\xff"'])
def test_loads_rejects_invalid_json(bad):
    with pytest.raises(ValueError):
        json_loads(bad)
    with pytest.raises(ValueError):
        json.loads(bad)


def nested_lists(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_loads_reads_moderate_nesting_and_refuses_deep_nesting_with_value_error():
    assert json_loads("[" * 200 + "]" * 200) == nested_lists(200)
    with pytest.raises(ValueError, match="nested deeper than"):
        json_loads("[" * 10_000 + "]" * 10_000)


def test_dumps_writes_moderate_nesting_and_refuses_deep_nesting_with_value_error():
    assert json_dumps(nested_lists(200)) == b"[" * 200 + b"]" * 200
    with pytest.raises(ValueError, match="deeper than"):
        json_dumps(nested_lists(10_000))


def test_dumps_refuses_a_list_that_contains_itself():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="cycle"):
        json_dumps(cycle)


def stdlib_bytes(value):
    """What cello writes for strings, ints, containers: compact stdlib output."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("length", [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 200])
def test_strings_with_an_escape_at_each_position_match_stdlib_bytes(length):
    # Short words, 16-byte SSE2 blocks, the overlapping last block and the 64-byte
    # AVX2 loop all see an escape at every offset, next to multi-byte characters.
    base = ("aé日😀" * 100)[:length]
    for at in range(len(base) + 1):
        for special in ['"', "\\", "\n", "\x1f", "\u2028"]:
            s = base[:at] + special + base[at:]
            assert json_dumps(s) == stdlib_bytes(s), (length, at, special)
            assert json_dumps({s: s}) == stdlib_bytes({s: s})


def test_keys_repeated_across_records_are_written_right():
    # Keys shared by many dicts are cached by object within one call: long keys
    # (not cached), keys needing escapes, non-ASCII keys, more distinct keys than
    # the cache has slots, and non-str keys mixed in.
    keys = ["id", "k" * 29, "k" * 30, 'q"uote', "ключ", "😀"] + [f"key{i}" for i in range(600)]
    records = [{k: i for k in keys[: 6 + i % 600]} for i in range(50)]
    records.append({1: "int key", None: "none key", "id": 0})
    assert json.loads(json_dumps(records)) == json.loads(json.dumps(records))
    assert json_dumps(records[:50]) == stdlib_bytes(records[:50])


def test_keys_freed_by_python_code_during_encoding_are_not_reused():
    # `isoformat` runs Python code mid-encoding: it frees the keys of an
    # already written dict and puts new keys (which may reuse those addresses)
    # in a dict written later. The later dict must show its own keys.
    def fresh(text):
        return "".join(list(text))  # a new, non-interned str object

    first = {fresh(f"old{i}"): i for i in range(40)}
    later: dict = {}

    class Mutator:
        def isoformat(self):
            first.clear()
            for i in range(40):
                later[fresh(f"new{i}")] = i
            return "mutated"

    rows = [first, {"m": Mutator()}, later]
    out = json.loads(json_dumps(rows))
    assert out[1] == {"m": "mutated"}
    assert out[2] == {f"new{i}": i for i in range(40)}


def test_encoding_reentered_from_python_code_during_encoding():
    class Nested:
        def isoformat(self):
            return json_dumps([{"inner": [1, 2]}, {"inner": 3}]).decode()

    rows = [{"a": 1, "b": Nested()}, {"a": 2, "b": Nested()}]
    out = json.loads(json_dumps(rows))
    assert out[1]["b"] == '[{"inner":[1,2]},{"inner":3}]'
    assert [r["a"] for r in out] == [1, 2]


def test_large_documents_after_small_ones_and_back():
    # The buffer is sized from the previous document: both directions work.
    small, large = {"a": 1}, {"data": ["x" * 1000] * 2000}
    for value in [small, large, small, large]:
        assert json_dumps(value) == stdlib_bytes(value)
