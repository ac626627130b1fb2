"""``TestClient``: drive an app through the real Rust engine in tests, the way
FastAPI's ``TestClient`` is used.

It is an ``httpx.Client`` (httpx is needed only when this module is imported, as
for FastAPI's), so requests, responses, cookies, redirects and default headers
behave exactly as FastAPI users know them. The difference is underneath: the app
is served by the real engine on a free port of 127.0.0.1, on a background thread,
and every request goes over a real socket, so nothing about routing, parsing or
serialization is re-implemented here. The server starts on the first request (or
on ``with``) and stops at ``close()``, when the client is garbage collected, or
when the interpreter exits.
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from typing import Any, Mapping

try:
    import httpx
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "cello.testing needs httpx (as FastAPI's TestClient does): pip install httpx"
    ) from exc

from .app import App

# Responses are httpx's: ``status_code``, ``headers``, ``content``, ``text``,
# ``json()``, ``cookies``, ``history``...
TestResponse = httpx.Response


class _Server:
    """One run of the app on a background thread: startup hooks, the engine,
    shutdown hooks. Holds no reference to the client, so the client can be
    collected while it serves (and then stops it)."""

    def __init__(self, app: App, timeout: float, limits: dict[str, Any]) -> None:
        self.app, self.timeout, self.limits = app, timeout, limits
        self.port = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._engines: list[Any] = []
        #: What the app's handlers raised, as the engine logged it, not yet re-raised.
        self.raised: list[BaseException] = []
        self._capture = _RaisedOn(self)

    def start(self) -> int:
        """Starts serving if not serving yet; returns the port."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self.port
            ready = threading.Event()
            failed: list[BaseException] = []
            self._engines = []

            def on_ready(port: int) -> None:
                self.port = port
                ready.set()

            def run() -> None:
                try:
                    self.app._serve(
                        "127.0.0.1", 0, ready=on_ready, handle_signals=False, engine_out=self._engines, **self.limits
                    )
                except BaseException as exc:  # reported to the thread that started it
                    failed.append(exc)
                finally:
                    # Objects of this thread's handlers caught in reference cycles (a
                    # WebSocket's native side, which must be freed on its own thread)
                    # are collected here rather than by a later collection elsewhere.
                    gc.collect()
                    ready.set()

            self._thread = threading.Thread(target=run, name="cello-testclient", daemon=True)
            self.raised.clear()
            logging.getLogger("cello").addHandler(self._capture)
            self._thread.start()
            if not ready.wait(self.timeout):
                raise RuntimeError("the app did not start serving in time")
            if failed:
                self._thread.join(self.timeout)
                self._thread = None
                raise RuntimeError(f"the app failed to start: {failed[0]!r}") from failed[0]
            return self.port

    def stop(self) -> None:
        """Stops the server (shutdown hooks run) and waits for it; a no-op when it is
        not serving."""
        with self._lock:
            thread, self._thread = self._thread, None
            for engine in self._engines:
                engine.stop()
            self._engines = []
            if thread is not None:
                thread.join(self.timeout)
            logging.getLogger("cello").removeHandler(self._capture)


class _RaisedOn(logging.Handler):
    """Keeps the exceptions the engine logs from ``server``'s thread (a handler's, or
    an exception handler's, with their tracebacks) for ``raise_server_exceptions``."""

    def __init__(self, server: _Server) -> None:
        super().__init__(logging.ERROR)
        self.server = weakref.ref(server)

    def emit(self, record: logging.LogRecord) -> None:
        server = self.server()
        thread = server._thread if server is not None else None
        if server is None or thread is None or record.thread != thread.ident:
            return
        # What runs after the response (background tasks, yield-dependency cleanup)
        # would land on whichever request came next: logged only.
        if getattr(record, "cello_after_response", False):
            return
        if record.exc_info and record.exc_info[1] is not None:
            server.raised.append(record.exc_info[1])


class _EngineTransport(httpx.BaseTransport):
    """Sends each request to the local server, whatever host its URL names: the URL
    (and so the ``Host`` header, ``response.url``, cookie domains and redirects) stays
    ``http://testserver/...`` as in FastAPI, only the socket goes to 127.0.0.1."""

    def __init__(self, server: _Server, raise_server_exceptions: bool) -> None:
        self.server = server
        self.raise_server_exceptions = raise_server_exceptions
        self.port: int | None = None  # fixed by tests that point it elsewhere
        self._http = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        port = self.port if self.port is not None else self.server.start()
        # Only what this request causes (raw-socket requests to the same server
        # in between are not this request's).
        self.server.raised.clear()
        local = httpx.Request(
            request.method,
            request.url.copy_with(scheme="http", host="127.0.0.1", port=port),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        response = self._http.handle_request(local)
        if self.server.raised and self.raise_server_exceptions:
            response.close()
            raise self.server.raised[0]
        return response

    def drop_connections(self) -> None:
        """Forgets the kept-alive connections (their server is gone)."""
        self._http.close()
        self._http = httpx.HTTPTransport()

    def close(self) -> None:
        self._http.close()


class TestClient(httpx.Client):
    """An ``httpx.Client`` for ``app``, served by the real engine.

    Like FastAPI's: it can be made at module level and used without ``with`` (the
    server starts on the first request; startup hooks run then, shutdown hooks at
    ``close()``, on garbage collection or at interpreter exit); it follows redirects
    (``follow_redirects=False`` per client or per request turns that off), sends
    ``user-agent: testclient`` and ``Host: testserver`` (``base_url``), takes
    ``cookies=``, ``headers=`` and ``params=`` on the client and per request and keeps
    ``client.cookies`` up to date from ``Set-Cookie``. ``with TestClient(app)`` starts
    the server at once and stops it on exit; the client stays usable (a later request
    starts it again).

    ``limits`` are the engine's (``max_body_size``, ``keep_alive_timeout``...; see
    ``App.run``). An exception a handler raises (or an exception handler, or a
    middleware) is re-raised here, from the request that caused it, as FastAPI's
    client does; the engine has answered it with a 500 (or the app's exception
    handler's answer) and logged it. ``raise_server_exceptions=False`` gives that
    response instead.

    >>> from cello import App
    >>> app = App()
    >>> @app.get("/ping")
    ... def ping(req):
    ...     return "pong"
    >>> TestClient(app).get("/ping").text
    'pong'
    """

    __test__ = False

    def __init__(
        self,
        app: App,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        cookies: Any = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        timeout: float = 30.0,
        **limits: Any,
    ) -> None:
        self.app = app
        self._server = _Server(app, timeout, limits)
        self._engine_transport = _EngineTransport(self._server, raise_server_exceptions)
        super().__init__(
            base_url=base_url,
            headers={"user-agent": "testclient", **(headers or {})},
            cookies=cookies,
            follow_redirects=follow_redirects,
            timeout=timeout,
            transport=self._engine_transport,
        )
        # Stops the server when the client is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, self._server.stop)

    @property
    def port(self) -> int:
        """The port the engine serves on (127.0.0.1), starting it if needed."""
        return self._server.start()

    @property
    def server_url(self) -> str:
        """``http://127.0.0.1:<port>``: the real server, for raw sockets or another
        client (``base_url`` is the ``http://testserver`` requests are addressed to)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts the server now (startup hooks run) rather than on the first request."""
        self._server.start()

    def stop(self) -> None:
        """Stops the server (shutdown hooks run); the next request starts it again."""
        self._engine_transport.drop_connections()
        self._server.stop()

    def close(self) -> None:
        """Stops the server (shutdown hooks run) and closes the client."""
        self.stop()
        super().close()

    def __enter__(self) -> "TestClient":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
