"""The server's options, defined once: ``App.run`` takes them as keyword arguments,
the ``cello`` command as ``--flags``, and both read ``CELLO_<NAME>`` environment
variables for what is not given (see ``cello.cli``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Option:
    """One server option."""

    name: str
    #: Parses the text of a flag or an environment variable.
    parse: Callable[[str], Any]
    #: What leaving it out gives; None for the engine's own default (in ``help``).
    default: Any
    help: str
    #: ``metavar`` for ``--help``.
    shown: str = ""
    #: Another flag for the same option (uvicorn's name).
    alias: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "CELLO_" + self.name.upper()


def _level(text: str) -> str:
    level = text.strip().upper()
    if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "TRACE"):
        raise ValueError(f"log level {text!r} is not one of critical, error, warning, info, debug, trace")
    return level


def switch(text: str) -> bool:
    """An on/off option: a flag without a value (``--reload``), or ``CELLO_RELOAD=1``."""
    value = text.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError(f"{text!r} is not true/false (1/0, yes/no, on/off)")
    return value in ("1", "true", "yes", "on")


def many(text: str) -> list[str]:
    """A list option: the flag repeats (``--reload-dir a --reload-dir b``); its
    environment variable separates values with commas (``CELLO_RELOAD_DIR=a,b``)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise ValueError(f"{text} is not a positive number")
    return n


OPTIONS: tuple[Option, ...] = (
    Option("host", str, "127.0.0.1", "Bind to this address (0.0.0.0 for every interface).", "HOST"),
    Option("port", int, 8000, "Bind to this port (0: any free one).", "PORT"),
    Option("workers", _positive, 1, "Worker processes, each with its own listener on the port.", "N"),
    Option("log_level", _level, "INFO", "critical, error, warning, info, debug or trace.", "LEVEL"),
    Option("max_body_size", int, None, "Largest request body in bytes; past it, 413 (default 1 MiB).", "BYTES"),
    Option("max_header_size", int, None, "Largest request head in bytes; past it, 431 (default 16 KiB).", "BYTES"),
    Option("header_timeout", float, None, "Seconds a client has to send the request head (default 10).", "SECONDS"),
    Option("keep_alive_timeout", float, None, "Seconds an idle connection is kept (default 5).", "SECONDS"),
    Option("body_timeout", float, None, "Seconds at most between two reads of a body; then 408 (default 10).", "SECONDS"),
    Option(
        "request_read_timeout", float, None, "Seconds for a whole body once it is read; then 408 (default 60).", "SECONDS"
    ),
    Option("min_body_rate", int, None, "Bytes a second a body must average (default 0: off).", "BYTES"),
    Option("write_timeout", float, None, "Seconds a client may stop reading a response (default 30).", "SECONDS"),
    Option("max_connections", int, None, "Open connections per worker (default 10000).", "N"),
    Option(
        "shutdown_timeout", float, None, "Seconds to drain on SIGTERM/SIGINT (default 30).", "SECONDS",
        alias="--timeout-graceful-shutdown",
    ),
    Option("max_upload_size", int, None, "Largest multipart body in bytes; past it, 413 (default 1 GiB).", "BYTES"),
    Option("max_files", int, None, "Most files in one multipart body (default 1000).", "N"),
    Option("max_fields", int, None, "Most text fields in one multipart body (default 1000).", "N"),
    Option("max_part_size", int, None, "Largest multipart text field in bytes (default 1 MiB).", "BYTES"),
    Option("max_file_size", int, None, "Largest uploaded file in bytes (default: max-upload-size).", "BYTES"),
    Option("upload_spool_size", int, None, "An uploaded file past this many bytes goes to disk (default 1 MiB).", "BYTES"),
    Option(
        "upload_spool_memory", int, None, "Most bytes of uploads a worker keeps in memory at once (default 16 MiB).", "BYTES"
    ),
    Option("upload_dir", str, None, "Where uploads past the spool size are written (default $TMPDIR).", "DIR"),
    Option("max_requests", int, 0, "Recycle a worker after this many requests (default 0: never).", "N"),
    Option("max_requests_jitter", int, 0, "Add up to this many to each worker's max requests (default 0).", "N"),
    Option("timeout_worker_healthcheck", float, 0.0, "Kill a worker whose event loop is stuck this long (0: off).", "SECONDS"),
    Option("reload", switch, False, "Restart the workers when a file changes (development; needs cello run)."),
    Option("reload_dir", many, (), "Watch this directory for --reload (repeatable; default: the current one).", "DIR"),
    Option("reload_include", many, (), "Reload on files matching this glob (repeatable; default *.py).", "GLOB"),
    Option("reload_exclude", many, (), "Ignore files matching this glob (repeatable; adds to .* and *.py[cod]).", "GLOB"),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}

#: The options that go to the engine (the rest are ``run``'s own).
ENGINE_LIMITS: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.default is None)


def check(given: dict[str, Any]) -> None:
    """Raises ``TypeError`` naming an option that does not exist."""
    unknown = sorted(set(given) - set(BY_NAME))
    if unknown:
        raise TypeError(
            f"unknown server option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the options are {', '.join(BY_NAME)}"
        )
