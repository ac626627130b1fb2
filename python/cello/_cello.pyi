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
    "route_params",
    "route_template",
    "bind_listeners",
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
]

def json_dumps(obj: Any) -> bytes: ...
def json_loads(data: bytes | str) -> Any: ...
def route_params(pattern: str) -> list[tuple[str, str | None, bool]]: ...
def route_template(pattern: str) -> str: ...
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
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def client_cert(self) -> bytes | None: ...
    @property
    def tls(self) -> dict[str, Any] | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def query(self) -> QueryParams: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def path_params(self) -> dict[str, Any]: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def client(self) -> tuple[str, int] | None: ...
    @property
    def body(self) -> bytes: ...
    def text(self) -> str: ...
    def json(self) -> Any: ...
    def form(self) -> FormData: ...
    def stream(self) -> RequestStream: ...
    @property
    def state(self) -> State: ...

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
    body: Any
    status: int
    content_type: str | None
    background: Any
    def __new__(
        cls,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        content_type: str | None = None,
        background: Any = None,
    ) -> Self: ...
    @staticmethod
    def json(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response: ...
    @staticmethod
    def text(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response: ...
    @staticmethod
    def html(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response: ...
    @staticmethod
    def redirect(url: str, status: int = 307, headers: Mapping[str, str] | None = None) -> Response: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    def add_header(self, name: str, value: str) -> None: ...
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
    ) -> None: ...
    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None) -> None: ...

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

def bind_listeners(host: str, port: int, count: int = 1) -> list[Listener]: ...
def check_tls(
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
    ssl_keyfile_password: str | None = None,
    ssl_ca_certs: str | os.PathLike[str] | None = None,
    ssl_cert_reqs: str | int | None = None,
    http: str | int | None = None,
) -> None: ...
