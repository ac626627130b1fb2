"""``App.run(threads=N)`` / ``cello run --threads N``: N worker threads in one process,
each with its own engine, asyncio loop and listener on the port; served end to end
in a subprocess, stopped with SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import APPS, free_port, wait_until


class Server:
    """``threads_app.py`` (or ``cello run``) in a subprocess, its output in a file."""

    def __init__(self, argv: list[str], log: Path, url: str, transport: httpx.HTTPTransport | None = None) -> None:
        self.url = url
        self.log_path = log
        self._log = open(log, "wb")
        self.client = httpx.Client(transport=transport, timeout=30)
        self.proc = subprocess.Popen(
            argv, cwd=APPS, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        if not wait_until(self._answers, timeout=30):
            raise AssertionError(f"never served:\n{self.log()}")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited with {self.proc.returncode}:\n{self.log()}")
        try:
            self.client.get(self.url + "/who", timeout=2.0)
            return True
        except httpx.TransportError:
            return False

    def who(self, path: str = "/who") -> dict[str, object]:
        # A new connection each time, so the kernel may hand it to either listener.
        r = self.client.get(self.url + path, headers={"connection": "close"})
        assert r.status_code == 200
        body: dict[str, object] = r.json()
        return body

    def threads(self, n: int, path: str = "/who") -> set[object]:
        seen: set[object] = set()
        pids: set[object] = set()

        def more() -> bool:
            body = self.who(path)
            seen.add(body["thread"])
            pids.add(body["pid"])
            return len(seen) >= n

        assert wait_until(more, timeout=30, interval=0), seen
        assert pids == {self.proc.pid}, pids  # threads of the one process
        return seen

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        self.client.close()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(30)
        finally:
            self._log.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


def test_two_threads_both_serve_and_stop_cleanly_on_sigint(servers: list[Server], tmp_path: Path) -> None:
    port = free_port()
    server = Server(
        [sys.executable, str(APPS / "threads_app.py"), str(port), "2"], tmp_path / "log", f"http://127.0.0.1:{port}"
    )
    servers.append(server)
    assert server.threads(2) == {"cello-worker-0", "cello-worker-1"}
    # A coroutine that suspends is resumed by the loop of the thread that started it.
    assert server.threads(2, "/async-who") == {"cello-worker-0", "cello-worker-1"}
    assert server.stop(signal.SIGINT) == 0
    log = server.log()
    for name in ("cello-worker-0", "cello-worker-1"):
        assert f"startup {name}" in log
        assert f"shutdown {name}" in log
        assert f"cello worker {server.proc.pid}/{name} serving on http://127.0.0.1:{port}" in log
    assert "Traceback" not in log


def test_cello_run_threads_flag_stops_on_sigterm(servers: list[Server], tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "cello", "run", "threads_app:app", "--port", str(port), "--threads", "2"]
    server = Server(argv, tmp_path / "log", f"http://127.0.0.1:{port}")
    servers.append(server)
    assert server.threads(2) == {"cello-worker-0", "cello-worker-1"}
    assert server.stop(signal.SIGTERM) == 0
    assert server.log().count("shutdown cello-worker-") == 2


def test_threads_share_a_unix_socket(servers: list[Server], tmp_path: Path) -> None:
    path = tmp_path / "app.sock"
    server = Server(
        [sys.executable, str(APPS / "threads_app.py"), "0", "2", f"uds={path}"],
        tmp_path / "log",
        "http://localhost",
        transport=httpx.HTTPTransport(uds=str(path)),
    )
    servers.append(server)
    assert server.threads(2) == {"cello-worker-0", "cello-worker-1"}
    assert server.stop() == 0
    assert not path.exists()


def test_a_thread_whose_startup_fails_stops_the_others(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.run(
        [sys.executable, str(APPS / "threads_app.py"), str(port), "2"],
        cwd=APPS,
        env={**os.environ, "FAIL_THREAD": "cello-worker-1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "RuntimeError: startup failed in cello-worker-1" in proc.stderr
    # The worker that did start was stopped and ran its shutdown hook.
    assert "shutdown cello-worker-0" in proc.stdout or "startup cello-worker-0" not in proc.stdout


def test_threads_with_worker_processes_is_refused(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cello", "run", "threads_app:app", "--threads", "2", "--workers", "2"],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "threads=N runs the workers as threads of one process" in proc.stderr
    from cello import App

    with pytest.raises(ValueError, match="cannot be combined with workers"):
        App().run(port=free_port(), threads=2, workers=2)
