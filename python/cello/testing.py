"""``TestClient``: drive an app through the real Rust engine in tests.

The app is served by the real engine on a free port of 127.0.0.1, on a background
thread; requests go over a real socket. Nothing about routing, parsing or
serialization is re-implemented here.
"""

from __future__ import annotations

import http.client
import json as _json
import select
import threading
from typing import Any, Mapping
from urllib.parse import urlencode

from .app import App
from .datastructures import Headers


class TestResponse:
    """What the server answered."""

    __test__ = False

    def __init__(self, status_code: int, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = status_code
        self.headers = Headers(headers)
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return _json.loads(self.content)

    def __repr__(self) -> str:
        return f"<TestResponse [{self.status_code}]>"


class TestClient:
    """Serves ``app`` for the life of the client (startup and shutdown hooks run)
    and sends requests to it.

    >>> from cello import App
    >>> app = App()
    >>> @app.get("/ping")
    ... def ping(req):
    ...     return "pong"
    >>> with TestClient(app) as client:
    ...     client.get("/ping").text
    'pong'
    """

    __test__ = False

    def __init__(self, app: App, timeout: float = 30.0, **limits: Any) -> None:
        self.app = app
        self.timeout = timeout
        self._ready = threading.Event()
        self._engines: list[Any] = []
        self._error: BaseException | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, args=(limits,), name="cello-testclient", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the app did not start serving in time")
        if self._error is not None:
            raise RuntimeError(f"the app failed to start: {self._error!r}") from self._error
        self._conn: http.client.HTTPConnection | None = None

    def _run(self, limits: dict[str, Any]) -> None:
        def ready(port: int) -> None:
            self.port = port
            self._ready.set()

        try:
            self.app._serve("127.0.0.1", 0, ready=ready, handle_signals=False, engine_out=self._engines, **limits)
        except BaseException as exc:  # reported to the test thread
            self._error = exc
        finally:
            self._ready.set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> TestResponse:
        """Sends one request on a kept-alive connection and reads the response. A
        request that fails raises; it is never sent twice."""
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params, doseq=True)
        hdrs = dict(headers or {})
        body: bytes | None = None
        if json is not None:
            body = _json.dumps(json).encode()
            hdrs.setdefault("content-type", "application/json")
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            hdrs.setdefault("content-type", "application/x-www-form-urlencoded")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
        except BaseException:
            # Never re-sent: the request may have reached the server.
            self._drop_connection()
            raise
        if resp.will_close:
            self._drop_connection()
        return TestResponse(resp.status, resp.getheaders(), payload)

    def _connection(self) -> http.client.HTTPConnection:
        """The kept-alive connection, or a new one if there is none or the server has
        closed the kept one while it was idle (it is readable: EOF, or a response to
        nothing we sent). This is decided before any byte of a request is sent."""
        if self._conn is not None and self._conn.sock is not None:
            idle = select.poll()
            idle.register(self._conn.sock, select.POLLIN)
            if idle.poll(0):
                self._drop_connection()
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

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

    def close(self) -> None:
        """Stops the server (shutdown hooks run) and waits for it."""
        self._drop_connection()
        for engine in self._engines:
            engine.stop()
        self._thread.join(self.timeout)

    def __enter__(self) -> "TestClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
