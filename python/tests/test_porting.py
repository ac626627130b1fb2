"""Porting from FastAPI changes only imports: ``porting/items_app.py`` and
``porting/items_tests.py`` are FastAPI code and FastAPI tests, kept as a FastAPI user
wrote them. Here their imports are rewritten to Cello, textually and nothing else,
and every test of ``items_tests.py`` runs as a test of its own, against the app
served by the real engine (``cello.testing.TestClient``)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any, Callable

import pytest

PORTING = Path(__file__).parent / "porting"

# Tests that fail on Cello for a reason the docs list; strict, so a fix shows.
KNOWN_GAPS: dict[str, str] = {}


def _rewrite_fastapi_names(names: str) -> str:
    """``from fastapi import FastAPI, Query, status`` → ``from cello import App as
    FastAPI, Query, status``."""
    parts = [n.strip() for n in names.split(",") if n.strip()]
    parts = ["App as FastAPI" if n == "FastAPI" else n for n in parts]
    return "from cello import " + ", ".join(parts)


def rewrite_imports(source: str) -> str:
    """The source with its ``fastapi`` imports rewritten; any other mention of
    fastapi left in an import line is an error (the port would not be imports only)."""
    out = []
    for line in source.splitlines():
        if re.match(r"^from fastapi\.testclient import TestClient$", line):
            line = "from cello.testing import TestClient"
        elif m := re.match(r"^from fastapi import (.*)$", line):
            line = _rewrite_fastapi_names(m.group(1))
        elif re.match(r"^\s*(from|import) fastapi\b", line):
            raise AssertionError(f"an import this port does not know how to rewrite: {line!r}")
        out.append(line)
    return "\n".join(out) + "\n"


def load_rewritten(name: str) -> types.ModuleType:
    """``porting/<name>.py`` with its imports rewritten, as module ``name``."""
    path = PORTING / f"{name}.py"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    code = compile(rewrite_imports(path.read_text()), str(path), "exec")
    exec(code, module.__dict__)
    return module


def test_the_ported_files_differ_from_fastapi_only_in_their_imports():
    for name in ("items_app", "items_tests"):
        original = (PORTING / f"{name}.py").read_text().splitlines()
        ported = rewrite_imports("\n".join(original)).splitlines()
        changed = [(a, b) for a, b in zip(original, ported) if a != b]
        assert len(original) == len(ported)
        assert changed, f"{name} imports fastapi"
        assert all(a.startswith("from fastapi") and b.startswith("from cello") for a, b in changed), changed


def _ported_tests() -> list[Any]:
    load_rewritten("items_app")
    tests = load_rewritten("items_tests")
    params = []
    for name, fn in vars(tests).items():
        if name.startswith("test_") and callable(fn):
            marks = [pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True)] if name in KNOWN_GAPS else []
            params.append(pytest.param(fn, id=name, marks=marks))
    return params


@pytest.mark.parametrize("fastapi_test", _ported_tests())
def test_a_fastapi_test_passes_on_cello_with_only_its_imports_changed(fastapi_test: Callable[[], None]) -> None:
    fastapi_test()
