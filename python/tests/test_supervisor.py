"""The Rust worker supervisor end to end: ``cello run --workers`` (spawned workers)
and ``App.run(workers=N)`` (forked ones), killed, reloaded and recycled under load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import APPS, free_port, wait_until

CELLO = [sys.executable, "-m", "cello"]


class Supervised:
    """A supervisor in a subprocess (``cello run`` or a script), its output in a file."""

    def __init__(self, argv: list[str], log: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=APPS,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        if not wait_until(self._answers, timeout=30):
            raise AssertionError(f"never served:\n{self.log()}")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited with {self.proc.returncode}:\n{self.log()}")
        try:
            httpx.get(self.url + "/pid", timeout=2.0)
            return True
        except httpx.TransportError:
            return False

    def pid(self) -> int:
        # A new connection each time, so the kernel may pick any worker.
        return httpx.get(self.url + "/pid", headers={"connection": "close"}, timeout=30).json()["pid"]

    def workers(self, n: int) -> set[int]:
        seen: set[int] = set()
        assert wait_until(lambda: seen.add(self.pid()) or len(seen) >= n, timeout=30), seen
        return seen

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None
        finally:
            self._log.close()


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[object]:
    started: list[Supervised] = []

    def start(*args: str, script: bool = False, env: dict[str, str] | None = None) -> Supervised:
        port = free_port()
        if script:
            argv = [sys.executable, str(APPS / "sup_app.py"), str(port), *args]
        else:
            argv = [*CELLO, "run", "sup_app:app", "--port", str(port), *args]
        s = Supervised(argv, tmp_path / f"sup-{len(started)}.log", port, env)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


class Load:
    """A client loop in a thread: one request per new connection, counting answers."""

    def __init__(self, s: Supervised) -> None:
        self.s, self.pids, self.errors, self.recent = s, Counter(), [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pid = self.s.pid()
                self.pids[pid] += 1
                self.recent = [*self.recent[-19:], pid]
            except Exception as exc:  # noqa: BLE001 (counted, asserted on)
                self.errors.append(repr(exc))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)


def send_stuck_request(s: Supervised) -> None:
    """GET /stuck in a thread: its worker never answers (it is killed)."""

    def send() -> None:
        try:
            httpx.get(s.url + "/stuck", timeout=60)
        except httpx.TransportError:
            pass  # the worker holding it was killed, as the test wants

    threading.Thread(target=send, daemon=True).start()


def answering_pid(s: Supervised) -> int | None:
    try:
        return s.pid()
    except httpx.TransportError:
        return None


def is_stuck(s: Supervised) -> bool:
    try:
        httpx.get(s.url + "/pid", timeout=1.0)
        return False
    except httpx.TimeoutException:
        return True


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("script", [False, True], ids=["cello-run", "app-run"])
def test_a_worker_killed_with_sigkill_under_load_is_replaced_and_the_other_keeps_serving(supervised, script) -> None:
    s = supervised("2", script=True) if script else supervised("--workers", "2")
    victim, survivor = sorted(s.workers(2))
    load = Load(s)
    try:
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(set(load.pids) - {victim, survivor}) >= 1, timeout=30), s.log()
        served_by_survivor = load.pids[survivor]
        assert wait_until(lambda: load.pids[survivor] > served_by_survivor, timeout=30)
    finally:
        load.stop()
    assert f"worker {victim} died (signal 9, SIGKILL); restarting in 0.1s" in s.log()
    # Only a request the killed worker had in hand may fail.
    assert len(load.errors) <= 1, load.errors


@pytest.mark.parametrize("script", [False, True], ids=["cello-run", "app-run"])
def test_killing_the_supervisor_with_sigkill_leaves_no_worker_alive(supervised, script) -> None:
    s = supervised("2", script=True) if script else supervised("--workers", "2")
    workers = s.workers(2)
    s.proc.kill()
    s.proc.wait(10)
    # PR_SET_PDEATHSIG: the kernel kills each worker with its parent.
    assert wait_until(lambda: not any(alive(p) for p in workers), timeout=10), [p for p in workers if alive(p)]


@pytest.mark.parametrize("script", [False, True], ids=["cello-run", "app-run"])
def test_sighup_under_a_client_loop_replaces_every_worker_without_a_failed_request(supervised, script) -> None:
    s = supervised("2", script=True) if script else supervised("--workers", "2")
    old = s.workers(2)
    load = Load(s)
    try:
        assert wait_until(lambda: sum(load.pids.values()) >= 20, timeout=30)
        s.proc.send_signal(signal.SIGHUP)
        # Every answer now comes from new workers, and the old ones exited.
        assert wait_until(lambda: len(load.recent) == 20 and not set(load.recent) & old, timeout=30), s.log()
        assert wait_until(lambda: not any(alive(p) for p in old), timeout=30)
        assert len(set(load.pids) - old) >= 2
    finally:
        load.stop()
    assert load.errors == []
    assert "SIGHUP: starting 2 new worker(s)" in s.log()


@pytest.mark.parametrize("via", ["flag", "env"])
def test_max_requests_recycles_the_worker_without_failing_a_request(supervised, via) -> None:
    if via == "flag":
        s = supervised("--max-requests", "20", "--max-requests-jitter", "5")
    else:
        s = supervised(env={"CELLO_MAX_REQUESTS": "20", "CELLO_MAX_REQUESTS_JITTER": "5"})
    first = s.pid()
    pids, errors = Counter(), []
    for _ in range(120):
        try:
            pids[s.pid()] += 1
        except httpx.TransportError as exc:
            errors.append(repr(exc))
    assert errors == []
    # No worker served more than 25 requests (20 + its jitter), so at least 5 served.
    assert first in pids and max(pids.values()) <= 25 and len(pids) >= 5, pids
    assert "reached its max requests" in s.log()


@pytest.mark.parametrize("how", ["cello-run", "cello-run-env", "app-run"])
def test_a_handler_stuck_in_an_infinite_loop_is_killed_by_the_health_check(supervised, how) -> None:
    if how == "app-run":
        s = supervised("1", "timeout_worker_healthcheck=2", script=True)
    elif how == "cello-run-env":
        s = supervised(env={"CELLO_TIMEOUT_WORKER_HEALTHCHECK": "2"})
    else:
        s = supervised("--timeout-worker-healthcheck", "2")
    stuck = s.pid()
    send_stuck_request(s)
    # The requests after it wait in the listen queue until the new worker takes them.
    # A request the stuck worker had already accepted dies with it; later ones are
    # served by its replacement.
    assert wait_until(lambda: answering_pid(s) not in (None, stuck), timeout=30), s.log()
    assert not alive(stuck)
    assert f"worker {stuck} sent no heartbeat for 2.0s" in s.log()


def test_a_worker_failing_to_start_under_cello_run_exits_1_with_its_error_and_no_restart() -> None:
    r = subprocess.run(
        [*CELLO, "run", "nowhere:app", "--workers", "2", "--port", str(free_port())],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr
    assert "Error: a worker failed to start: could not import module 'nowhere'" in r.stderr
    assert "restarting" not in r.stderr


@pytest.mark.parametrize("via", ["flag", "env"])
def test_sigterm_kills_a_worker_that_does_not_drain_within_the_graceful_timeout(supervised, via) -> None:
    # (The health check's long timeout only makes one worker run under a supervisor.)
    if via == "flag":
        s = supervised("--timeout-graceful-shutdown", "1", "--timeout-worker-healthcheck", "600")
    else:
        s = supervised(env={"CELLO_SHUTDOWN_TIMEOUT": "1", "CELLO_TIMEOUT_WORKER_HEALTHCHECK": "600"})
    worker = s.pid()
    send_stuck_request(s)
    assert wait_until(lambda: is_stuck(s), timeout=30)
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(30) == 0
    assert not alive(worker)
    assert "still running after the graceful timeout; killing them" in s.log()
