"""Startup/shutdown hooks, SIGTERM, and several workers with a supervisor."""

import os
import signal
from collections import Counter

import httpx

from cello.testing import TestClient
from conftest import load_app, wait_until


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def test_hooks_run_once_each_and_shutdown_hooks_run_on_sigterm(start_server, tmp_path):
    log = tmp_path / "hooks.log"
    server = start_server("hooks_app.py", env={"CELLO_HOOK_LOG": str(log)})
    pid = str(server.proc.pid)
    assert httpx.get(server.base_url + "/pid").json() == {"pid": server.proc.pid}
    assert read_events(log) == [("startup-sync", pid), ("startup-async", pid)]
    assert server.terminate() == 0
    assert read_events(log) == [
        ("startup-sync", pid),
        ("startup-async", pid),
        ("shutdown-sync", pid),
        ("shutdown-async", pid),
    ]


def test_sigint_also_runs_shutdown_hooks(start_server, tmp_path):
    log = tmp_path / "hooks.log"
    server = start_server("hooks_app.py", env={"CELLO_HOOK_LOG": str(log)})
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(15) == 0
    assert [e for e, _ in read_events(log)] == ["startup-sync", "startup-async", "shutdown-sync", "shutdown-async"]


def test_testclient_runs_startup_and_shutdown_hooks(tmp_path, monkeypatch):
    log = tmp_path / "hooks.log"
    monkeypatch.setenv("CELLO_HOOK_LOG", str(log))
    module = load_app("hooks_app")
    with TestClient(module.app) as client:
        assert client.get("/pid").json() == {"pid": os.getpid()}
        assert [e for e, _ in read_events(log)] == ["startup-sync", "startup-async"]
    assert [e for e, _ in read_events(log)] == ["startup-sync", "startup-async", "shutdown-sync", "shutdown-async"]


def pids_answering(base_url, n=200):
    seen = Counter()
    for _ in range(n):
        # A new connection each time, so the kernel may pick either worker.
        try:
            seen[httpx.get(base_url + "/pid", headers={"connection": "close"}, timeout=5).json()["pid"]] += 1
        except httpx.TransportError:
            seen["error"] += 1
    return seen


def test_two_workers_serve_run_hooks_each_and_a_killed_worker_is_restarted(start_server, tmp_path):
    log = tmp_path / "hooks.log"
    server = start_server("hooks_app.py", "2", env={"CELLO_HOOK_LOG": str(log)})
    supervisor = server.proc.pid

    # Both workers answer (SO_REUSEPORT spreads new connections over them).
    seen = Counter()
    assert wait_until(lambda: len(seen.update(pids_answering(server.base_url, 50)) or seen) >= 2, timeout=20)
    workers = set(seen) - {"error"}
    assert len(workers) == 2 and supervisor not in workers
    assert seen["error"] == 0

    # Each worker ran each startup hook once.
    starts = Counter(read_events(log))
    assert {int(p) for _, p in starts} == workers
    assert all(count == 1 for count in starts.values())
    assert len(starts) == 4

    # Kill one worker hard: requests keep succeeding, and a new worker appears.
    victim = next(iter(workers))
    os.kill(victim, signal.SIGKILL)
    survivor = (workers - {victim}).pop()
    new_pids = set()

    def replaced():
        got = pids_answering(server.base_url, 20)
        assert got["error"] == 0, got
        assert victim not in got
        new_pids.update(set(got) - {victim, survivor, "error"})
        return bool(new_pids)

    assert wait_until(replaced, timeout=20), "no new worker answered after one was killed"
    assert "worker" in server.log() and "starting a new one" in server.log()

    # SIGTERM to the supervisor stops every worker, and each runs its shutdown hooks.
    assert server.terminate(timeout=20) == 0
    events = read_events(log)
    stopped = {int(p) for e, p in events if e == "shutdown-async"}
    assert survivor in stopped and new_pids <= stopped
    assert victim not in stopped  # SIGKILL gives no chance to run hooks
