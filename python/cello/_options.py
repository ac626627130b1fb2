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
    #: What ``cello run`` gives when neither the flag nor the variable is set, where it
    #: differs from ``App.run``'s ``default`` (``--access-log``: on, like uvicorn's).
    cli_default: Any = None
    #: ``App.run``'s own (listening, logging, the middleware it adds), not the engine's.
    run_own: bool = False
    #: ``--help``'s heading.
    group: str = "Limits"
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


def switch(text: "str | bool") -> bool:
    """An on/off option: ``--reload`` / ``--no-reload``, or ``CELLO_RELOAD=1``."""
    if isinstance(text, bool):
        return text
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{text!r} is not one of true, false, 1, 0, yes, no, on, off")


def many(text: str) -> list[str]:
    """A list option: the flag repeats (``--reload-dir a --reload-dir b``); its
    environment variable separates values with commas (``CELLO_RELOAD_DIR=a,b``)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _fd(text: str) -> int:
    n = int(text)
    if n < 0:
        raise ValueError(f"{text} is not a file descriptor")
    return n


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise ValueError(f"{text} is not a positive number")
    return n


def _cert_reqs(text: str) -> str:
    reqs = text.strip().lower()
    names = {"0": "none", "1": "optional", "2": "required"}
    reqs = names.get(reqs, reqs)
    if reqs not in ("none", "optional", "required"):
        raise ValueError(f"{text!r} is not one of none, optional, required (or 0, 1, 2)")
    return reqs


def _http_versions(text: str) -> str:
    versions = text.strip().lower()
    if versions not in ("auto", "1", "2"):
        raise ValueError(f"{text!r} is not one of auto, 1, 2")
    return versions


OPTIONS: tuple[Option, ...] = (
    Option("host", str, "127.0.0.1", "Bind to this address (0.0.0.0 for every interface).", "HOST", group="Socket"),
    Option("port", int, 8000, "Bind to this port (0: any free one).", "PORT", group="Socket"),
    Option("uds", str, None, "Bind to this Unix domain socket instead (mode 0o666).", "PATH", run_own=True, group="Socket"),
    Option("fd", _fd, None, "Serve on this inherited listening socket instead.", "N", run_own=True, group="Socket"),
    Option("backlog", _positive, 2048, "Connections the kernel queues before they are accepted.", "N", group="Socket"),
    Option("workers", _positive, 1, "Worker processes, each with its own listener on the port.", "N", group="Workers"),
    Option(
        "threads", _positive, 1, "Worker threads in one process, each with its own engine and listener (free-threaded CPython).",
        "N", group="Workers",
    ),
    Option("log_level", _level, "INFO", "critical, error, warning, info, debug or trace.", "LEVEL", group="Logging"),
    Option("log_config", str, None, "Logging config: dictConfig .json/.yaml, or .ini.", "FILE", run_own=True, group="Logging"),
    Option("access_log", switch, None, "Log each request to cello.access.", cli_default=True, run_own=True, group="Logging"),
    Option(
        "proxy_headers", switch, None, "Trust X-Forwarded-* from --forwarded-allow-ips.", cli_default=True, run_own=True, group="Proxy"
    ),
    Option(
        "forwarded_allow_ips", str, None, "Proxies to trust, comma-separated, or '*'.", "IPS", cli_default="127.0.0.1", run_own=True, group="Proxy"
    ),
    Option("root_path", str, None, "The path prefix the app is served under (ASGI root_path).", "PATH", group="Proxy"),
    Option("limit_concurrency", _positive, None, "Requests in flight per worker; past it, 503.", "N"),
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
        alias="--timeout-graceful-shutdown", group="Workers",
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
    Option("max_requests", int, 0, "Recycle a worker after this many requests (default 0: never).", "N", group="Workers"),
    Option("max_requests_jitter", int, 0, "Add up to this many to each worker's max requests (default 0).", "N", group="Workers"),
    Option("timeout_worker_healthcheck", float, 0.0, "Kill a worker whose event loop is stuck this long (0: off).", "SECONDS", group="Workers"),
    Option("reload", switch, False, "Restart the workers when a file changes (development; needs cello run).", group="Reload"),
    Option("reload_dir", many, (), "Watch this directory for --reload (repeatable; default: the current one).", "DIR", group="Reload"),
    Option("reload_include", many, (), "Reload on files matching this glob (repeatable; default *.py).", "GLOB", group="Reload"),
    Option("reload_exclude", many, (), "Ignore files matching this glob (repeatable; adds to .* and *.py[cod]).", "GLOB", group="Reload"),
    # WebSockets: the App's own settings (``App(ws_max_size=...)``), replaced when given here.
    Option("ws_max_size", _positive, None, "Largest WebSocket message in bytes; past it, close 1009 (default 16 MiB).", "BYTES", run_own=True, group="WebSockets"),
    Option("ws_ping_interval", float, None, "Seconds between pings on an idle WebSocket; 0: off (default 20).", "SECONDS", run_own=True, group="WebSockets"),
    Option("ws_ping_timeout", float, None, "Seconds to wait for a pong before closing; 0: off (default 20).", "SECONDS", run_own=True, group="WebSockets"),
    # TLS and HTTP versions (docs/tls.md).
    Option("ssl_certfile", str, None, "Serve HTTPS with this certificate chain (PEM).", "FILE", group="TLS"),
    Option("ssl_keyfile", str, None, "The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).", "FILE", group="TLS"),
    Option("ssl_keyfile_password", str, None, "Password of an encrypted (PKCS#8) key file.", "PASSWORD", group="TLS"),
    Option("ssl_ca_certs", str, None, "CA certificates (PEM) that client certificates must chain to.", "FILE", group="TLS"),
    Option("ssl_cert_reqs", _cert_reqs, None, "Client certificates: none, optional or required (or 0, 1, 2).", "REQS", group="TLS"),
    Option("http", _http_versions, None, "HTTP versions: auto (1.1 and 2), 1 (1.1 only) or 2 (2 only).", "auto|1|2", group="TLS"),
    Option("h2_max_concurrent_streams", int, None, "HTTP/2 streams a client may open at once (default 200).", "N", group="HTTP/2"),
    Option("h2_initial_stream_window", int, None, "HTTP/2 flow-control window per stream (default 1 MiB).", "BYTES", group="HTTP/2"),
    Option("h2_initial_connection_window", int, None, "HTTP/2 flow-control window per connection (default 1 MiB).", "BYTES", group="HTTP/2"),
    Option("h2_max_header_list_size", int, None, "HTTP/2 largest header list (default: max-header-size).", "BYTES", group="HTTP/2"),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}

#: The options that go to the engine (the rest are ``run``'s own).
ENGINE_LIMITS: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.default is None and not o.run_own)


def check(given: dict[str, Any]) -> None:
    """Raises ``TypeError`` naming an option that does not exist."""
    unknown = sorted(set(given) - set(BY_NAME))
    if unknown:
        raise TypeError(
            f"unknown server option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the options are {', '.join(BY_NAME)}"
        )


#: The options that configure TLS and the HTTP versions, checked before serving.
TLS: tuple[str, ...] = ("ssl_certfile", "ssl_keyfile", "ssl_keyfile_password", "ssl_ca_certs", "ssl_cert_reqs", "http")


def check_tls(given: dict[str, Any]) -> None:
    """Loads the TLS files as the engine will, so that a certificate or key that cannot
    be used fails before anything starts: ``OSError`` (unreadable) or ``ValueError``
    (not understood), naming the file."""
    from . import _cello

    _cello.check_tls(**{k: v for k, v in given.items() if k in TLS and v is not None})
