"""The ``cello`` command end to end, in subprocesses: ``cello run MODULE:APP`` with
its flags, their ``CELLO_*`` environment variables and ``--env-file``; one-line
errors with exit status 1; ``python -m cello`` and the console script."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from cello import App
from conftest import APPS, free_port, wait_until

CELLO = [sys.executable, "-m", "cello"]


class Cli:
    """One ``cello run`` in a subprocess, from the test apps' directory."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self._log = open(log, "wb")
        self.log_path = log
        self.proc = subprocess.Popen(
            [*CELLO, "run", *args],
            cwd=APPS,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )

    def serving(self, port: int) -> bool:
        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"cello run exited with {self.proc.returncode}:\n{self.log()}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/who", timeout=1.0)
                return True
            except httpx.TransportError:
                return False

        return wait_until(answers, timeout=20)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            self._log.close()


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[object]:
    started: list[Cli] = []

    def run(*args: str, env: dict[str, str] | None = None) -> Cli:
        c = Cli(list(args), env or {}, tmp_path / f"cli-{len(started)}.log")
        started.append(c)
        return c

    yield run
    for c in started:
        c.stop()


def test_cello_run_serves_module_app_on_the_port_and_stops_cleanly_on_sigint(cli) -> None:
    port = free_port()
    c = cli("cli_app:app", "--port", str(port))
    assert c.serving(port)
    assert httpx.get(f"http://127.0.0.1:{port}/who").json()["app"] == "module"
    assert c.stop() == 0
    assert f"serving on http://127.0.0.1:{port}" in c.log()


def test_every_option_is_read_from_its_cello_environment_variable_and_a_flag_wins(cli) -> None:
    port = free_port()
    c = cli("--max-body-size", "100", env={"CELLO_APP": "cli_app:app", "CELLO_PORT": str(port), "CELLO_MAX_BODY_SIZE": "10"})
    assert c.serving(port)
    assert httpx.post(f"http://127.0.0.1:{port}/echo", content=b"x" * 50).json() == {"size": 50}
    assert httpx.post(f"http://127.0.0.1:{port}/echo", content=b"x" * 200).status_code == 413


def test_an_env_file_fills_the_environment_without_overriding_it(cli, tmp_path: Path) -> None:
    port, other = free_port(), free_port()
    env_file = tmp_path / ".env"
    env_file.write_text(f"# settings\nexport CELLO_PORT={other}\nCELLO_APP='cli_app:create_app'\nCELLO_FACTORY=1\n")
    c = cli("--env-file", str(env_file), env={"CELLO_PORT": str(port)})
    assert c.serving(port)
    assert httpx.get(f"http://127.0.0.1:{port}/who").json()["app"] == "factory"


def test_workers_serve_from_several_processes(cli) -> None:
    port = free_port()
    c = cli("cli_app:app", "--port", str(port), "--workers", "2")
    assert c.serving(port)
    pids: set[int] = set()
    # New connections spread over the workers' listeners (SO_REUSEPORT).
    assert wait_until(lambda: pids.add(httpx.get(f"http://127.0.0.1:{port}/who").json()["pid"]) or len(pids) == 2, timeout=30)
    assert c.proc.pid not in pids


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere:app"], "could not import module 'nowhere'"),
        (["cli_app:missing"], "module 'cli_app' has no attribute 'missing'"),
        (["cli_app:not_an_app"], "cli_app:not_an_app is a int, not a cello.App"),
        (["cli_app:create_app"], "is a function, not a cello.App (a function? add --factory)"),
        (["cli_app"], "'cli_app' is not MODULE:APP"),
        (["cli_app:app", "--port", "eighty"], "--port='eighty'"),
        (["cli_app:app", "--log-level", "loud"], "not one of critical"),
        (["cli_app:app", "--env-file", "/nonexistent/.env"], "cannot read the env file"),
        ([], "no app given"),
    ],
)
def test_a_users_mistake_is_one_line_on_stderr_and_exit_status_1(args: list[str], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELLO_")}
    r = subprocess.run([*CELLO, "run", *args], cwd=APPS, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), r.stderr
    assert message in r.stderr


def test_a_port_in_use_is_one_line_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([*CELLO, "run", "cli_app:app", "--port", str(port)], cwd=APPS, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r.stderr
    assert "in use" in r.stderr and str(port) in r.stderr


def test_the_console_script_and_version() -> None:
    script = Path(sys.executable).parent / "cello"
    for command in ([str(script)], CELLO):
        r = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0
        assert r.stdout.startswith("cello ")
    help_text = subprocess.run([*CELLO, "run", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--max-body-size BYTES" in help_text and "CELLO_<NAME>" in help_text


def test_app_run_refuses_an_unknown_option_naming_the_options() -> None:
    with pytest.raises(TypeError, match=r"unknown server option max_body.*the options are host, port"):
        App().run(port=0, max_body=10)
