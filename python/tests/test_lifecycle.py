"""Startup/shutdown hooks, SIGTERM, and several workers with a supervisor."""

import os
import signal
import subprocess
import sys
from collections import Counter

import httpx
import pytest

from cello.testing import TestClient
from conftest import APPS, load_app, wait_until


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
            seen[httpx.get(base_url + "/pid", headers={"connection": "close"}, timeout=30).json()["pid"]] += 1
        except httpx.TransportError:
            seen["error"] += 1
    return seen


def test_two_workers_serve_run_hooks_each_and_a_killed_worker_is_restarted(start_server, tmp_path):
    log = tmp_path / "hooks.log"
    server = start_server("hooks_app.py", "2", env={"CELLO_HOOK_LOG": str(log)})
    supervisor = server.proc.pid

    # Both workers answer (the kernel spreads new connections over their listeners).
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
    assert "died" in server.log() and "restarting in" in server.log()

    # SIGTERM to the supervisor stops every worker, and each runs its shutdown hooks.
    assert server.terminate(timeout=20) == 0
    events = read_events(log)
    stopped = {int(p) for e, p in events if e == "shutdown-async"}
    assert survivor in stopped and new_pids <= stopped
    assert victim not in stopped  # SIGKILL gives no chance to run hooks


def run_app(*args, env=None, timeout=60):
    """Runs ``apps/hooks_app.py`` to completion; its exit code and output."""
    proc = subprocess.run(
        [sys.executable, str(APPS / "hooks_app.py"), *args],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_app_on_a_busy_port_exits_with_address_already_in_use(start_server, tmp_path, workers):
    first = start_server("hooks_app.py")
    log = tmp_path / "second.log"
    code, output = run_app(str(first.port), workers, env={"CELLO_HOOK_LOG": str(log)})
    assert code != 0, output
    assert "address already in use" in output
    assert f"127.0.0.1:{first.port}" in output
    # It failed before running any startup hook, and the first app still serves alone.
    assert read_events(log) == []
    assert httpx.get(first.base_url + "/pid").json() == {"pid": first.proc.pid}


def test_a_worker_failing_at_startup_stops_the_server_with_its_error_instead_of_restarting(tmp_path):
    log = tmp_path / "hooks.log"
    env = {"CELLO_HOOK_LOG": str(log), "CELLO_FAIL_STARTUP": "database unreachable"}
    proc = subprocess.Popen(
        [sys.executable, str(APPS / "hooks_app.py"), "0", "2"],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def starts():
        return [pid for event, pid in read_events(log) if event == "startup-sync"]

    try:
        # Each of the two workers starts once; a third start would be a restart.
        wait_until(lambda: proc.poll() is not None or len(starts()) > 2, timeout=60)
        started = starts()
    finally:
        if proc.poll() is None:
            proc.kill()
        output = proc.communicate(timeout=30)[0]
    assert len(started) <= 2, f"workers were restarted:\n{output}"
    assert proc.returncode not in (0, None), output
    assert "a worker failed to start: RuntimeError: database unreachable" in output
    assert "starting a new one" not in output


def test_duplicate_routes_with_several_workers_fail_before_any_worker_starts(tmp_path):
    script = tmp_path / "duplicate_app.py"
    script.write_text(
        "from cello import App\n"
        "app = App()\n"
        "app.get('/x')(lambda req: 1)\n"
        "app.get('/x')(lambda req: 2)\n"
        "app.run(port=0, workers=2)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "ValueError" in proc.stderr and "/x" in proc.stderr, proc.stderr
    assert "failed to start" not in proc.stderr and "serving on" not in proc.stderr, proc.stderr
