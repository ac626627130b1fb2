"""Slow clients (slowhttptest) against the real engine: slowloris, a slow body and a
slow reader, each with more connections than the server's cap. Throughout, a normal
request on a new connection every 0.5 s is answered; afterwards the server holds no
more sockets than before.

slowhttptest is a Debian package (`.ci/run` installs it). Without it the tests skip,
except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import Any, Callable

import httpx
import pytest

from conftest import Server, wait_until

SLOWHTTPTEST = shutil.which("slowhttptest")
# Seconds each attack lasts.
ATTACK_SECONDS = 15


@pytest.fixture(scope="module")
def slowhttptest() -> str:
    if SLOWHTTPTEST is None:
        if os.environ.get("CI") == "true":
            pytest.fail("slowhttptest is not installed; .ci/run must apt-get install slowhttptest")
        pytest.skip("slowhttptest is not installed (apt-get install slowhttptest); CI runs these tests")
    return SLOWHTTPTEST


@pytest.fixture
def slow_server(start_server: Callable[..., Server]) -> Any:
    server = start_server("slow_app.py")
    yield server
    server.stop()


def open_sockets(pid: int) -> int:
    """Sockets the server process holds open (listener included)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass  # closed while we looked
    return count


class Poller(threading.Thread):
    """GET /ping on a new connection every 0.5 s until stopped; keeps every outcome."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.url = base_url + "/ping"
        self.stop = threading.Event()
        self.outcomes: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                r = httpx.get(self.url, timeout=10.0)
                ok = r.status_code == 200 and r.text == "pong"
                self.outcomes.append("ok" if ok else f"{r.status_code} {r.text[:40]!r}")
            except httpx.HTTPError as exc:
                self.outcomes.append(f"{type(exc).__name__} after {time.monotonic() - started:.1f} s")
            self.stop.wait(0.5)


MODES = {
    # Headers trickled one line a second: cut off by the 2 s header timeout.
    "slowloris": ["-H", "-u", "{base}/ping", "-i", "1", "-x", "24"],
    # A declared 8 KiB body sent a few bytes every second, under the 2 s body timeout
    # (the gap between reads): the whole-request timeout (5 s) must cut it.
    "slow-body": ["-B", "-u", "{base}/upload", "-i", "1", "-s", "8192", "-x", "8"],
    # A 1 MiB response (three times, pipelined) read 32 bytes a second through a tiny
    # window: needs the write timeout.
    "slow-read": ["-X", "-u", "{base}/big", "-k", "3", "-n", "1", "-w", "1", "-y", "64", "-z", "32"],
}


@pytest.mark.parametrize("mode", list(MODES))
def test_a_slow_client_attack_never_locks_out_a_normal_request_and_leaves_no_socket_open(
    mode: str, slowhttptest: str, slow_server: Server
) -> None:
    pid = slow_server.proc.pid
    time.sleep(0.5)  # let the startup probe's connection close
    baseline = open_sockets(pid)
    args = [a.format(base=slow_server.base_url) for a in MODES[mode]]
    # 100 connections at 50 a second against a cap of 64.
    cmd = [slowhttptest, *args, "-c", "100", "-r", "50", "-l", str(ATTACK_SECONDS), "-p", "3"]
    poller = Poller(slow_server.base_url)
    attack = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    poller.start()
    try:
        output, _ = attack.communicate(timeout=ATTACK_SECONDS + 60)
    finally:
        if attack.poll() is None:
            attack.kill()
            attack.wait()
        poller.stop.set()
        poller.join(15)
    assert attack.returncode == 0, f"slowhttptest failed:\n{output}"

    failed = [o for o in poller.outcomes if o != "ok"]
    assert not failed, (
        f"{mode}: {len(failed)} of {len(poller.outcomes)} polls unanswered: {failed[:5]}\n"
        f"server log:\n{slow_server.log()[-2000:]}"
    )
    # Polls are sequential, each on a new connection (a 10 s wait each at worst).
    assert len(poller.outcomes) >= 5, poller.outcomes

    back = wait_until(lambda: open_sockets(pid) <= baseline, timeout=10.0, interval=0.25)
    assert back, f"{mode}: the server still holds {open_sockets(pid)} sockets (before: {baseline})"
    assert slow_server.proc.poll() is None, "the server exited"
