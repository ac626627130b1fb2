"""Every ```python block in docs/**/*.md runs, through the real engine.

The rules (docs/contributing.md says them to writers):

- The python blocks of one page run in order, in one namespace, as one program run
  with ``python page.py`` would (``__name__ == "__main__"``): a later block may use
  what an earlier one defined.
- ``app.run(...)`` does not serve forever here: it checks its options as the real one
  does, then starts the app (startup hooks, routes, middleware) through
  ``TestClient`` and stops it.
- ``<!-- sample: hidden ... -->`` (an HTML comment, not shown on the site) holds
  Python that runs at that point: the stand-ins a fragment assumes (a database
  session, a user store), or checks that a sample does what the page says.
- ``--8<-- "examples/hello.py"`` in a block (pymdownx.snippets) is that file, on the
  site and here: the tutorial shows the real examples.
- ``<!-- sample: skip REASON -->`` on the line before a block leaves it out. Every
  skip is listed in SKIPPED below with its reason, so a new one is a visible change.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cello
from cello import _options
from cello.testing import TestClient

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: (page, the block's first line of code) -> why it is not run. Keep it short.
SKIPPED: dict[tuple[str, str], str] = {}

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n`]*)$")
_SKIP = re.compile(r"^<!--\s*sample:\s*skip\s+(?P<reason>.+?)\s*-->$")
# pymdownx.snippets' include line: the site shows the file there, and so do the tests.
_SNIPPET = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"$')
_HIDDEN_OPEN = re.compile(r"^<!--\s*sample:\s*hidden\s*$")


@dataclass
class Block:
    """One piece of code on a page: a fenced block, or a hidden Python comment."""

    page: str
    line: int  # 1-based line of the first line of code
    code: str
    lang: str
    skip: str | None = None
    hidden: bool = False


def parse(page: Path) -> list[Block]:
    """The fenced blocks (every language) and hidden Python comments of a page, in order."""
    name = page.relative_to(DOCS).as_posix()
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    pending_skip: str | None = None
    i = 0
    while i < len(lines):
        text = lines[i]
        stripped = text.strip()
        # Markers start a line (an indented one is an example of a marker, as in
        # docs/contributing.md).
        if _HIDDEN_OPEN.match(text):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->"), None)
            assert end is not None, f"{name}:{i + 1}: `<!-- sample: hidden` is never closed by `-->`"
            blocks.append(Block(name, i + 2, "\n".join(lines[i + 1 : end]), "python", hidden=True))
            i = end + 1
            continue
        skip = _SKIP.match(text)
        if skip:
            pending_skip = skip.group("reason")
            i += 1
            continue
        fence = _FENCE.match(text)
        if fence:
            mark, indent = fence.group("fence"), len(fence.group("indent"))
            lang = fence.group("info").split()[0] if fence.group("info").strip() else ""
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(mark) and lines[j].strip().strip(mark[0]) == ""),
                None,
            )
            assert end is not None, f"{name}:{i + 1}: code fence never closed"
            body = "\n".join(_include(line[indent:] if line[:indent].isspace() else line) for line in lines[i + 1 : end])
            blocks.append(Block(name, i + 2, body, lang, skip=pending_skip))
            pending_skip = None
            i = end + 1
            continue
        if stripped and pending_skip is not None:
            raise AssertionError(f"{name}:{i + 1}: `<!-- sample: skip -->` must be right before a code block")
        i += 1
    return blocks


def _include(line: str) -> str:
    """A snippet line as the file it names (relative to the repository, as
    ``mkdocs.yml`` sets ``base_path``); any other line as it is."""
    m = _SNIPPET.match(line.strip())
    return (ROOT / m.group("path")).read_text(encoding="utf-8") if m else line


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def python_blocks(page: Path) -> list[Block]:
    return [b for b in parse(page) if b.lang in ("python", "py")]


def _run_without_serving(self: cello.App, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, **options: Any) -> None:
    """``App.run`` for a sample: the real option check, then the app started and
    stopped once through the real engine (startup and shutdown hooks included)."""
    _options.check(options)
    with TestClient(self):
        pass


def run_page(page: Path, monkeypatch: pytest.MonkeyPatch, workdir: Path) -> int:
    """Runs a page's python blocks as one program, in ``workdir``; returns how many ran."""
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(sys, "argv", [str(page)])
    module = types.ModuleType("__main__")
    module.__file__ = str(page)
    monkeypatch.setattr(cello.App, "run", _run_without_serving)
    # Samples are programs run as `python page.py`: they are `__main__`, and classes
    # they define resolve their annotations through sys.modules[cls.__module__].
    monkeypatch.setitem(sys.modules, "__main__", module)
    ran = 0
    for block in python_blocks(page):
        if block.skip is not None:
            continue
        where = f"{block.page}:{block.line}"
        code = compile(block.code, where, "exec")
        try:
            exec(code, module.__dict__)
        except BaseException as exc:
            kind = "hidden block" if block.hidden else "python block"
            raise AssertionError(f"the {kind} at docs/{where} raised {exc!r}") from exc
        ran += not block.hidden
    return ran


