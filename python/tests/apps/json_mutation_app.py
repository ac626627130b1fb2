"""Handlers whose return value changes while Cello encodes it: Python code the encoder
runs (`isoformat`, a key's `__str__`) frees or resizes a container above the value
being written. Each builder returns fresh data; the tests encode it with
``cello.json_dumps`` and through this app.

Run as ``python json_mutation_app.py PORT``.
"""

import sys

from cello import App

app = App()

# Objects made by `churn`, kept alive until the next request so that memory freed
# mid-encoding is reused by live objects of the same kind (what turns a stale
# pointer into wrong output or a crash).
_kept: list = []


def fresh(text: str) -> str:
    """A new, non-interned str: freed as soon as its container lets go of it."""
    return "".join(list(text))


def churn() -> None:
    _kept.clear()
    _kept.extend({fresh(f"junk{i}"): fresh("x" * 40)} for i in range(200))
    _kept.extend([fresh(f"junk{i}")] * 3 for i in range(200))
    _kept.extend(fresh("y" * 300) for _ in range(200))


def list_cleared_under_its_dict():
    """A list's only dict: a value's `isoformat` clears the list, dropping the dict's
    last reference halfway through writing it. The dict is written whole; the list
    ends where it now ends."""
    root: list = []

    class ClearRoot:
        def isoformat(self):
            root.clear()
            churn()
            return "cleared"

    inner = {fresh(f"k{i}"): fresh(f"v{i}") for i in range(8)}
    inner["clear"] = ClearRoot()
    inner.update({fresh(f"z{i}"): i for i in range(8)})
    root.append(inner)
    return root


LIST_CLEARED_EXPECTED = [
    {**{f"k{i}": f"v{i}" for i in range(8)}, "clear": "cleared", **{f"z{i}": i for i in range(8)}}
]


def dict_dropped_by_its_parent():
    """`isoformat` deletes the dict being written from its parent dict."""
    root: dict = {}

    class PopParent:
        def isoformat(self):
            root.pop("data")
            churn()
            return "popped"

    root["data"] = {fresh(f"k{i}"): fresh(f"v{i}") for i in range(8)}
    root["data"]["pop"] = PopParent()
    root["data"].update({fresh(f"z{i}"): i for i in range(8)})
    root["after"] = 1
    return root


def key_str_clears_its_dict():
    """A dict key (an int subclass) whose `__str__` clears the dict, freeing the value
    about to be written."""
    d: dict = {}

    class Key(int):
        def __str__(self):
            d.clear()
            churn()
            return "1"

    d[Key(1)] = fresh("value " * 50)
    d["after"] = fresh("after " * 50)
    return d


def value_adds_keys_to_its_dict():
    """`isoformat` adds keys to the dict being written."""
    d: dict = {}

    class Grow:
        def isoformat(self):
            for i in range(20):
                d[fresh(f"new{i}")] = i
            return "grown"

    d["a"] = Grow()
    d["b"] = 1
    return d


def subclass_dict_grows():
    """The same on a dict subclass, which takes the encoder's slow path."""

    class Record(dict):
        pass

    d = Record()

    class Grow:
        def isoformat(self):
            d["new"] = 1
            return "grown"

    d["a"] = Grow()
    d["b"] = 1
    return {"record": d}


def list_dropped_by_its_parent():
    """`isoformat` replaces the list being written in its parent dict (no size
    change), leaving the encoder the only holder of the list; an item's `__del__`
    removes a key from that dict once the list is freed. Returns the data and the
    dict, to look at after encoding."""
    root: dict = {}

    class Replace:
        def isoformat(self):
            root["items"] = None
            churn()
            return "replaced"

    class Finalizer:
        def isoformat(self):
            return "final"

        def __del__(self):
            root.pop("tail", None)

    root["items"] = [Replace(), Finalizer(), fresh("last")]
    root["tail"] = 1
    return root


LIST_DROPPED_EXPECTED = {"items": ["replaced", "final", "last"], "tail": 1}


# Builders whose data changes size under the encoder: a RuntimeError, as iterating
# the dict in Python would raise.
CHANGED_SIZE = {
    "dict-dropped-by-its-parent": dict_dropped_by_its_parent,
    "key-str-clears-its-dict": key_str_clears_its_dict,
    "value-adds-keys-to-its-dict": value_adds_keys_to_its_dict,
    "subclass-dict-grows": subclass_dict_grows,
}


@app.get("/list-cleared")
def list_cleared(req):
    return list_cleared_under_its_dict()


@app.get("/list-dropped")
def list_dropped(req):
    return list_dropped_by_its_parent()


@app.get("/changed-size/{name}")
def changed_size(req, name: str):
    return CHANGED_SIZE[name]()


@app.get("/ok")
def ok(req):
    return {"ok": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
