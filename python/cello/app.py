"""``App`` and ``Router``: registering routes and running the server."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import signal
import threading
from typing import Any, Awaitable, Callable, Iterable, Sequence, TypeVar, Union, overload

from . import _cello, _docs, _middleware_chain, _options, _response_model, _runtime, _solver, _threads, _workers  # noqa: F401  (_runtime installs the engine's hooks)
from ._dependencies import DependencyOverrides
from ._exception_handlers import ExceptionHandler, ExceptionHandlers
from ._signature import RouteSignature, compile_signature
from . import background
from .datastructures import State

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=Callable[[Any, Any], Any])
E = TypeVar("E", bound=ExceptionHandler)
Hook = Callable[[], Union[None, Awaitable[None]]]

logger = logging.getLogger("cello")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: A `_RouteSpec` method that marks a WebSocket route.
_WEBSOCKET = "WEBSOCKET"


class _RouteSpec:
    __slots__ = ("method", "path", "handler", "blocking", "routers", "options")

    def __init__(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any],
        blocking: bool = False,
        routers: tuple["Router", ...] = (),
        options: dict[str, Any] | None = None,
    ) -> None:
        self.method, self.path, self.handler, self.blocking = method, path, handler, blocking
        # The included routers the route came through, outermost first: their
        # middleware applies to it.
        self.routers = routers
        # The decorator's keywords (`status_code`, `response_model`, `tags`...).
        self.options: dict[str, Any] = options or {}


#: What a route decorator takes besides the path, FastAPI's names.
_ROUTE_OPTIONS = frozenset(
    (
        "status_code",
        "response_model",
        "response_model_exclude_unset",
        "response_model_exclude_none",
        "response_class",
        "tags",
        "summary",
        "description",
        "response_description",
        "responses",
        "dependencies",
        "deprecated",
        "include_in_schema",
        "name",
        "operation_id",
        "stream_request",
    )
)


#: Everything ``Engine.serve`` takes as a limit (``App(**limits)``, ``run(**limits)``).
_LIMITS = frozenset(_options.ENGINE_LIMITS)


class Router:
    """A group of routes under a common prefix, mounted into an ``App`` with
    ``app.include_router(router)``."""

    def __init__(self, prefix: str = "", *, tags: Sequence[str] = (), dependencies: Sequence[Any] = ()) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"router prefix must start with '/' and not end with one: {prefix!r}")
        self.prefix = prefix
        self._routes: list[_RouteSpec] = []
        self._consts: list[tuple[str, str, Any]] = []
        self._natives: list[tuple[str, str, Any]] = []
        self._middleware: list[Callable[[Any, Any], Any]] = []
        #: Added to every route's tags and dependencies.
        self.tags = list(tags)
        self.dependencies = list(dependencies)

    @overload
    def middleware(self, func: M) -> M: ...

    @overload
    def middleware(self, func: str) -> Callable[[M], M]: ...

    def middleware(self, func: M | str) -> M | Callable[[M], M]:
        """Registers a Python middleware for this router's routes (an ``App``'s: every
        Python route), Starlette's shape (FastAPI's ``@app.middleware("http")`` works
        too)::

            @app.middleware
            async def timing(req, call_next):
                response = await call_next(req)
                response.add_header("x-handler", "yes")
                return response

        It gets the request and ``call_next``, which runs the rest of the chain and the
        handler and gives a ``cello.Response`` (the handler's exception comes out of
        it); it returns a ``Response``, anything else is a 500 naming it. The first
        registered is the outermost. An ``async def`` awaits ``call_next``; a ``def``
        gets the response from it directly and may only wrap sync handlers and ``def``
        middleware (else the app does not start: ``TypeError``). A route no
        middleware applies to runs without any; constant routes and the engine's own
        errors (404, 405...) never pass through Python middleware."""
        if isinstance(func, str):
            if func != "http":
                raise ValueError(f'middleware type {func!r}: only "http" is known (or use @app.middleware bare)')

            def decorate(f: M) -> M:
                return self.middleware(f)

            return decorate
        if not callable(func):
            raise TypeError(f"middleware must be callable, not {type(func).__name__}")
        self._middleware.append(func)
        return func

    def route(
        self, path: str, methods: Iterable[str] = ("GET",), *, blocking: bool = False, **options: Any
    ) -> Callable[[F], F]:
        """Registers the decorated handler for ``path`` and each of ``methods``.

        ``options`` are FastAPI's decorator keywords: ``status_code``,
        ``response_model``, ``response_model_exclude_unset``, ``tags``, ``summary``,
        ``description``, ``responses``, ``dependencies``, ``deprecated``,
        ``include_in_schema``, ``name``, ``operation_id``; another is a ``TypeError``.

        ``stream_request=True`` leaves the request body unread: the handler reads it
        as it arrives with ``async for chunk in req.stream()`` (``req.body`` then
        raises). Other routes get the body read before the handler runs.

        ``blocking=True`` is for a sync handler that blocks (a blocking database
        driver, ``time.sleep``): it runs on the event loop's thread pool so it does
        not stall the other connections. By default handlers run inline, which is
        fastest for handlers that do not block."""
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        methods = [m.upper() for m in methods]
        unknown = sorted(set(options) - _ROUTE_OPTIONS)
        if unknown:
            raise TypeError(f"route {path!r}: unknown option(s) {', '.join(unknown)}")

        def decorate(handler: F) -> F:
            if not callable(handler):
                raise TypeError(f"route handler must be callable, not {type(handler).__name__}")
            if blocking and inspect.iscoroutinefunction(handler):
                raise TypeError(f"blocking=True is for sync handlers; {handler.__qualname__} is async def")
            for m in methods:
                self._routes.append(_RouteSpec(m, path, handler, blocking, (), dict(options)))
            return handler

        return decorate

    def websocket(self, path: str, *, dependencies: Sequence[Any] = (), name: str | None = None) -> Callable[[F], F]:
        """Registers the decorated ``async def`` as a WebSocket handler for ``path``
        (Starlette's API, see ``cello.websockets``)::

            @app.websocket("/ws/{room}")
            async def chat(ws: WebSocket, room: str):
                await ws.accept()
                async for msg in ws:
                    await ws.send_text(msg)

        Its parameters are read as a route's (path, query, headers, ``Depends``); the
        ``WebSocket`` is the one annotated ``WebSocket`` (or named ``ws``,
        ``websocket``, or the first unannotated one). An HTTP request without the
        upgrade gets 404, as in Starlette. WebSocket routes are not in the OpenAPI
        document."""
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")

        def decorate(handler: F) -> F:
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"a WebSocket handler must be async def; {getattr(handler, '__qualname__', handler)!r} is not")
            options: dict[str, Any] = {"include_in_schema": False, "dependencies": list(dependencies)}
            if name is not None:
                options["name"] = name
            self._routes.append(_RouteSpec(_WEBSOCKET, path, handler, False, (), options))
            return handler

        return decorate

    def get(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``GET`` handler (``HEAD`` is answered from it too)."""
        return self.route(path, ["GET"], blocking=blocking, **options)

    def post(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``POST`` handler."""
        return self.route(path, ["POST"], blocking=blocking, **options)

    def put(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``PUT`` handler."""
        return self.route(path, ["PUT"], blocking=blocking, **options)

    def patch(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``PATCH`` handler."""
        return self.route(path, ["PATCH"], blocking=blocking, **options)

    def delete(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``DELETE`` handler."""
        return self.route(path, ["DELETE"], blocking=blocking, **options)

    def head(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers a ``HEAD`` handler."""
        return self.route(path, ["HEAD"], blocking=blocking, **options)

    def options(self, path: str, *, blocking: bool = False, **options: Any) -> Callable[[F], F]:
        """Registers an ``OPTIONS`` handler."""
        return self.route(path, ["OPTIONS"], blocking=blocking, **options)

    def const(self, path: str, value: Any, *, methods: Iterable[str] = ("GET",)) -> None:
        """A constant route: ``value`` — anything a handler may return (a str, dict,
        bytes, ``Response``, ``(body, status)``) — becomes the response once, at
        startup, and every request gets a copy from Rust without calling Python.

        >>> app = App()
        >>> app.const("/health", "ok")
        """
        for m in methods:
            m = m.upper()
            if m not in _METHODS:
                raise ValueError(f"unsupported method {m!r}; use one of {', '.join(_METHODS)}")
            self._consts.append((m, path, value))

    def native(self, path: str, capsule: Any, *, methods: Iterable[str] = ("GET",)) -> None:
        """A native route: ``capsule`` is a handler written in Rust in another
        extension module (a ``PyCapsule`` named ``cello.native.v1``, made with the
        ``cello-native`` crate), which the engine calls with no Python call and no
        Python object per request. The capsule's name and ABI version are checked here:
        ``TypeError`` or ``ValueError`` naming the route otherwise. Native routes are
        not in the OpenAPI document. See docs/native-handlers.md.
        """
        checked = []
        for m in methods:
            m = m.upper()
            if m not in _METHODS:
                raise ValueError(f"unsupported method {m!r}; use one of {', '.join(_METHODS)}")
            _cello.check_native(m, self.prefix + path, capsule)
            checked.append(m)
        self._natives.extend((m, path, capsule) for m in checked)

    def include_router(
        self, router: "Router", prefix: str = "", *, tags: Sequence[str] = (), dependencies: Sequence[Any] = ()
    ) -> None:
        """Adds ``router``'s routes under ``prefix`` + its own prefix. ``tags`` and
        ``dependencies`` apply to each of them, before the router's own (FastAPI's
        order)."""
        # The include's tags and dependencies ride as one more router in the chain,
        # outside `router`: the docs and the dependency plan read the chain in order.
        outer: tuple[Router, ...] = (Router(tags=tags, dependencies=dependencies),) if tags or dependencies else ()
        for spec in router._routes:
            self._routes.append(
                _RouteSpec(
                    spec.method,
                    prefix + router.prefix + spec.path,
                    spec.handler,
                    spec.blocking,
                    (*outer, router, *spec.routers),
                    spec.options,
                )
            )
        for method, path, value in router._consts:
            self._consts.append((method, prefix + router.prefix + path, value))
        for method, path, capsule in router._natives:
            self._natives.append((method, prefix + router.prefix + path, capsule))


class App(Router):
    """A Cello application.

    >>> app = App()
    >>> @app.get("/hello")
    ... def hello(req):
    ...     return {"msg": "hello"}
    """

    def __init__(
        self,
        middleware: Sequence[Any] = (),
        *,
        dependencies: Sequence[Any] = (),
        redirect_slashes: bool = True,
        title: str = "Cello",
        version: str = "0.1.0",
        description: str = "",
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        summary: str | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, Any] | None = None,
        license_info: dict[str, Any] | None = None,
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        ws_max_size: int = 16 * 1024 * 1024,
        ws_ping_interval: float | None = 20.0,
        ws_ping_timeout: float | None = 20.0,
        **limits: Any,
    ) -> None:
        super().__init__("", dependencies=dependencies)
        unknown = sorted(set(limits) - _LIMITS)
        if unknown:
            raise TypeError(f"App() got unknown limits {unknown}; known: {sorted(_LIMITS)}")
        #: Engine limits set on the app (``max_upload_size=...``); ``run()``'s own win.
        self.limits: dict[str, Any] = limits
        # uvicorn's names and defaults: the largest WebSocket message (1009 past
        # it), and a ping every interval that must be answered within the timeout
        # (1011 otherwise); None turns pings off.
        self.ws_max_size, self.ws_ping_interval, self.ws_ping_timeout = ws_max_size, ws_ping_interval, ws_ping_timeout
        self.redirect_slashes = redirect_slashes
        self.title, self.version, self.description = title, version, description
        # FastAPI's names; each goes into the OpenAPI document as given.
        self.summary, self.terms_of_service = summary, terms_of_service
        self.contact, self.license_info = contact, license_info
        self.openapi_tags, self.servers = openapi_tags, servers
        self.openapi_url, self.docs_url, self.redoc_url = openapi_url, docs_url, redoc_url
        #: ``openapi()``'s cache (FastAPI's name: replace ``app.openapi`` to customize).
        self.openapi_schema: dict[str, Any] | None = None
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        from .middleware import Middleware

        for m in middleware:
            if not isinstance(m, Middleware):
                raise TypeError(
                    f"middleware must come from cello.middleware, not {type(m).__name__} "
                    "(a Python function is registered with @app.middleware)"
                )
        self._rust_middleware = list(middleware)
        # Per worker: workers are processes, so fill it in an on_startup hook.
        self.state = State()
        self._exception_handlers = ExceptionHandlers()
        self._dependency_overrides = DependencyOverrides()
        self._mounts: list[tuple[str, Any, str | None]] = []

    def mount(self, path: str, app: Any, name: str | None = None) -> None:
        """Serves ``app`` (a ``cello.staticfiles.StaticFiles``) under ``path``, as
        Starlette's ``app.mount("/static", StaticFiles(directory="public"),
        name="static")``. Served from Rust: its requests never call Python, and it is
        not listed in the OpenAPI document. Only ``App`` mounts (a ``Router`` cannot:
        its prefix is known only when it is included)."""
        from .staticfiles import StaticFiles

        if not isinstance(app, StaticFiles):
            raise TypeError(f"App.mount takes a cello.staticfiles.StaticFiles, not {type(app).__name__}")
        if not path.startswith("/"):
            raise ValueError(f"mount path {path!r} must start with '/'")
        self._mounts.append((path.rstrip("/"), app, name))

    @property
    def dependency_overrides(self) -> DependencyOverrides:
        """``{dependency: replacement}``, for tests: wherever a route depends on
        ``dependency`` (``Depends(dependency)``, at any depth), ``replacement`` is
        called instead, its own parameters read from the request like any
        dependency's. Read when the server (or ``TestClient``) starts; a change
        while serving applies from the next request, as long as the replacement
        reads only parameters the route already read (else that request is a
        logged 500 saying so). Assigning a dict replaces the contents."""
        return self._dependency_overrides

    @dependency_overrides.setter
    def dependency_overrides(self, value: dict[Any, Any]) -> None:
        self._dependency_overrides.clear()
        self._dependency_overrides.update(value)

    def exception_handler(self, key: int | type[BaseException]) -> Callable[[E], E]:
        """Registers a handler ``(req, exc) -> response`` (``def`` or ``async def``,
        returning anything a route handler may) for an exception class or an error
        status code::

            @app.exception_handler(HTTPException)
            def reshape(req, exc):
                return {"error": exc.detail}, exc.status_code

        A class matches its subclasses, the nearest first. An ``HTTPException`` goes
        to the handler for its status code first. Errors the engine answers itself
        (404, 405 with its ``Allow`` header, 408, 413, 422 for a path parameter)
        come as an ``HTTPException`` to the handler for their status or for
        ``HTTPException``; the request then carries no body. An unexpected exception
        is logged with its traceback and goes to the handler for ``Exception`` or 500.
        A handler that raises gives a logged 500."""

        ExceptionHandlers.check(key)

        def decorate(handler: E) -> E:
            self._exception_handlers.add(key, handler)
            return handler

        return decorate

    def on_startup(self, hook: Hook) -> Hook:
        """Registers a hook (sync or async) run once per worker before it serves."""
        self._startup.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        """Registers a hook (sync or async) run once per worker after it stops,
        also on SIGTERM and SIGINT."""
        self._shutdown.append(hook)
        return hook

    def openapi(self) -> dict[str, Any]:
        """The app's OpenAPI 3.1 document, built on the first call from every
        route's signature and options (``cello.openapi``), then cached in
        ``openapi_schema``. Served at ``openapi_url``, with Swagger UI at
        ``docs_url`` and ReDoc at ``redoc_url``."""
        if self.openapi_schema is None:
            from . import openapi

            self.openapi_schema = openapi.build(self)
        return self.openapi_schema

    def _route_signature(self, spec: _RouteSpec) -> RouteSignature:
        """A route's signature as the OpenAPI document reads it; it must be the one
        ``_engine`` gives the engine (same dependencies), so the two agree."""
        dependencies = [
            *self.dependencies,
            *(d for router in spec.routers for d in router.dependencies),
            *spec.options.get("dependencies", ()),
        ]
        return compile_signature(spec.path, spec.handler, dependencies, self._dependency_overrides)

    # -- building the engine -------------------------------------------------

    def _engine(self) -> "_cello.Engine":
        engine = _cello.Engine()
        for spec in self._routes:
            signature = self._route_signature(spec)
            args, param_types, name = signature.engine_args(), signature.param_types, signature.handler_name
            if spec.method == _WEBSOCKET:
                self._add_websocket(engine, spec, signature)
                continue
            if signature.plan is not None:
                # Only routes with dependencies get a solver in front of the handler.
                handler, is_async = _solver.solver(signature.plan, spec.blocking, self._dependency_overrides)
            else:
                handler = _in_thread_pool(spec.handler) if spec.blocking else spec.handler
                is_async = inspect.iscoroutinefunction(handler)
            # Only routes with a response model or class are wrapped.
            plan = _response_model.plan_for(spec.handler, spec.options, name)
            if plan is not None:
                handler = _response_model.wrap(handler, is_async, plan)
            status = spec.options.get("status_code")
            status = None if status is None else int(status)
            slots = [i for i, p in enumerate(signature.params) if p.source == "background"]
            if slots:
                # Only routes that take `BackgroundTasks` are wrapped.
                handler = background.inject(handler, is_async, slots, name, status)
            chain = [*self._middleware, *(m for router in spec.routers for m in router._middleware)]
            if chain:
                # The wrapper takes the request first, then the handler's arguments.
                handler, is_async = _middleware_chain.wrap(handler, is_async, chain, name, status)
                args = [None, *args]
            stream_request = bool(spec.options.get("stream_request"))
            if stream_request and any(p.source in ("body", "form") for p in signature.params):
                raise TypeError(
                    f"handler {name}: stream_request=True leaves the body unread, so it cannot also have body "
                    "or Form() parameters; read the body with `async for chunk in req.stream()`"
                )
            engine.add_route(
                spec.method, spec.path, handler, name, is_async, args, param_types, status, stream_request
            )
        for method, path, value in self._consts:
            engine.add_const(method, path, value)
        for method, path, capsule in self._natives:
            engine.add_native(method, path, capsule)
        for prefix, static, _name in self._mounts:
            engine.mount_static(prefix, static.directory, static.html)
        _docs.add_routes(self, engine)
        if self._exception_handlers:
            handlers = self._exception_handlers
            engine.set_error_handler(handlers.find, handlers.engine_statuses())
        return engine

    def _add_websocket(self, engine: "_cello.Engine", spec: _RouteSpec, signature: RouteSignature) -> None:
        from . import websockets

        if signature.plan is not None:
            handler, _ = _solver.solver(signature.plan, False, self._dependency_overrides)
        else:
            handler = spec.handler
        engine.add_websocket(
            spec.path,
            websockets.run_handler(handler),
            signature.handler_name,
            signature.engine_args(),
            websockets.WebSocket,
            self.ws_max_size,
            self.ws_ping_interval,
            self.ws_ping_timeout,
            signature.param_types,
        )

    # -- running -----------------------------------------------------------------

    def run(self, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, **options: Any) -> None:
        """Serves the app until SIGINT or SIGTERM. The options are the ``cello run``
        command's (``cello run --help``; ``cello._options.OPTIONS`` defines both), as
        keyword arguments; an unknown one is a ``TypeError`` naming the options.

        The port is bound first: a port another process holds raises ``OSError``
        ("address already in use", naming ``host:port``) before any startup hook
        runs. ``workers`` > 1 forks that many worker processes, each with its own
        listener on the port (``SO_REUSEPORT`` among them only) and its own Python
        thread, under the Rust supervisor (docs/workers.md). A worker that dies
        before it serves (a startup hook raised) stops them all and ``run`` raises
        ``RuntimeError`` with its error; one that dies later is restarted, with a
        growing delay if it keeps dying. SIGHUP replaces every worker (forked again
        from this process: the same code; ``cello run`` re-imports it).
        ``threads`` > 1 runs that many workers as threads of this process instead,
        each with its own engine, event loop and listener on the port; with the GIL
        they take turns, so it is meant for free-threaded CPython (docs/workers.md).
        It cannot be combined with ``workers`` or the supervisor's options.
        ``max_requests`` (+ ``max_requests_jitter``) recycles a worker after that
        many requests; ``timeout_worker_healthcheck`` kills a worker whose event loop
        sent no heartbeat for that many seconds. ``reload`` needs ``cello run``.

        ``limits`` (bytes, seconds; each left out keeps the engine's default):
        ``max_body_size`` (1 MiB, 413 past it), ``max_header_size`` (16 KiB, 431),
        ``header_timeout`` (10 s to send the request head),
        ``keep_alive_timeout`` (5 s idle), ``body_timeout`` (10 s at most between two
        reads of a request body, then 408), ``request_read_timeout`` (60 s for the
        whole body once it is awaited, then 408), ``min_body_rate`` (bytes a second a
        body must average; 0, the default, is off), ``write_timeout`` (30 s: a client
        that stops reading the response is disconnected), ``max_connections``
        (10,000 per worker; at the cap the longest-idle keep-alive connection is
        closed to make room), ``shutdown_timeout`` (30 s to drain on SIGTERM).
        ``log_level`` ("info" unless given) is the level of the ``cello`` loggers.

        Listening: ``uds`` (a Unix domain socket path, mode 0o666, removed when
        ``run`` returns) or ``fd`` (an inherited listening socket) in place of
        ``host``/``port``, shared by every worker; ``backlog`` (2048).
        ``limit_concurrency``: past that many requests in flight in a worker, 503 at
        once, in Rust. ``root_path``: the prefix a proxy serves the app under (a path
        starting with it is routed without it; ``req.root_path``; OpenAPI
        ``servers``). Off unless given here, on by default in ``cello run`` (as in
        uvicorn): ``access_log`` (``cello.access``, uvicorn's line) and
        ``proxy_headers`` (``X-Forwarded-For``/``-Proto`` from
        ``forwarded_allow_ips``, default ``$FORWARDED_ALLOW_IPS`` or 127.0.0.1).
        ``log_config``: a dictConfig ``.json``/``.yaml`` or fileConfig ``.ini`` file
        in place of uvicorn's default format (``cello._logging``), which is used when
        the app has not set up logging itself.

        Uploads (``multipart/form-data``, also settable on ``App(...)``):
        ``max_upload_size`` (1 GiB: the whole multipart body, in place of
        ``max_body_size``), ``max_files`` (1000), ``max_fields`` (1000),
        ``max_part_size`` (1 MiB per text field), ``max_file_size`` (none: only
        ``max_upload_size``), each 413 past it; ``upload_spool_size`` (1 MiB: a file
        past it goes to a temporary file), ``upload_spool_memory`` (16 MiB: most
        bytes of files a worker keeps in memory at once), ``upload_dir`` (where
        temporary files go; ``TMPDIR``).
        """
        _options.check(options)
        _options.check_tls(options)
        limits = {k: v for k, v in options.items() if k in _options.ENGINE_LIMITS}
        self._configure_logging(options)
        self._apply_ws_options(options)
        if options.get("reload"):
            raise ValueError("reload=True needs the app as an import string: cello run module:app --reload")
        self._root_path = (options.get("root_path") or "").rstrip("/")
        middleware = self._server_middleware(options)
        threads = _threads.check(workers, options)
        supervised = _workers.needs_supervisor(workers, options)
        if supervised or threads > 1:
            self._engine()  # a route error is raised here, not in every worker
        listeners, where = self._listeners(host, port, max(workers, threads), options)
        try:
            if threads > 1:

                def serve_thread(listener: _cello.Listener, engines: list[_cello.Engine]) -> None:
                    self._serve(
                        host, port, listener=listener, engine_out=engines, announce=True, middleware=middleware, **limits
                    )

                _threads.serve(serve_thread, listeners)
                return
            if not supervised:
                self._serve(host, port, listener=listeners[0], announce=True, middleware=middleware, **limits)
                return

            def serve_one(listener: _cello.Listener, ready: Callable[[int], None], extra: dict[str, Any]) -> None:
                self._serve(
                    host, port, listener=listener, ready=ready, announce=True, middleware=middleware, **limits, **extra
                )

            _workers.supervise_forked(serve_one, listeners, options)
        finally:
            _remove_socket_file(where)

    def _run_spawned_worker(
        self, listener: _cello.Listener, report_fd: int, host: str, port: int, **options: Any
    ) -> None:
        """One worker ``cello run --workers/--reload`` spawned, on the socket it inherited."""
        self._configure_logging(options)
        self._apply_ws_options(options)
        self._root_path = (options.get("root_path") or "").rstrip("/")
        middleware = self._server_middleware(options)
        limits = {k: v for k, v in options.items() if k in _options.ENGINE_LIMITS}
        limits.update(_workers.worker_options(options, report_fd))

        def ready(port: int) -> None:
            os.write(report_fd, b"R")

        self._serve(host, port, listener=listener, ready=ready, announce=True, middleware=middleware, **limits)

    def _apply_ws_options(self, options: dict[str, Any]) -> None:
        """``ws_max_size``/``ws_ping_interval``/``ws_ping_timeout`` given to ``run`` (or
        ``cello run``) replace the App's own; a ping interval or timeout of 0 is off."""
        if options.get("ws_max_size") is not None:
            self.ws_max_size = options["ws_max_size"]
        for name in ("ws_ping_interval", "ws_ping_timeout"):
            if options.get(name) is not None:
                setattr(self, name, options[name] or None)

    @staticmethod
    def _listeners(
        host: str, port: int, workers: int, options: dict[str, Any]
    ) -> tuple[list[_cello.Listener], tuple[int, str] | None]:
        """One listener per worker on ``host:port``, or the one of ``uds``/``fd`` that
        every worker shares; with the ``(pid, path)`` of a socket file to remove."""
        uds, fd = options.get("uds"), options.get("fd")
        if uds is not None and fd is not None:
            raise ValueError("uds and fd are two ways to listen; give one")
        if fd is not None:
            return [_cello.listener_from_fd(fd)] * max(workers, 1), None
        if uds is not None:
            listener = _cello.bind_unix_listener(uds, options.get("backlog"))
            return [listener] * max(workers, 1), (os.getpid(), uds)
        return _cello.bind_listeners(host, port, max(workers, 1), options.get("backlog")), None

    @staticmethod
    def _configure_logging(options: dict[str, Any]) -> None:
        """uvicorn's format on the ``cello`` loggers, unless the app set up logging
        itself (then only the level, when given); ``log_config`` replaces both."""
        from . import _logging

        level = options.get("log_level")
        if level:
            level = _options.BY_NAME["log_level"].parse(level)
        if options.get("log_config") or not (logging.getLogger().handlers or logging.getLogger("cello").handlers):
            _logging.configure(options.get("log_config"), level, options.get("access_log"))
        elif level:
            logging.getLogger("cello").setLevel(_logging.TRACE if level == "TRACE" else level)

    def _server_middleware(self, options: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The app's Rust middleware, with what ``proxy_headers`` and ``access_log``
        add in front (unless the app lists its own): trusted proxies outermost, so
        the access log sees the forwarded client."""
        from .middleware import AccessLog, TrustedProxies

        stack: list[Any] = list(self._rust_middleware)
        if options.get("proxy_headers") and not any(isinstance(m, TrustedProxies) for m in stack):
            ips = options.get("forwarded_allow_ips") or os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
            trusted = ["*"] if ips.strip() == "*" else [ip.strip() for ip in ips.split(",") if ip.strip()]
            stack.insert(0, TrustedProxies(trusted=trusted))
        if options.get("access_log") and not any(isinstance(m, AccessLog) for m in stack):
            first = 1 if stack and isinstance(stack[0], TrustedProxies) else 0
            stack.insert(first, AccessLog())
        return [m._spec() for m in stack]

    def _serve(
        self,
        host: str,
        port: int,
        *,
        ready: Callable[[int], None] | None = None,
        handle_signals: bool = True,
        engine_out: list[_cello.Engine] | None = None,
        announce: bool = False,
        listener: _cello.Listener | None = None,
        middleware: list[tuple[str, dict[str, Any]]] | None = None,
        **limits: Any,
    ) -> None:
        """Runs one worker on this thread: startup hooks, the engine, shutdown hooks."""
        limits = {**getattr(self, "limits", {}), **limits}
        engine = self._engine()
        if engine_out is not None:
            engine_out.append(engine)
        loop = _runtime.new_loop()
        asyncio.set_event_loop(loop)
        saved: dict[signal.Signals, Any] = {}
        try:
            for hook in self._startup:
                _run_hook(loop, hook)

            def on_ready(bound: int) -> None:
                if announce:
                    url = listener.url if listener is not None else f"http://{host}:{bound}"
                    if limits.get("ssl_certfile") and url.startswith("http:"):
                        url = "https:" + url[len("http:"):]
                    logger.info("cello worker %s serving on %s", _worker_name(), url)
                if ready is not None:
                    ready(bound)

            if handle_signals and threading.current_thread() is threading.main_thread():
                # The engine handles SIGINT/SIGTERM itself (graceful stop); Python's
                # handlers would raise KeyboardInterrupt later, in a shutdown hook.
                # (With threads=N the main thread has set them for every worker thread.)
                for sig in (signal.SIGINT, signal.SIGTERM):
                    saved[sig] = signal.signal(sig, signal.SIG_IGN)
            # The engine drives the loop as a guest; mark it running as
            # `run_forever` would, so `loop.is_running()` is True in handlers.
            asyncio.events._set_running_loop(loop)
            loop._thread_id = threading.get_ident()  # type: ignore[attr-defined]
            try:
                engine.serve(
                    host,
                    port,
                    loop,
                    on_ready,
                    handle_signals,
                    listener=listener,
                    middleware=[m._spec() for m in self._rust_middleware] if middleware is None else middleware,
                    redirect_slashes=self.redirect_slashes,
                    **limits,
                )
            finally:
                loop._thread_id = None  # type: ignore[attr-defined]
                asyncio.events._set_running_loop(None)
            if announce:
                logger.info("cello worker %s stopped serving; running shutdown hooks", _worker_name())
        finally:
            for sig, old in saved.items():
                signal.signal(sig, old)
            try:
                for hook in self._shutdown:
                    _run_hook(loop, hook)
                _cancel_all(loop)
            finally:
                asyncio.set_event_loop(None)
                loop.close()


def _worker_name() -> str:
    """The worker in logs: its process id, and its thread with ``threads=N``."""
    thread = threading.current_thread()
    if thread is threading.main_thread():
        return str(os.getpid())
    return f"{os.getpid()}/{thread.name}"


def _remove_socket_file(where: tuple[int, str] | None) -> None:
    """The socket file of ``uds`` goes with the server that made it (not a worker)."""
    if where is not None and os.getpid() == where[0]:
        try:
            os.unlink(where[1])
        except OSError:
            pass


def _in_thread_pool(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A blocking sync handler as a coroutine function that runs it on the loop's
    default thread pool (made per worker, after fork)."""

    async def run_blocking(*args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(handler, *args))

    run_blocking.__qualname__ = getattr(handler, "__qualname__", "handler")
    return run_blocking


def _run_hook(loop: asyncio.AbstractEventLoop, hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        loop.run_until_complete(result)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
