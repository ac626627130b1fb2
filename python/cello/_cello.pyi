"""Type stubs for the native module ``cello._cello``."""

from typing import Any, Callable, Mapping, Sequence

def json_dumps(obj: Any) -> bytes: ...
def json_loads(data: bytes | str) -> Any: ...
def _install_runtime(
    http_exception: type,
    make_run_once: Callable[..., Any],
    make_task_starter: Callable[..., Any],
    log_exception: Callable[..., Any],
    log_message: Callable[..., Any],
    headers_cls: type,
    query_cls: type,
) -> None: ...

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
    def query(self) -> Any: ...
    @property
    def headers(self) -> Any: ...
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
    def form(self) -> Any: ...

class Response:
    body: Any
    status: int
    content_type: str | None
    def __init__(
        self,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        content_type: str | None = None,
    ) -> None: ...
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
        samesite: str | None = "lax",
    ) -> None: ...
    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None) -> None: ...

class Engine:
    def __init__(self) -> None: ...
    def add_route(
        self, method: str, pattern: str, handler: Callable[..., Any], name: str, is_async: bool, args: list[str | None]
    ) -> None: ...
    def serve(
        self,
        host: str,
        port: int,
        event_loop: Any,
        ready: Callable[[int], None] | None = None,
        handle_signals: bool = True,
        max_body_size: int = 1048576,
        max_header_size: int = 16384,
        header_timeout: float = 10.0,
        keep_alive_timeout: float = 5.0,
        max_connections: int = 10000,
        shutdown_timeout: float = 30.0,
    ) -> None: ...
    def stop(self) -> None: ...
