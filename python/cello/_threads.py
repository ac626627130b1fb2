"""``App.run(threads=N)`` / ``cello run --threads N``: N worker threads in one process.

Each thread runs one whole worker, as a forked worker process would: its own engine
(a current-thread tokio runtime and LocalSet), its own asyncio loop and its own
listener on the port (``SO_REUSEPORT`` among them, as between worker processes).
Nothing of a request crosses threads. On a CPython with the GIL the threads take
turns holding it, so this is mainly for free-threaded CPython (docs/workers.md).

Signals: only the main thread may set Python's handlers, so it ignores SIGINT and
SIGTERM at Python's level for every thread; each engine then stops on them itself
(tokio's handlers reach every runtime of the process).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any, Callable, Sequence

from . import _cello

#: Runs one worker on this thread on a listener; appends its engine to the list first.
ServeOne = Callable[[_cello.Listener, list[_cello.Engine]], None]


def check(workers: int, options: dict[str, Any]) -> int:
    """The number of threads asked for; ``ValueError`` when it is combined with
    worker processes or another supervisor option (one of the two, not both)."""
    threads: int = options.get("threads") or 1
    if threads > 1:
        from . import _workers

        if workers > 1 or options.get("reload") or _workers.needs_supervisor(1, options):
            raise ValueError(
                "threads=N runs the workers as threads of one process; it cannot be combined with workers, "
                "reload, max_requests or timeout_worker_healthcheck (worker processes)"
            )
    return threads


def distinct(listeners: Sequence[_cello.Listener]) -> list[_cello.Listener]:
    """One listener per thread: a socket shared by every worker (``uds``, ``fd``) is
    duplicated, since each engine takes its listener's socket to serve on it."""
    out: list[_cello.Listener] = []
    for listener in listeners:
        if any(listener is seen for seen in out):
            listener = _cello.listener_from_fd(os.dup(listener.fileno()))
        out.append(listener)
    return out


def serve(serve_one: ServeOne, listeners: Sequence[_cello.Listener]) -> None:
    """Runs one worker thread per listener until they all stop. A worker that fails
    (a startup hook raised) stops the others; its exception is raised here."""
    engines = _Engines()
    errors: list[BaseException] = []

    def run(listener: _cello.Listener) -> None:
        try:
            serve_one(listener, engines)
        except BaseException as exc:
            errors.append(exc)
            engines.stop_all()

    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        threads = [
            threading.Thread(target=run, args=(listener,), name=f"cello-worker-{i}")
            for i, listener in enumerate(distinct(listeners))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)
    if errors:
        raise errors[0]


class _Engines(list[_cello.Engine]):
    """The workers' engines, as each thread makes its own: once one worker failed,
    every engine is stopped, also one that a thread adds after that."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._stopped = False

    def append(self, engine: _cello.Engine) -> None:
        with self._lock:
            super().append(engine)
            if self._stopped:
                engine.stop()

    def stop_all(self) -> None:
        with self._lock:
            self._stopped = True
            for engine in self:
                engine.stop()
