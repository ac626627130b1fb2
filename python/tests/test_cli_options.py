"""``cello run``'s listening, proxy and logging options end to end, in subprocesses
on real sockets, each through its flag and its ``CELLO_*`` variable: ``--uds``,
``--fd``, ``--backlog``, ``--limit-concurrency``, ``--access-log``,
``--proxy-headers``/``--forwarded-allow-ips``, ``--root-path``, ``--log-config``,
``--ws-max-size``;
and ``--version``/``--help``."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import APPS, free_port, wait_until

CELLO = [sys.executable, "-m", "cello"]

#: uvicorn's access line: level prefix padded to 9 columns, then the line.
ACCESS_LINE = re.compile(r'^INFO:     127\.0\.0\.1:\d+ - "GET /who HTTP/1\.1" 200 OK$', re.M)


class Run:
    """One ``cello run cli_app:app ...`` with its stdout and stderr in files."""

    def __init__(self, tmp: Path, args: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()) -> None:
        n = len(list(tmp.glob("out-*")))
        self.out_path, self.err_path = tmp / f"out-{n}", tmp / f"err-{n}"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [*CELLO, "run", "cli_app:app", *args],
                cwd=APPS,
                stdout=out,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                pass_fds=pass_fds,
            )

    def wait_serving(self, client: httpx.Client) -> None:
        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"cello run exited with {self.proc.returncode}:\n{self.stderr()}")
            try:
                client.get("/who", timeout=1.0)
                return True
            except httpx.TransportError:
                return False

        assert wait_until(answers, timeout=30), self.stderr()

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[object]:
    started: list[Run] = []

    def start(*args: str, env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = ()) -> Run:
        r = Run(tmp_path, list(args), env or {}, pass_fds)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def tcp(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}")


# -- listening ---------------------------------------------------------------------


@pytest.mark.parametrize("via", ["flag", "env"])
def test_uds_serves_on_a_unix_socket_any_user_may_open_and_removes_it_on_shutdown(run, tmp_path: Path, via) -> None:
    path = tmp_path / "app.sock"
    path.write_bytes(b"")  # not a socket: refused, never deleted
    bad = subprocess.run([*CELLO, "run", "cli_app:app", "--uds", str(path)], cwd=APPS, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and str(path) in bad.stderr and path.exists()
    path.unlink()
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # a socket file left by a crashed server: replaced
    r = run("--uds", str(path)) if via == "flag" else run(env={"CELLO_UDS": str(path)})
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), base_url="http://localhost") as client:
        r.wait_serving(client)
        where = client.get("/where").json()
    # uvicorn gives no client on a Unix socket (Starlette's request.client is None).
    assert where["client"] is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
    assert f"serving on unix:{path}" in r.stderr()
    assert r.stop() == 0
    assert not path.exists()


def test_a_unix_socket_a_live_server_holds_is_address_in_use(run, tmp_path: Path) -> None:
    path = tmp_path / "app.sock"
    first = run("--uds", str(path))
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), base_url="http://localhost") as client:
        first.wait_serving(client)
    second = subprocess.run([*CELLO, "run", "cli_app:app", "--uds", str(path)], cwd=APPS, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert "address already in use" in second.stderr and len(second.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("via", ["flag", "env"])
def test_fd_serves_on_an_inherited_listening_socket_with_every_worker(run, via) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port, fd = sock.getsockname()[1], sock.fileno()
    args = ("--fd", str(fd), "--workers", "2") if via == "flag" else ("--workers", "2")
    r = run(*args, env={} if via == "flag" else {"CELLO_FD": str(fd)}, pass_fds=(fd,))
    sock.close()  # the server holds its own copy now
    with tcp(port) as client:
        r.wait_serving(client)
        pids = set()
        wait_until(lambda: len(pids.add(client.get("/who", headers={"connection": "close"}).json()["pid"]) or pids) == 2, timeout=30)
    assert len(pids) == 2, "both workers accept on the one inherited socket"


def test_fd_that_is_not_a_listening_socket_is_one_line_and_status_1(tmp_path: Path) -> None:
    with open(tmp_path / "f", "w") as f:
        fd = f.fileno()
        r = subprocess.run(
            [*CELLO, "run", "cli_app:app", "--fd", str(fd)],
            cwd=APPS,
            capture_output=True,
            text=True,
            timeout=60,
            pass_fds=(fd,),
        )
    assert r.returncode == 1
    assert f"file descriptor {fd} is not a socket" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def listen_queue(port: int) -> int:
    """The listening socket's backlog, as ``ss`` shows it (Send-Q)."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[2])


