"""Several workers, supervised in Rust (``_cello.supervise``, the
``cello-supervisor`` crate): ``App.run(workers=N)`` forks them from this process;
``cello run --workers N`` / ``--reload`` spawns fresh ``python -m cello`` processes
that import the app themselves and inherit the listening sockets. See docs/workers.md.

A worker reports on a pipe: ``R`` once it serves, ``E`` and its error if it fails
first, a heartbeat about every second from the engine, ``M`` when ``max_requests``
sends it away.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sys
from typing import Any, Callable, Sequence

from . import _cello

logger = logging.getLogger("cello.error")

#: The options the supervisor takes (the rest go to each worker's engine).
SUPERVISOR_OPTIONS = (
    "max_requests",
    "max_requests_jitter",
    "timeout_worker_healthcheck",
    "reload",
    "reload_dir",
    "reload_include",
    "reload_exclude",
)

#: Set in a worker spawned by ``cello run``: its listening socket and report pipe.
LISTEN_FD_ENV, REPORT_FD_ENV = "CELLO_LISTEN_FD", "CELLO_SUPERVISOR_FD"

#: Runs one worker on a listener with engine options; calls the second argument once serving.
ServeOne = Callable[[_cello.Listener, Callable[[int], None], dict[str, Any]], None]


def needs_supervisor(workers: int, options: dict[str, Any]) -> bool:
    return workers > 1 or bool(options.get("max_requests")) or bool(options.get("timeout_worker_healthcheck"))


def worker_options(options: dict[str, Any], report_fd: int) -> dict[str, Any]:
    """The engine options of a supervised worker: its report pipe, its max requests."""
    out: dict[str, Any] = {"supervisor_fd": report_fd}
    if options.get("max_requests"):
        out["max_requests"] = options["max_requests"] + random.randint(0, options.get("max_requests_jitter") or 0)
    return out


def supervise_forked(serve_one: ServeOne, listeners: Sequence[_cello.Listener], options: dict[str, Any]) -> None:
    """``App.run(workers=N)``: one forked worker per listener. SIGHUP forks fresh
    workers from this process (the same code: reloading code needs ``cello run``)."""
    def start(slot: int, report_fd: int) -> int:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            _cello.worker_init(parent)
            # Until the engine takes over the signals, a worker stops the default way.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            serve_one(listeners[slot], lambda port: _write(report_fd, b"R"), worker_options(options, report_fd))
            code = 0
        except BaseException as exc:
            logging.getLogger("cello").exception("worker %d failed", os.getpid())
            _write(report_fd, b"E" + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
        finally:
            logging.shutdown()
            os._exit(code)

    _cello.supervise(len(listeners), fork=start, **_supervisor_kwargs(options))
    sys.stdout.flush()


def supervise_spawned(
    args: Sequence[str], listeners: Sequence[_cello.Listener], workers: int, options: dict[str, Any]
) -> None:
    """``cello run ... --workers N`` / ``--reload``: on the listeners bound once (one
    per worker on a port, or the one ``--uds``/``--fd`` socket they share), runs
    ``python -m cello <args>`` per worker with its socket inherited."""
    logging.getLogger("cello").info(
        "cello supervisor %d on %s with %d worker(s)%s",
        os.getpid(),
        listeners[0].url,
        workers,
        " (reload)" if options.get("reload") else "",
    )
    _cello.supervise(
        workers,
        command=[sys.executable, "-m", "cello", *args],
        listen_fds=[listener.fileno() for listener in listeners],
        **_supervisor_kwargs(options),
    )


def _supervisor_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "timeout_graceful_shutdown": options.get("shutdown_timeout"),
        "timeout_worker_healthcheck": options.get("timeout_worker_healthcheck") or None,
        "reload": bool(options.get("reload")),
        "reload_dirs": list(options.get("reload_dir") or ()),
        "reload_include": list(options.get("reload_include") or ()),
        "reload_exclude": list(options.get("reload_exclude") or ()),
    }


def spawned_worker() -> tuple[_cello.Listener, int] | None:
    """In a worker ``cello run`` spawned: its listener and report pipe (the
    variables are removed, so processes the app starts do not see them)."""
    listen, report = os.environ.pop(LISTEN_FD_ENV, None), os.environ.pop(REPORT_FD_ENV, None)
    if listen is None or report is None:
        return None
    os.set_inheritable(int(report), False)
    return _cello.listener_from_fd(int(listen)), int(report)


def report_failure(report_fd: int, message: str) -> None:
    _write(report_fd, b"E" + message.encode("utf-8", "replace"))


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data[:4096])
    except OSError:
        pass
