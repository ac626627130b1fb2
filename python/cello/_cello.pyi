"""Type stubs for the native module ``cello._cello``."""

import os
from typing import Any, Awaitable, Callable, Mapping, Sequence, final

from typing_extensions import Self, disjoint_base

import os

from .datastructures import FormData, Headers, QueryParams, State

__all__ = [
    "Engine",
    "as_response",
    "json_dumps",
    "json_loads",
    "parse_date",
    "parse_uuid",
    "route_params",
    "route_template",
    "check_native",
    "bind_listeners",
    "bind_unix_listener",
    "listener_from_fd",
    "check_tls",
    "Listener",
    "Request",
    "RequestStream",
    "Response",
    "FileResponse",
    "_install_runtime",
    "install_scheduler",
    "Handle",
    "Scheduler",
    "WebSocketConn",
    "supervise",
    "worker_init",
]

def json_dumps(obj: Any) -> bytes:
    """Encodes ``obj`` (dict, list, str, int, float, bool, None, nested) as JSON bytes."""

def json_loads(data: bytes | str) -> Any:
    """Decodes JSON from bytes or str into Python objects. Invalid JSON raises ``ValueError`` naming the byte position."""

def parse_date(text: str, datetime: bool) -> tuple[bool, Any]:
    """``text`` as a datetime (or a date) as pydantic's lax mode reads it: ``(True, value)``
    or ``(False, (type, msg, ctx))``."""

def parse_uuid(text: str) -> tuple[bool, Any]:
    """``text`` as a UUID as pydantic reads it: ``(True, its int)`` or ``(False, why not)``."""

def route_params(pattern: str) -> list[tuple[str, str | None, bool]]: ...
def route_template(pattern: str) -> str: ...
def check_native(method: str, pattern: str, capsule: Any) -> None: ...
def _install_runtime(
    http_exception: type,
    log_exception: Callable[..., Any],
    log_message: Callable[..., Any],
    headers_cls: type,
    query_cls: type,
    state_cls: type,
) -> None: ...
def as_response(value: Any, handler: str, status: int | None = None) -> Response: ...

def install_scheduler(event_loop: Any) -> Scheduler: ...

@final
class Handle:
    def cancel(self) -> None: ...
    def cancelled(self) -> bool: ...
    def when(self) -> float | None: ...
    def get_context(self) -> Any: ...

@final
class Scheduler:
    def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> Handle | None: ...
    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Handle: ...
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Handle: ...
    def create_future(self) -> Any: ...
    def _run_once(self) -> None: ...
    def pending_timers(self) -> int: ...
    def close(self) -> None: ...