@pytest.mark.skipif(not Path("/usr/bin/ss").exists() and not Path("/bin/ss").exists(), reason="needs ss")
@pytest.mark.parametrize("via", ["flag", "env", "default"])
def test_backlog_sets_the_listen_queue_2048_by_default(run, via) -> None:
    port = free_port()
    if via == "flag":
        r, want = run("--port", str(port), "--backlog", "77"), 77
    elif via == "env":
        r, want = run("--port", str(port), env={"CELLO_BACKLOG": "78"}), 78
    else:
        r, want = run("--port", str(port)), 2048
    with tcp(port) as client:
        r.wait_serving(client)
    assert listen_queue(port) == want


# -- limit-concurrency -------------------------------------------------------------


@pytest.mark.parametrize("via", ["flag", "env"])
def test_limit_concurrency_answers_503_past_the_limit_and_serves_again_after(run, via) -> None:
    port = free_port()
    r = run("--port", str(port), "--limit-concurrency", "2") if via == "flag" else run(
        "--port", str(port), env={"CELLO_LIMIT_CONCURRENCY": "2"}
    )
    with tcp(port) as client:
        r.wait_serving(client)
    slow: list[int] = []

    def slow_request() -> None:
        slow.append(httpx.get(f"http://127.0.0.1:{port}/slow?seconds=3", timeout=60).status_code)

    threads = [threading.Thread(target=slow_request) for _ in range(2)]
    for t in threads:
        t.start()
    # Both slow requests are in flight once a third one is refused.
    assert wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/who").status_code == 503, timeout=20)
    busy = httpx.get(f"http://127.0.0.1:{port}/who")
    assert busy.status_code == 503 and busy.text == "Service Unavailable"
    for t in threads:
        t.join(60)
    assert slow == [200, 200]
    assert httpx.get(f"http://127.0.0.1:{port}/who").status_code == 200


# -- access log and proxy headers --------------------------------------------------


@pytest.mark.parametrize(
    "args, env, logged",
    [
        ((), {}, True),
        (("--no-access-log",), {}, False),
        ((), {"CELLO_ACCESS_LOG": "false"}, False),
        (("--access-log",), {"CELLO_ACCESS_LOG": "0"}, True),
    ],
)
def test_the_access_log_is_uvicorns_line_on_stdout_unless_turned_off(run, args, env, logged) -> None:
    port = free_port()
    r = run("--port", str(port), *args, env=env)
    with tcp(port) as client:
        r.wait_serving(client)
        client.get("/who")
    assert r.stop() == 0  # the last batch is flushed at shutdown
    assert bool(ACCESS_LINE.search(r.stdout())) is logged, r.stdout()
    assert f"INFO:     cello worker {r.proc.pid} serving on http://127.0.0.1:{port}" in r.stderr()


@pytest.mark.parametrize(
    "args, env, client",
    [
        ((), {}, "203.0.113.7"),  # on by default, trusting 127.0.0.1
        (("--no-proxy-headers",), {}, "127.0.0.1"),
        ((), {"CELLO_PROXY_HEADERS": "off"}, "127.0.0.1"),
        (("--forwarded-allow-ips", "10.0.0.1"), {}, "127.0.0.1"),
        ((), {"CELLO_FORWARDED_ALLOW_IPS": "10.0.0.1,192.0.2.1"}, "127.0.0.1"),
        ((), {"FORWARDED_ALLOW_IPS": "*"}, "203.0.113.7"),
        (("--forwarded-allow-ips", "127.0.0.1"), {"FORWARDED_ALLOW_IPS": "10.0.0.1"}, "203.0.113.7"),
    ],
)
def test_proxy_headers_believe_x_forwarded_for_from_the_allowed_ips_only(run, args, env, client) -> None:
    port = free_port()
    r = run("--port", str(port), *args, env=env)
    with tcp(port) as http:
        r.wait_serving(http)
        where = http.get("/where", headers={"x-forwarded-for": "203.0.113.7"}).json()
    assert where["client"][0] == client


# -- root path ---------------------------------------------------------------------


