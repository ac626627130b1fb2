"""The ``cello`` command (also ``python -m cello``)::

    cello run main:app --port 8080 --workers 4
    CELLO_PORT=8080 cello run main:app
    cello run "main:create_app" --factory --env-file .env

``run`` imports ``module:attribute`` (from the current directory, or ``--app-dir``)
and serves it with ``App.run``: the options are ``App.run``'s, each also read from its
``CELLO_<NAME>`` environment variable when the flag is not given (a flag wins; an
``--env-file`` fills the environment first, never overriding what is set). A mistake
(a module or attribute that does not exist, something that is not an App, a port in
use) is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn, Sequence

from . import _options


class _Fail(Exception):
    """A user's mistake: its message is the whole report."""


def main(argv: Sequence[str] | None = None) -> None:
    """The console script's entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _main(args)
    except _Fail as exc:
        _exit(str(exc))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _exit(message: str) -> NoReturn:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cello")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cello",
        description="Cello: a Python web framework whose runtime is Rust.",
    )
    parser.add_argument("--version", action="version", version=f"cello {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="serve an app",
        description="Serve MODULE:APP (an App, or with --factory a function returning one).",
        epilog="Every option can also be set with its CELLO_<NAME> environment variable "
        "(--max-body-size: CELLO_MAX_BODY_SIZE); a flag wins.",
    )
    run.add_argument("app", metavar="MODULE:APP", nargs="?", help="e.g. main:app (default: $CELLO_APP)")
    run.add_argument("--factory", action="store_true", default=None, help="APP is a function returning the App.")
    run.add_argument("--app-dir", metavar="DIR", help="Import the module from DIR (default: the current directory).")
    run.add_argument("--env-file", metavar="FILE", help="Set environment variables from FILE (KEY=value lines) first.")
    for option in _options.OPTIONS:
        run.add_argument(option.flag, metavar=option.shown, help=option.help, dest=option.name)
    return parser


def _main(args: list[str]) -> int:
    parser = _parser()
    ns = parser.parse_args(args)
    if ns.command is None:
        parser.print_help()
        return 1
    if ns.env_file:
        _load_env_file(ns.env_file)
    target = ns.app or os.environ.get("CELLO_APP")
    if not target:
        raise _Fail("no app given: cello run MODULE:APP (or set CELLO_APP)")
    factory = ns.factory if ns.factory is not None else _flag_from_env("CELLO_FACTORY")
    options = _options_from(ns)
    app = _load(target, factory, ns.app_dir or os.environ.get("CELLO_APP_DIR") or ".")
    host, port, workers = options.pop("host"), options.pop("port"), options.pop("workers")
    try:
        _options.check_tls(options)  # a certificate that cannot be used: one line, exit 1
    except (OSError, ValueError) as exc:
        raise _Fail(str(exc)) from None
    try:
        app.run(host=host, port=port, workers=workers, **options)
    except OSError as exc:
        raise _Fail(str(exc)) from None
    return 0


def _options_from(ns: argparse.Namespace) -> dict[str, Any]:
    """Each option from its flag, else its environment variable, parsed; the
    options left at the engine's default are left out."""
    out: dict[str, Any] = {}
    for option in _options.OPTIONS:
        flag_value = getattr(ns, option.name)
        text, source = (flag_value, option.flag) if flag_value is not None else (os.environ.get(option.env), option.env)
        if text is None:
            if option.default is not None:
                out[option.name] = option.default
            continue
        try:
            out[option.name] = option.parse(text)
        except ValueError as exc:
            raise _Fail(f"{source}={text!r}: {exc}") from None
    return out


def _flag_from_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _load_env_file(path: str) -> None:
    """``KEY=value`` lines (``export`` and quotes allowed, ``#`` comments) into the
    environment, without overriding a variable already set."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise _Fail(f"cannot read the env file {path}: {exc.strerror}") from None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise _Fail(f"{path}:{number}: expected KEY=value, got {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def _load(target: str, factory: bool, app_dir: str) -> Any:
    """The App named by ``module:attribute`` (dotted attributes allowed)."""
    from .app import App

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise _Fail(f"{target!r} is not MODULE:APP (e.g. main:app)")
    sys.path.insert(0, os.path.abspath(app_dir))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name) and module_name[len(exc.name) :][:1] in ("", "."):
            raise _Fail(f"could not import module {module_name!r} (from {os.path.abspath(app_dir)})") from None
        raise  # a module the app imports is missing: its traceback says which
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise _Fail(f"module {module_name!r} has no attribute {attr!r}") from None
    if factory:
        if not callable(value):
            raise _Fail(f"{target} is not callable, so it cannot be a --factory")
        value = value()
    if not isinstance(value, App):
        hint = " (a function? add --factory)" if callable(value) and not factory else ""
        raise _Fail(f"{target} is a {type(value).__name__}, not a cello.App{hint}")
    return value