@final
class Request:
    """An HTTP request as a handler sees it (``req: Request``)."""

    @property
    def method(self) -> str:
        """The method, e.g. ``"GET"``."""
    @property
    def path(self) -> str:
        """The path, still percent-encoded as sent, e.g. ``"/users/42"``."""
    @property
    def query_string(self) -> str:
        """The raw query string, without ``?`` (empty when there is none)."""
    @property
    def root_path(self) -> str:
        """The ``--root-path`` the app is mounted under behind a proxy (empty when none)."""
    @property
    def url(self) -> str:
        """The full URL, ``scheme://host[:port]/path?query``. The host is ``host``, or ``localhost`` when there is none."""
    @property
    def scheme(self) -> str:
        """``"http"``, ``"https"`` on a TLS connection, or what a trusted proxy reported (``X-Forwarded-Proto``, ``proto=``): ``"https"``, ``"ws"``, ``"wss"``."""
    @property
    def client_cert(self) -> bytes | None:
        """The client's TLS certificate (the leaf, DER bytes) when it sent one; else None."""
    @property
    def tls(self) -> dict[str, Any] | None:
        """On an HTTPS connection, ASGI's ``tls`` extension: ``tls_version``, ``alpn_protocol``, ``client_cert``; else None."""
    @property
    def host(self) -> str | None:
        """The host the client asked for, ``host[:port]``: what a trusted proxy reported (``X-Forwarded-Host``, ``host=``), else the request's authority as sent (an absolute-form target's or HTTP/2 ``:authority`` first, else the ``Host`` header, which the server has checked). None for an HTTP/1.0 request without ``Host``."""
    @property
    def request_id(self) -> str | None:
        """The request id: the ``x-request-id`` header, which the ``RequestId`` middleware keeps from the client or sets. None without one."""
    @property
    def query(self) -> QueryParams:
        """The query parameters, percent-decoded, as a multi-dict (``get``, ``getlist``)."""
    @property
    def headers(self) -> Headers:
        """The headers, as a case-insensitive multi-dict of str; ``.raw`` gives the bytes as received, ``(name, value)`` pairs with lowercase names."""
    @property
    def path_params(self) -> dict[str, Any]:
        """The path parameters, converted to their declared types."""
    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header, as a dict."""
    @property
    def client(self) -> tuple[str, int] | None:
        """The client's ``(host, port)``: the peer, or the client a trusted proxy named (port 0 when it gave none). None on a Unix socket, or when the proxy hid the client."""
    @property
    def body(self) -> bytes:
        """The body as bytes."""
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
    def json(self) -> Any:
        """The body parsed as JSON (in Rust). Invalid JSON raises ``HTTPException(400)`` whose detail gives the byte position of the error."""
    def form(self) -> FormData:
        """The form, as a ``FormData`` multi-dict: a ``multipart/form-data`` body's fields (``str``) and files (``UploadFile``), parsed in Rust while it streamed in, or an ``application/x-www-form-urlencoded`` body's fields. The result can be used directly or awaited (``await req.form()``, as in Starlette)."""
    def stream(self) -> RequestStream:
        """The body as it arrives: ``async for chunk in req.stream()`` gives ``bytes`` chunks. On a ``stream_request=True`` route the body is read from the connection chunk by chunk (413 past the body limit, 408 when the client stalls, raised as ``HTTPException``); on other routes it was read before the handler ran and comes in one chunk."""
    @property
    def state(self) -> State:
        """Per-request attributes (``cello.datastructures.State``), e.g. the user a middleware authenticated: ``req.state.user = ...``. Made on first access."""

@final
class WebSocketConn:
    @property
    def subprotocols(self) -> list[str]: ...
    def accept(self, subprotocol: str | None = None, headers: list[tuple[str, str]] = ...) -> Awaitable[None]: ...
    def receive(self) -> Awaitable[tuple[Any, ...]]: ...
    def send_text(self, text: str) -> Awaitable[tuple[int, str] | None]: ...
    def send_bytes(self, data: bytes) -> Awaitable[tuple[int, str] | None]: ...
    def close(self, code: int = 1000, reason: str = ...) -> Awaitable[None]: ...

@final
class RequestStream:
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[bytes]: ...

@disjoint_base
class Response:
    """An HTTP response a handler returns when plain data is not enough.

    Header names and values are checked as the response is built: CR or LF in either
    raises ``ValueError``, so a header can never split the response. So is the status:
    one a response cannot have (1xx, 101, past 599) raises ``ValueError`` naming it.
    """

    body: Any
    """The body: None, bytes, str, or JSON-encodable data (dict, list...)."""
    status: int
    """The status code, 200 to 599 (checked when set)."""
    content_type: str | None
    """The media type; when None it follows from the body."""
    background: Any
    """Run after the response is sent (a ``BackgroundTask``/``BackgroundTasks``, or any callable); None: nothing."""
    def __new__(
        cls,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        content_type: str | None = None,
        background: Any = None,
    ) -> Self: ...
    @staticmethod
    def json(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response (encoded in Rust)."""
    @staticmethod
    def text(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        """A ``text/plain; charset=utf-8`` response."""
    @staticmethod
    def html(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        """A ``text/html; charset=utf-8`` response."""
    @staticmethod
    def redirect(url: str, status: int = 307, headers: Mapping[str, str] | None = None) -> Response:
        """A redirect to ``url`` (307 by default, which keeps the method)."""
    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers as a list of ``(name, value)`` pairs."""
    def add_header(self, name: str, value: str) -> None:
        """Adds a header (several with one name are allowed)."""
    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = ...,  # "lax"
    ) -> None:
        """Sets a cookie (``Set-Cookie``)."""
    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None) -> None:
        """Deletes a cookie (expires it now)."""

