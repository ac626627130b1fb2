"""FastAPI's (Starlette's) response classes, as thin subclasses of ``cello.Response``:
``from fastapi.responses import HTMLResponse`` becomes ``from cello.responses import
HTMLResponse`` and keeps its keywords (``content``, ``status_code``, ``headers``,
``media_type``). Each one *is* a ``cello.Response``, so a handler returns it as any
other and the engine sends it from Rust.

Given to a route decorator as ``response_class=``, a class sets how the route's plain
return values are sent: ``@app.get("/", response_class=HTMLResponse)`` sends a
returned ``str`` as ``text/html``.

``FileResponse`` (Starlette's signature) is sent by the engine, in Rust: ``ETag``,
``Last-Modified``, conditional requests (304, 412), ``Range`` (206, 416) and ``HEAD``
work for it as for ``StaticFiles``.

``ORJSONResponse`` and ``UJSONResponse`` are ``JSONResponse``: Cello's own encoder
writes the JSON, orjson and ujson are never needed.

``StreamingResponse`` sends what a generator yields as it yields it;
``EventSourceResponse`` (from ``cello.sse``) sends Server-Sent Events. Every class
takes ``background=`` (a ``cello.background.BackgroundTask``): run after the
response has been sent.
"""

from __future__ import annotations

from typing import Any, AsyncIterable, Iterable, Mapping, TypeVar, Union
from urllib.parse import quote

from ._cello import FileResponse
from ._cello import Response as _Response

_R = TypeVar("_R", bound="Response")

__all__ = [
    "Response",
    "JSONResponse",
    "HTMLResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "FileResponse",
    "StreamingResponse",
    "EventSourceResponse",
    "ORJSONResponse",
    "UJSONResponse",
]


class Response(_Response):
    """``Response(content, status_code=200, headers=None, media_type=None,
    background=None)``: the body as given (``bytes`` or ``str``; other data is sent as
    JSON), with the class's media type unless one is given; ``background`` runs after
    the response has been sent."""

    #: The media type of this class's responses; None: it follows from the body.
    media_type: str | None = None

    def __new__(
        cls: type[_R],
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> _R:
        media_type = media_type or cls.media_type
        # Starlette adds the charset to text types; so does Cello.
        if media_type is not None and media_type.startswith("text/") and "charset=" not in media_type:
            media_type += "; charset=utf-8"
        return super().__new__(cls, content, status_code, headers, media_type, background)

    @property
    def status_code(self) -> int:
        """The status, under Starlette's name (``status`` is Cello's)."""
        return self.status

    @status_code.setter
    def status_code(self, value: int) -> None:
        self.status = value


class JSONResponse(Response):
    """``content`` encoded as JSON (a ``str`` becomes a JSON string)."""

    media_type = "application/json"


class HTMLResponse(Response):
    """``content`` sent as ``text/html; charset=utf-8``."""

    media_type = "text/html"


class PlainTextResponse(Response):
    """``content`` sent as ``text/plain; charset=utf-8``."""

    media_type = "text/plain"


class RedirectResponse(Response):
    """A redirect to ``url`` (307 by default, which keeps the method); the URL is
    percent-encoded as Starlette does, so a space or non-ASCII character is sent
    safely."""

    def __new__(
        cls,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: Any = None,
    ) -> "RedirectResponse":
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")
        response = Response.__new__(cls, None, status_code, headers, background=background)
        response.add_header("location", location)
        return response


#: What a ``StreamingResponse`` is made from: chunks as ``bytes`` or ``str``.
Content = Union[Iterable[Union[bytes, str]], AsyncIterable[Union[bytes, str]]]


class StreamingResponse(Response):
    """``StreamingResponse(content, status_code=200, headers=None, media_type=None,
    background=None)``: the body is what ``content`` yields — a sync or async
    iterator (a generator) or iterable of ``bytes``/``str`` (``str`` is sent as
    UTF-8) — sent as it comes: chunked on HTTP/1.1, DATA frames on HTTP/2.

    The generator is pulled only as the client reads (one chunk at a time, nothing
    read ahead), and closed (``close()``/``aclose()``, so ``finally`` runs) if the
    client goes away. A sync generator runs on the worker thread between chunks: one
    that blocks (``time.sleep``) blocks the worker; write it ``async``. An item that is
    not bytes or str, or an exception, ends the response early (the client sees it
    cut short) and is logged naming the handler."""

    def __new__(
        cls,
        content: Content,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> "StreamingResponse":
        if isinstance(content, (str, bytes)):
            iterator: Any = iter((content,))
        elif hasattr(content, "__aiter__"):
            iterator = content.__aiter__()
        else:
            iterator = iter(content)
        return Response.__new__(cls, iterator, status_code, headers, media_type, background)


def __getattr__(name: str) -> Any:
    # `cello.sse` imports this module: imported on first use, not at import.
    if name == "EventSourceResponse":
        from .sse import EventSourceResponse

        return EventSourceResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: orjson is not needed: Cello's encoder writes the JSON.
ORJSONResponse = JSONResponse
#: ujson is not needed: Cello's encoder writes the JSON.
UJSONResponse = JSONResponse