@pytest.mark.parametrize("via", ["flag", "env"])
def test_root_path_is_stripped_before_routing_and_named_in_openapi(run, via) -> None:
    port = free_port()
    r = run("--port", str(port), "--root-path", "/api") if via == "flag" else run(
        "--port", str(port), env={"CELLO_ROOT_PATH": "/api"}
    )
    with tcp(port) as client:
        r.wait_serving(client)
        prefixed = client.get("/api/where?x=1").json()
        bare = client.get("/where").json()
        assert client.get("/apiwhere").status_code == 404
        doc = client.get("/api/openapi.json").json()
        page = client.get("/api/docs").text
    assert (prefixed["root_path"], prefixed["path"]) == ("/api", "/where")
    assert prefixed["url"] == f"http://127.0.0.1:{port}/api/where?x=1"
    # A proxy that strips the prefix itself: routed as it is.
    assert (bare["root_path"], bare["path"]) == ("", "/where")
    assert doc["servers"][0] == {"url": "/api"}
    assert "/api/openapi.json" in page


# -- log config --------------------------------------------------------------------


def test_log_config_json_is_applied_with_dictconfig(run, tmp_path: Path) -> None:
    log_file = tmp_path / "cello.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(name)s|%(levelname)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log_file), "formatter": "plain"}},
        "loggers": {
            "cello": {"handlers": ["file"], "level": "INFO", "propagate": False},
            "cello.access": {"handlers": ["file"], "level": "INFO", "propagate": False},
        },
    }
    path = tmp_path / "logging.json"
    path.write_text(json.dumps(config))
    port = free_port()
    r = run("--port", str(port), "--log-config", str(path))
    with tcp(port) as client:
        r.wait_serving(client)
        client.get("/who")
    assert r.stop() == 0
    lines = log_file.read_text().splitlines()
    assert f"cello|INFO|cello worker {r.proc.pid} serving on http://127.0.0.1:{port}" in lines
    assert any(re.fullmatch(r'cello\.access\|INFO\|127\.0\.0\.1:\d+ - "GET /who HTTP/1\.1" 200 OK', x) for x in lines), lines
    assert "serving on" not in r.stderr() and "GET /who" not in r.stdout()


