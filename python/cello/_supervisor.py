"""The supervisor behind ``App.run(workers=N)``: forks the workers, restarts the ones
that die, and stops them all on SIGINT/SIGTERM.

Each worker reports on a pipe: ``R`` once it serves (its ready callback), or ``E`` and
its error if it fails. A worker that dies before it ever served (a startup hook raised,
a route was invalid) means every worker will: the supervisor stops the others and
raises that error instead of restarting workers forever. A worker that dies after it
served is restarted on the same listener, after a delay that doubles while
replacements keep dying young.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from typing import Any, Callable, NoReturn, Sequence

from ._cello import Listener

logger = logging.getLogger("cello")

#: Runs one worker on a listener; calls the second argument with the port once serving.
ServeOne = Callable[[Listener, Callable[[int], None]], None]

_READY = b"R"
_FAILED = b"E"
# Restart delays: the first, the cap, and how long a worker must live for the delay
# to start over from the first.
FIRST_DELAY, MAX_DELAY, STABLE_AFTER = 0.1, 5.0, 60.0


class _Worker:
    __slots__ = ("slot", "pipe", "started")

    def __init__(self, slot: int, pipe: int) -> None:
        self.slot, self.pipe, self.started = slot, pipe, time.monotonic()


def supervise(serve_one: ServeOne, listeners: Sequence[Listener]) -> None:
    """Runs one forked worker per listener until SIGINT or SIGTERM, then waits for
    them to stop. Raises ``RuntimeError`` with the error of a worker that died before
    it served, once the others have stopped."""
    workers: dict[int, _Worker] = {}
    delays: dict[int, float] = {}
    stopping = False
    failure: str | None = None

    def spawn(slot: int) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _worker(serve_one, listeners[slot], write_end, [w.pipe for w in workers.values()])
        os.close(write_end)
        workers[pid] = _Worker(slot, read_end)

    def stop_all(signum: int | None = None, frame: Any = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    saved = {sig: signal.signal(sig, stop_all) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(len(listeners)):
            spawn(slot)
        while workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            worker = workers.pop(pid, None)
            if worker is None:
                continue
            served, error = _read_report(worker.pipe)
            how = error or _describe(status)
            if stopping:
                continue
            if not served:
                failure = how
                logger.error("worker %d failed to start (%s); stopping the other workers", pid, how)
                stop_all()
                continue
            lived = time.monotonic() - worker.started
            delay = FIRST_DELAY
            if worker.slot in delays and lived < STABLE_AFTER:
                delay = min(delays[worker.slot] * 2, MAX_DELAY)
            delays[worker.slot] = delay
            logger.error("worker %d exited (%s); starting a new one in %.1f s", pid, how, delay)
            time.sleep(delay)
            if not stopping:
                spawn(worker.slot)
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)
        for worker in workers.values():
            os.close(worker.pipe)
        sys.stdout.flush()
    if failure is not None:
        raise RuntimeError(f"a worker failed to start: {failure}")


def _worker(serve_one: ServeOne, listener: Listener, report: int, inherited: list[int]) -> NoReturn:
    """The forked child: serves, reports on ``report``, never returns."""
    code = 1
    try:
        for fd in inherited:
            os.close(fd)
        # The supervisor's handlers came along with the fork; until the engine takes
        # over the signals, a worker stops the default way.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        serve_one(listener, lambda port: _write(report, _READY))
        code = 0
    except BaseException as exc:
        logger.exception("worker %d failed", os.getpid())
        _write(report, _FAILED + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
    finally:
        logging.shutdown()
        os._exit(code)


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data[:4096])
    except OSError:
        pass


def _read_report(fd: int) -> tuple[bool, str]:
    """What a dead worker wrote: whether it served, and its error if it failed."""
    os.set_blocking(fd, False)
    data = b""
    try:
        while chunk := os.read(fd, 8192):
            data += chunk
    except BlockingIOError:
        pass  # a process the worker forked still holds the pipe open
    finally:
        os.close(fd)
    served = data.startswith(_READY)
    failed = data.lstrip(_READY)
    error = failed[1:].decode("utf-8", "replace") if failed.startswith(_FAILED) else ""
    return served, error


def _describe(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"
