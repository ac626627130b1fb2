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

from . import _options, _threads, _workers


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


def _version_line() -> str:
    """``cello 0.1.0 (Rust runtime) with CPython 3.11.7 on Linux``: uvicorn's
    ``Running uvicorn X with CPython Y on Linux``, starting with the name as
    ``--version`` lines do."""
    import platform

    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"cello {_version()} (Rust runtime) with {python} on {platform.system()}"


def _env_names(option: _options.Option) -> str:
    if option.name == "forwarded_allow_ips":
        return f"{option.env}, FORWARDED_ALLOW_IPS"
    return option.env


def _help(option: _options.Option) -> str:
    """The help text, its default and its variable: uvicorn's layout."""
    default = option.cli_default if option.cli_default is not None else option.default
    shown = "" if default is None or default == () else f" [default: {default}]"
    return f"{option.help}{shown} [env: {_env_names(option)}]"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cello",
        description="Cello: a Python web framework whose runtime is Rust.",
    )
    parser.add_argument("--version", action="version", version=_version_line())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="serve an app",
        description="Serve MODULE:APP (an App, or with --factory a function returning one).",
        epilog="Every option can also be set with its CELLO_<NAME> environment variable "
        "(--max-body-size: CELLO_MAX_BODY_SIZE); a flag wins.",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=36, width=100),
    )
    run.add_argument("app", metavar="MODULE:APP", nargs="?", help="e.g. main:app [env: CELLO_APP]")
    app_group = run.add_argument_group("App")
    app_group.add_argument(
        "--factory", action="store_true", default=None, help="APP is a function returning the App. [env: CELLO_FACTORY]"
    )
    app_group.add_argument(
        "--app-dir", metavar="DIR", help="Import the module from DIR. [default: .] [env: CELLO_APP_DIR]"
    )
    app_group.add_argument("--env-file", metavar="FILE", help="Set environment variables from FILE (KEY=value lines) first.")
    groups: dict[str, argparse._ArgumentGroup] = {}
    for option in _options.OPTIONS:
        group = groups.get(option.group) or groups.setdefault(option.group, run.add_argument_group(option.group))
        flags = [option.flag, option.alias] if option.alias else [option.flag]
        if option.parse is _options.switch:
            group.add_argument(*flags, action=argparse.BooleanOptionalAction, help=_help(option), dest=option.name)
        elif option.parse is _options.many:
            group.add_argument(*flags, action="append", metavar=option.shown, help=_help(option), dest=option.name)
        else:
            group.add_argument(*flags, metavar=option.shown, help=_help(option), dest=option.name)
    return parser


def _main(args: list[str]) -> int:
    parser = _parser()
    worker = _workers.spawned_worker()
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
    app_dir = ns.app_dir or os.environ.get("CELLO_APP_DIR") or "."
    host, port, workers = options.pop("host"), options.pop("port"), options.pop("workers")
    if options.get("uds") is not None and options.get("fd") is not None:
        raise _Fail("--uds and --fd are two ways to listen; give one")
    from ._logging import LogConfigError

    try:
        _options.check_tls(options)  # a certificate that cannot be used: one line, exit 1
    except (OSError, ValueError) as exc:
        raise _Fail(str(exc)) from None
    try:
        _threads.check(workers, options)
    except ValueError as exc:
        raise _Fail(str(exc)) from None
    if worker is not None:
        return _serve_spawned(worker, target, factory, app_dir, host, port, options)
    if workers > 1 or options["reload"] or _workers.needs_supervisor(workers, options):
        # The Rust supervisor spawns `python -m cello <the same args>` per worker.
        return _supervise(args, host, port, workers, options)
    app = _load(target, factory, app_dir)
    try:
        app.run(host=host, port=port, workers=workers, **options)
    except (OSError, LogConfigError) as exc:
        raise _Fail(str(exc)) from None
    return 0


def _supervise(args: list[str], host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """This process binds the listeners once and supervises the workers it spawns."""
    from ._logging import LogConfigError
    from .app import App, _remove_socket_file

    try:
        App._configure_logging(options)
        listeners, where = App._listeners(host, port, workers, options)
    except (OSError, ValueError, LogConfigError) as exc:
        raise _Fail(str(exc)) from None
    try:
        _workers.supervise_spawned(args, listeners, workers, options)
    except (OSError, RuntimeError) as exc:
        raise _Fail(str(exc)) from None
    finally:
        _remove_socket_file(where)
    return 0


def _serve_spawned(
    worker: tuple[Any, int], target: str, factory: bool, app_dir: str, host: str, port: int, options: dict[str, Any]
) -> int:
    """A worker the supervisor spawned: imports the app and serves on the inherited
    socket. A failure is reported to the supervisor, which prints it (once)."""
    listener, report = worker
    try:
        app = _load(target, factory, app_dir)
        app._run_spawned_worker(listener, report, host, port, **options)
    except _Fail as exc:
        _workers.report_failure(report, str(exc))
        return 1
    except Exception as exc:
        _workers.report_failure(report, f"{type(exc).__name__}: {exc}")
        raise
    return 0


def _options_from(ns: argparse.Namespace) -> dict[str, Any]:
    """Each option from its flag, else its environment variable, parsed; the
    options left at the engine's default are left out."""
    out: dict[str, Any] = {}
    for option in _options.OPTIONS:
        flag_value = getattr(ns, option.name)
        if isinstance(flag_value, list):
            flag_value = ",".join(flag_value)
        text, source = (flag_value, option.flag) if flag_value is not None else (os.environ.get(option.env), option.env)
        if text is None and option.name == "forwarded_allow_ips":
            text, source = os.environ.get("FORWARDED_ALLOW_IPS"), "FORWARDED_ALLOW_IPS"  # uvicorn's name
        if text is None:
            default = option.cli_default if option.cli_default is not None else option.default
            if default is not None:
                out[option.name] = default
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