def test_log_config_from_the_environment_as_yaml_or_ini(run, tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    log_file = tmp_path / "yaml.log"
    path = tmp_path / "logging.yaml"
    path.write_text(
        "version: 1\ndisable_existing_loggers: false\n"
        f"handlers:\n  file:\n    class: logging.FileHandler\n    filename: {log_file}\n"
        "loggers:\n  cello:\n    handlers: [file]\n    level: INFO\n    propagate: false\n"
    )
    port = free_port()
    r = run("--port", str(port), env={"CELLO_LOG_CONFIG": str(path)})
    with tcp(port) as client:
        r.wait_serving(client)
    assert r.stop() == 0
    assert "serving on" in log_file.read_text()


def test_a_log_config_that_cannot_be_applied_is_one_line_and_status_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 1, "handlers": {"h": {"class": "no.such.Handler"}}}')
    r = subprocess.run([*CELLO, "run", "cli_app:app", "--log-config", str(path)], cwd=APPS, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.startswith(f"Error: --log-config {path}: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr


# -- version and help --------------------------------------------------------------


def test_version_names_cello_python_and_the_system() -> None:
    r = subprocess.run([*CELLO, "--version"], capture_output=True, text=True, timeout=60)
    assert re.fullmatch(r"cello \S+ \(Rust runtime\) with CPython 3\.\d+\.\d+\S* on Linux\n", r.stdout), r.stdout


def test_help_groups_the_options_with_their_default_and_variable() -> None:
    text = subprocess.run([*CELLO, "run", "--help"], capture_output=True, text=True, timeout=60).stdout
    flat = " ".join(text.split())
    for heading in ("Socket:", "Workers:", "Logging:", "Proxy:", "Limits:"):
        assert heading in text
    assert "--backlog N Connections the kernel queues before they are accepted. [default: 2048] [env: CELLO_BACKLOG]" in flat
    assert "--access-log, --no-access-log" in flat and "[default: True] [env: CELLO_ACCESS_LOG]" in flat
    assert "[env: CELLO_FORWARDED_ALLOW_IPS, FORWARDED_ALLOW_IPS]" in flat


def test_log_config_ini_is_applied_with_fileconfig(run, tmp_path: Path) -> None:
    log_file = tmp_path / "ini.log"
    path = tmp_path / "logging.ini"
    path.write_text(
        "[loggers]\nkeys=root,cello\n\n[handlers]\nkeys=file\n\n[formatters]\nkeys=plain\n\n"
        "[logger_root]\nlevel=WARNING\nhandlers=\n\n"
        "[logger_cello]\nlevel=INFO\nhandlers=file\nqualname=cello\npropagate=0\n\n"
        f"[handler_file]\nclass=FileHandler\nformatter=plain\nargs=({str(log_file)!r},)\n\n"
        "[formatter_plain]\nformat=ini %(name)s %(message)s\n"
    )
    port = free_port()
    r = run("--port", str(port), "--log-config", str(path))
    with tcp(port) as client:
        r.wait_serving(client)
    assert r.stop() == 0
    assert f"ini cello cello worker {r.proc.pid} serving on" in log_file.read_text()


def test_app_run_logs_in_uvicorns_format_without_an_access_log_unless_asked(tmp_path: Path) -> None:
    port = free_port()
    code = f"import cli_app; cli_app.app.run(port={port})"
    out, err = open(tmp_path / "out", "wb"), open(tmp_path / "err", "wb")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=APPS, stdout=out, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        with tcp(port) as client:
            assert wait_until(lambda: _answers(client), timeout=30), (tmp_path / "err").read_text()
            client.get("/who")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        out.close()
        err.close()
    assert f"INFO:     cello worker {proc.pid} serving on http://127.0.0.1:{port}" in (tmp_path / "err").read_text()
    assert "GET /who" not in (tmp_path / "out").read_text() + (tmp_path / "err").read_text()


def _answers(client: httpx.Client) -> bool:
    try:
        client.get("/who", timeout=1.0)
        return True
    except httpx.TransportError:
        return False


def test_a_yaml_log_config_without_pyyaml_says_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "logging.yaml"
    path.write_text("version: 1\n")
    # PyYAML made unimportable, as in an environment that lacks it.
    code = "import sys; sys.modules['yaml'] = None; from cello.cli import main; main(sys.argv[1:])"
    r = subprocess.run(
        [sys.executable, "-c", code, "run", "cli_app:app", "--log-config", str(path)],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert "needs PyYAML, which is not installed (pip install pyyaml)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# -- WebSockets --------------------------------------------------------------------


@pytest.mark.parametrize("via", ["flag", "env"])
def test_ws_max_size_replaces_the_apps_and_a_larger_message_is_closed_with_1009(run, via) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    port = free_port()
    r = run("--port", str(port), "--ws-max-size", "64") if via == "flag" else run(
        "--port", str(port), env={"CELLO_WS_MAX_SIZE": "64"}
    )
    with tcp(port) as client:
        r.wait_serving(client)
    with connect(f"ws://127.0.0.1:{port}/ws") as ws:
        ws.send("x" * 64)
        assert ws.recv(timeout=10) == "x" * 64
        ws.send("x" * 65)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


# -- HTTP/2 settings ---------------------------------------------------------------


def _server_h2_settings(port: int) -> dict[int, int]:
    """The SETTINGS the server sends first on an h2c (prior knowledge) connection."""
    from h2.config import H2Configuration
    from h2.connection import H2Connection
    from h2.events import RemoteSettingsChanged

    conn = H2Connection(H2Configuration(client_side=True))
    conn.initiate_connection()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(conn.data_to_send())
        while True:
            data = sock.recv(65536)
            assert data, "the server closed the connection before its SETTINGS"
            for event in conn.receive_data(data):
                if isinstance(event, RemoteSettingsChanged):
                    return {int(k): v.new_value for k, v in event.changed_settings.items()}


@pytest.mark.parametrize("via", ["flag", "env"])
def test_h2_settings_are_what_the_server_announces(run, via) -> None:
    from h2.settings import SettingCodes

    port = free_port()
    if via == "flag":
        r = run("--port", str(port), "--h2-max-concurrent-streams", "7", "--h2-initial-stream-window", "70000")
    else:
        r = run(
            "--port",
            str(port),
            env={"CELLO_H2_MAX_CONCURRENT_STREAMS": "7", "CELLO_H2_INITIAL_STREAM_WINDOW": "70000"},
        )
    with tcp(port) as client:
        r.wait_serving(client)
    settings = _server_h2_settings(port)
    assert settings[SettingCodes.MAX_CONCURRENT_STREAMS] == 7
    assert settings[SettingCodes.INITIAL_WINDOW_SIZE] == 70000
