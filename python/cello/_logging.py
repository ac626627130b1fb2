"""Cello's loggers and their default format, uvicorn's::

    INFO:     cello worker 4242 serving on http://127.0.0.1:8000
    INFO:     127.0.0.1:54321 - "GET /items HTTP/1.1" 200 OK

``cello`` is the server's own log (``cello.error`` under it: errors in handlers and
in the engine), ``cello.access`` one line per request (``--access-log``; the line is
assembled in Rust). Levels are colored only when the stream is a terminal.
``--log-config FILE`` replaces all of this with a ``logging.config.dictConfig`` from
JSON or YAML, or a ``fileConfig`` ``.ini``, as uvicorn's ``--log-config`` does.
"""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import sys
from typing import Any, Literal

TRACE = 5


class LogConfigError(ValueError):
    """A ``log_config`` file that cannot be read or applied; the message names it."""

_LEVEL_COLORS = {
    TRACE: "\x1b[34m",  # blue
    logging.DEBUG: "\x1b[36m",  # cyan
    logging.INFO: "\x1b[32m",  # green
    logging.WARNING: "\x1b[33m",  # yellow
    logging.ERROR: "\x1b[31m",  # red
    logging.CRITICAL: "\x1b[91m",  # bright red
}
_STATUS_COLORS = {1: "\x1b[37m", 2: "\x1b[32m", 3: "\x1b[33m", 4: "\x1b[31m", 5: "\x1b[91m"}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"

#: Both default formats: the level prefix, then the message.
DEFAULT_FORMAT = "%(levelprefix)s %(message)s"

#: The configuration used without ``--log-config`` (a copy is applied).
LOGGING_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {"()": "cello._logging.DefaultFormatter", "fmt": DEFAULT_FORMAT},
        "access": {"()": "cello._logging.AccessFormatter", "fmt": DEFAULT_FORMAT},
    },
    "handlers": {
        "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "loggers": {
        "cello": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "cello.error": {"level": "INFO"},
        "cello.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


class DefaultFormatter(logging.Formatter):
    """Adds ``%(levelprefix)s``: ``INFO:`` padded to 9 columns, its name colored on a
    terminal (``use_colors=None``: when the handler's stream is one)."""

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        use_colors: bool | None = None,
    ) -> None:
        super().__init__(fmt, datefmt, style)
        self.use_colors = _stderr_is_tty() if use_colors is None else use_colors

    def formatMessage(self, record: logging.LogRecord) -> str:
        record = copy.copy(record)  # other handlers get the record as it was
        name = "TRACE" if record.levelno == TRACE else record.levelname
        pad = " " * max(8 - len(name), 0)
        if self.use_colors:
            name = f"{_LEVEL_COLORS.get(record.levelno, '')}{name}{_RESET}"
        record.__dict__["levelprefix"] = f"{name}:{pad}"
        return super().formatMessage(record)


class AccessFormatter(DefaultFormatter):
    """The access line as the engine assembled it; on a terminal the request line is
    bold and the status colored by its class. Records carry ``client_addr``,
    ``request_line`` and ``status_code`` too, for a ``--log-config`` format."""

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        use_colors: bool | None = None,
    ) -> None:
        super().__init__(fmt, datefmt, style, _stdout_is_tty() if use_colors is None else use_colors)

    def formatMessage(self, record: logging.LogRecord) -> str:
        status = record.__dict__.get("status")
        if self.use_colors and isinstance(status, int) and "request_line" in record.__dict__:
            record = copy.copy(record)
            color = _STATUS_COLORS.get(status // 100, "")
            record.message = (
                f'{record.__dict__["client_addr"]} - "{_BOLD}{record.__dict__["request_line"]}{_RESET}" '
                f"{color}{record.__dict__['status_code']}{_RESET}"
            )
        return super().formatMessage(record)


def _stderr_is_tty() -> bool:
    return _isatty(sys.stderr)


def _stdout_is_tty() -> bool:
    return _isatty(sys.stdout)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def configure(log_config: str | None = None, log_level: str | None = None, access_log: bool | None = None) -> None:
    """Sets up the ``cello`` loggers: ``log_config`` (a file) or the default format;
    then ``log_level`` on ``cello``, ``cello.error`` and ``cello.access``; with
    ``access_log=False`` the access records go nowhere."""
    if log_config:
        _apply_file(log_config)
    else:
        logging.config.dictConfig(copy.deepcopy(LOGGING_CONFIG))
    if log_level:
        level = TRACE if log_level.upper() == "TRACE" else log_level.upper()
        for name in ("cello", "cello.error", "cello.access"):
            logging.getLogger(name).setLevel(level)
    if access_log is False:
        access = logging.getLogger("cello.access")
        access.handlers.clear()
        access.propagate = False


def _apply_file(path: str) -> None:
    """dictConfig from ``.json``/``.yaml``/``.yml``, else fileConfig (``.ini``). A
    file that cannot be read or applied is a ``LogConfigError`` naming it."""
    lower = path.lower()
    try:
        if lower.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                logging.config.dictConfig(json.load(f))
        elif lower.endswith((".yaml", ".yml")):
            try:
                import yaml  # type: ignore[import-untyped]
            except ImportError:
                raise LogConfigError(
                    f"--log-config {path}: a YAML logging config needs PyYAML, which is not installed "
                    "(pip install pyyaml), or write it as JSON"
                ) from None
            with open(path, encoding="utf-8") as f:
                logging.config.dictConfig(yaml.safe_load(f))
        else:
            with open(path, encoding="utf-8"):
                pass  # fileConfig says little when the file is missing
            logging.config.fileConfig(path, disable_existing_loggers=False)
    except OSError as exc:
        raise LogConfigError(f"--log-config {path}: cannot read it: {exc.strerror}") from None
    except LogConfigError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ImportError, RuntimeError) as exc:
        raise LogConfigError(f"--log-config {path}: {exc}") from None