PAGES_WITH_PYTHON = [p for p in pages() if python_blocks(p)]


@pytest.mark.parametrize("page", PAGES_WITH_PYTHON, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_python_sample_of_the_page_runs(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ran = run_page(page, monkeypatch, tmp_path)
    assert ran > 0 or all(b.skip for b in python_blocks(page) if not b.hidden)


def test_every_skipped_sample_is_listed_with_its_reason() -> None:
    found = {(b.page, b.code.splitlines()[0] if b.code else ""): b.skip for p in pages() for b in python_blocks(p) if b.skip is not None}
    assert found == SKIPPED


def test_the_docs_have_python_samples_to_run() -> None:
    # Guards the parser: a change that found no blocks would pass every test above.
    total = sum(1 for p in pages() for b in python_blocks(p) if not b.hidden)
    assert total >= 20, f"only {total} python blocks found under {DOCS}"


# -- shell and Rust samples ----------------------------------------------------------

_SHELL_LANGS = ("sh", "bash", "shell", "console")
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def cello_commands() -> list[tuple[str, str]]:
    """Every `cello ...` command line in the shell blocks: (where, command)."""
    found = []
    for page in pages():
        for block in parse(page):
            if block.lang not in _SHELL_LANGS:
                continue
            # Lines ending in a backslash continue on the next.
            for n, line in enumerate(block.code.replace("\\\n", " ").splitlines()):
                words = line.split("#")[0].split()
                while words and (words[0] == "$" or re.match(r"^[A-Z_]+=", words[0])):
                    words = words[1:]
                if words and (words[0] == "cello" or words[0].endswith("/cello")):
                    found.append((f"{block.page}:{block.line + n}", " ".join(words)))
    return found


def _help(*args: str) -> str:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "cello", *args, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_every_flag_in_a_shell_sample_is_one_cello_accepts() -> None:
    commands = cello_commands()
    assert any(c.startswith("cello run") for _, c in commands), "no `cello run` sample found"
    helps = {"run": _help("run"), "": _help()}
    unknown = []
    for where, command in commands:
        sub = "run" if command.split()[1:2] == ["run"] else ""
        for flag in _FLAG.findall(command):
            if flag not in helps[sub]:
                unknown.append(f"{where}: {flag} ({command})")
    assert unknown == []


@pytest.mark.skipif(
    not (ROOT / "cello/src/lib.rs").exists(),
    reason="a check of the repository's layout: this tree (the CPython 3.13 and 3.14 runs) has no Rust sources; the 3.11 run checks it",
)
def test_every_page_with_rust_samples_is_compiled_by_cargo_test() -> None:
    # cello/src/lib.rs includes such pages as doctests (`cargo test -p cello --doc`).
    lib = (ROOT / "cello/src/lib.rs").read_text(encoding="utf-8")
    for page in pages():
        if any(b.lang.split(",")[0] == "rust" and "ignore" not in b.lang for b in parse(page)):
            include = f'include_str!("../../docs/{page.relative_to(DOCS).as_posix()}")'
            assert include in lib, f"docs/{page.relative_to(DOCS)} has ```rust blocks; add `{include}` to cello/src/lib.rs"
        if f'include_str!("../../docs/{page.relative_to(DOCS).as_posix()}")' in lib:
            bare = [b.line for b in parse(page) if not b.lang and not b.hidden]
            assert bare == [], f"docs/{page.relative_to(DOCS)}: blocks without a language (rustdoc compiles them as Rust) at lines {bare}"


# -- examples in docstrings ------------------------------------------------------------


def api_modules() -> list[str]:
    """The modules the API pages document (``::: cello.x`` in docs/api/*.md)."""
    return sorted({m for p in (DOCS / "api").glob("*.md") for m in re.findall(r"^::: ([\w.]+)", p.read_text(), re.M)})


@pytest.mark.parametrize("name", api_modules())
def test_the_examples_in_the_docstrings_of_each_documented_module_pass(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (output above)"


def test_every_public_module_has_an_api_page() -> None:
    package = Path(cello.__file__).parent
    modules = {f"cello.{p.stem}" for p in package.glob("*.py") if not p.stem.startswith("_")}
    packages = {f"cello.{p.parent.name}" for p in package.glob("*/__init__.py") if not p.parent.name.startswith("_")}
    public = {"cello"} | modules | packages
    public.discard("cello.cli")  # the command, documented in docs/cli.md
    assert public - set(api_modules()) == set()