@disjoint_base
class FileResponse:
    def __new__(
        cls,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        media_type: str | None = None,
        filename: str | None = None,
        content_disposition_type: str = "attachment",
    ) -> Self: ...
    @property
    def path(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def media_type(self) -> str | None: ...
    @property
    def filename(self) -> str | None: ...
    def add_header(self, name: str, value: str) -> None: ...

@final
class Engine:
    def __init__(self) -> None: ...
    def add_route(
        self,
        method: str,
        pattern: str,
        handler: Callable[..., Any],
        name: str,
        is_async: bool,
        args: list[str | None | tuple[str, str, bool, Any, Any, str, dict[str, Any]] | dict[str, Any]],
        param_types: list[tuple[str, str]] | None = None,
        status: int | None = None,
        stream_request: bool = False,
    ) -> None: ...
    def add_websocket(
        self,
        pattern: str,
        handler: Callable[..., Any],
        name: str,
        args: list[str | None | tuple[str, str, bool, Any, Any, str, dict[str, Any]] | dict[str, Any]],
        cls: Callable[[Request, WebSocketConn], Any],
        max_size: int,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        param_types: list[tuple[str, str]] | None = None,
    ) -> None: ...
    def add_const(self, method: str, pattern: str, value: Any) -> None: ...
    def add_native(self, method: str, pattern: str, capsule: Any) -> None: ...
    def mount_static(self, prefix: str, directory: str | os.PathLike[str], html: bool) -> None: ...
    def set_error_handler(self, find: Callable[[Any, Any, str], Any], statuses: list[int]) -> None: ...
    def serve(
        self,
        host: str,
        port: int,
        event_loop: Any,
        ready: Callable[[int], None] | None = None,
        handle_signals: bool = True,
        max_body_size: int | None = None,
        max_header_size: int | None = None,
        header_timeout: float | None = None,
        keep_alive_timeout: float | None = None,
        body_timeout: float | None = None,
        request_read_timeout: float | None = None,
        min_body_rate: int | None = None,
        write_timeout: float | None = None,
        max_connections: int | None = None,
        shutdown_timeout: float | None = None,
        listener: Listener | None = None,
        middleware: list[tuple[str, dict[str, Any]]] | None = None,
        redirect_slashes: bool = False,
        max_upload_size: int | None = None,
        max_files: int | None = None,
        max_fields: int | None = None,
        max_part_size: int | None = None,
        max_file_size: int | None = None,
        upload_spool_size: int | None = None,
        upload_spool_memory: int | None = None,
        upload_dir: str | os.PathLike[str] | None = None,
        limit_concurrency: int | None = None,
        root_path: str | None = None,
        supervisor_fd: int | None = None,
        max_requests: int | None = None,
        ssl_certfile: str | os.PathLike[str] | None = None,
        ssl_keyfile: str | os.PathLike[str] | None = None,
        ssl_keyfile_password: str | None = None,
        ssl_ca_certs: str | os.PathLike[str] | None = None,
        ssl_cert_reqs: str | int | None = None,
        http: str | int | None = None,
        h2_max_concurrent_streams: int | None = None,
        h2_initial_stream_window: int | None = None,
        h2_initial_connection_window: int | None = None,
        h2_max_header_list_size: int | None = None,
    ) -> None: ...
    def stop(self) -> None: ...

@final
class Listener:
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def path(self) -> str | None: ...
    @property
    def url(self) -> str: ...
    def fileno(self) -> int: ...

def bind_listeners(host: str, port: int, count: int = 1, backlog: int | None = None) -> list[Listener]: ...
def bind_unix_listener(path: str | os.PathLike[str], backlog: int | None = None) -> Listener: ...
def listener_from_fd(fd: int) -> Listener: ...
def supervise(
    workers: int,
    *,
    fork: Callable[[int, int], int] | None = None,
    command: list[str] | None = None,
    listen_fds: list[int] = ...,
    timeout_graceful_shutdown: float | None = None,
    timeout_worker_healthcheck: float | None = None,
    reload: bool = False,
    reload_dirs: list[str] = ...,
    reload_include: list[str] = ...,
    reload_exclude: list[str] = ...,
) -> None: ...
def worker_init(parent: int) -> None: ...
def check_tls(
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
    ssl_keyfile_password: str | None = None,
    ssl_ca_certs: str | os.PathLike[str] | None = None,
    ssl_cert_reqs: str | int | None = None,
    http: str | int | None = None,
) -> None: ...
