"""Fixtures that serve the test apps through the real Rust engine.

``client`` runs each test twice: against ``apps/main_app.py`` started in a
subprocess on a free port and driven with httpx, and through
``cello.testing.TestClient``. Both return the same kind of response object
(``status_code``, ``headers``, ``content``, ``text``, ``json()``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from cello.testing import TestClient, TestResponse

HERE = Path(__file__).parent
APPS = HERE / "apps"
# Small enough that a 413 test sends little; the main app runs with it in both modes.
MAX_BODY = 64 * 1024
# httpx reuses a pooled connection idle for up to 5 s by default, the server's own
# keep-alive timeout: on a loaded machine a request could be sent just as the server
# closed that connection ("Server disconnected without sending a response"). A
# client drops idle connections well before the server does.
KEEPALIVE_EXPIRY = 1.0
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


class Server:
    """An app file running in a subprocess; its stderr goes to a file we can read."""

    def __init__(self, app: str, args: list[str], env: dict[str, str], tmp: Path) -> None:
        self.port = free_port()
        self.log_path = tmp / f"{Path(app).stem}-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(APPS / app), str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        if not wait_until(self._answers, timeout=20):
            self.stop()
            raise RuntimeError(f"{app} did not start serving:\n{self.log()}")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
        try:
            httpx.get(self.base_url + "/__probe__", timeout=1.0)
            return True
        except httpx.TransportError:
            return False

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait for exit; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Starts ``apps/<app>`` on a free port; stops it at the end of the session."""
    started: list[Server] = []
    tmp = tmp_path_factory.mktemp("servers")

    def start(app: str, *args: str, env: dict[str, str] | None = None) -> Server:
        server = Server(app, list(args), env or {}, tmp)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def load_app(name: str) -> Any:
    """Imports ``apps/<name>.py`` as a module (not as ``__main__``)."""
    spec = importlib.util.spec_from_file_location(f"cello_test_apps_{name}", APPS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def main_server(start_server: Callable[..., Server]) -> Server:
    return start_server("main_app.py", str(MAX_BODY))


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class HttpxClient:
    """httpx against the subprocess server, answering like ``TestClient``."""

    mode = "server"

    def __init__(self, server: Server) -> None:
        self.server = server
        self.base_url = server.base_url
        self._client = httpx.Client(base_url=server.base_url, timeout=10.0, limits=CLIENT_LIMITS)

    def request(self, method: str, path: str, **kw: Any) -> TestResponse:
        return self._client.request(method, path, **kw)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)

    def head(self, path: str, **kw: Any) -> TestResponse:
        return self.request("HEAD", path, **kw)

    def options(self, path: str, **kw: Any) -> TestResponse:
        return self.request("OPTIONS", path, **kw)

    def log_mark(self) -> int:
        return len(self.server.log())

    def logs_since(self, mark: int, expect: str = "", timeout: float = 30.0) -> str:
        """The server's log after ``mark``, waiting until it contains ``expect``."""
        wait_until(lambda: expect in self.server.log()[mark:], timeout=timeout)
        return self.server.log()[mark:]


class InProcessClient:
    """``cello.testing.TestClient`` with a way to read what the app logged."""

    mode = "testclient"

    def __init__(self, client: TestClient, handler: _ListHandler) -> None:
        self._client = client
        self._handler = handler
        self.base_url = client.server_url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def log_mark(self) -> int:
        return len(self._handler.lines)

    def logs_since(self, mark: int, expect: str = "", timeout: float = 30.0) -> str:
        wait_until(lambda: expect in "\n".join(self._handler.lines[mark:]), timeout=timeout)
        return "\n".join(self._handler.lines[mark:])


@pytest.fixture(scope="session")
def main_testclient() -> Iterator[InProcessClient]:
    handler = _ListHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("cello")
    logger.addHandler(handler)
    module = load_app("main_app")
    # Answers as the subprocess server does: a handler's exception is its 500.
    with TestClient(module.app, max_body_size=MAX_BODY, raise_server_exceptions=False) as tc:
        yield InProcessClient(tc, handler)
    logger.removeHandler(handler)


@pytest.fixture(params=["server", "testclient"])
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The main app, served by a subprocess (httpx) or by ``TestClient``."""
    if request.param == "server":
        c = HttpxClient(request.getfixturevalue("main_server"))
        yield c
        c._client.close()
    else:
        yield request.getfixturevalue("main_testclient")


@pytest.fixture
def cello_log() -> Iterator[_ListHandler]:
    """What logger ``cello`` logs during the test, as lines (``.lines``) with
    tracebacks."""
    handler = _ListHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("cello")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def browser_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh ``$HOME`` for headless Chromium (its profile goes there)."""
    home = tmp_path_factory.mktemp("chromium-home")
    old = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    yield
    if old is None:
        os.environ.pop("HOME", None)
    else:
        os.environ["HOME"] = old
