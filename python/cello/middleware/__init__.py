"""Middleware that runs in Rust, before any Python code: give instances to
``App(middleware=[...])``. The first in the list is the outermost (it sees the request
first and the response last), as in Starlette.

>>> from cello import App
>>> from cello.middleware import CORS, Compression, RequestId
>>> app = App(middleware=[RequestId(), CORS(allow_origins=["https://app.example"]), Compression()])

Behind a proxy, put ``TrustedProxies`` first (so every layer and the handler see the real
client) and ``AccessLog`` after ``RequestId`` (so its records carry the id):

>>> from cello.middleware import AccessLog, TrustedProxies
>>> app = App(middleware=[TrustedProxies(trusted=["10.0.0.0/8"]), RequestId(), AccessLog()])

Each class only records its settings; they are checked when the app starts serving,
and a bad one (an invalid header name, a compression level out of range) stops it with
a ``ValueError`` naming the middleware.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

__all__ = [
    "CORS",
    "AccessLog",
    "Compression",
    "Middleware",
    "RequestId",
    "SecurityHeaders",
    "Timeout",
    "TrustedProxies",
]


class Middleware:
    """Base of the Rust-backed middleware classes."""

    _kind = ""

    def _spec(self) -> tuple[str, dict[str, Any]]:
        return self._kind, asdict(self)  # type: ignore[call-overload]


@dataclass
class CORS(Middleware):
    """Cross-origin resource sharing. Preflights (``OPTIONS`` with
    ``Access-Control-Request-Method``) are answered in Rust; every response, router
    errors included, gets the CORS headers for an allowed origin. ``"*"`` in a list
    allows any."""

    allow_origins: Sequence[str] = ()
    allow_methods: Sequence[str] = ("GET", "HEAD", "POST")
    allow_headers: Sequence[str] = ()
    expose_headers: Sequence[str] = ()
    allow_credentials: bool = False
    max_age: float | None = 600
    _kind = "cors"

    def _spec(self) -> tuple[str, dict[str, Any]]:
        return self._kind, {
            "allow_origins": list(self.allow_origins),
            "allow_methods": list(self.allow_methods),
            "allow_headers": list(self.allow_headers),
            "expose_headers": list(self.expose_headers),
            "allow_credentials": self.allow_credentials,
            "max_age": self.max_age,
        }


@dataclass
class Compression(Middleware):
    """gzip, brotli and zstd, chosen by ``Accept-Encoding`` (with quality values).
    Bodies under ``minimum_size`` bytes, already-compressed types (images, video,
    archives), event streams and responses that set ``Content-Encoding`` are left
    alone; ``Vary: Accept-Encoding`` is added."""

    minimum_size: int = 860
    gzip: bool = True
    br: bool = True
    zstd: bool = True
    _kind = "compression"


@dataclass
class RequestId(Middleware):
    """Keeps the client's ``x-request-id`` (or ``header``) or makes one, sets it on the
    request (``req.request_id``) and copies it to the response."""

    header: str = "x-request-id"
    _kind = "request_id"


@dataclass
class SecurityHeaders(Middleware):
    """``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
    ``Referrer-Policy: strict-origin-when-cross-origin`` by default; HSTS and a
    Content-Security-Policy when given. A header the handler set is kept."""

    content_type_options: bool = True
    hsts_max_age: float | None = None
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    content_security_policy: str | None = None
    _kind = "security_headers"


@dataclass
class Timeout(Middleware):
    """A handler that takes longer than ``seconds`` is answered 504 Gateway Timeout;
    an ``async def`` handler's Task is cancelled."""

    seconds: float = field(default=30.0)
    _kind = "timeout"


@dataclass
class TrustedProxies(Middleware):
    """Believe ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (and,
    with ``forwarded=True``, RFC 7239 ``Forwarded``) only from the peers in ``trusted``:
    IP addresses and CIDR networks (``["127.0.0.1", "10.0.0.0/8", "::1"]``), or ``"*"``
    for every peer. uvicorn calls this ``--proxy-headers`` with
    ``--forwarded-allow-ips``.

    From a trusted peer, ``req.client`` becomes the rightmost ``X-Forwarded-For`` hop
    that is not itself trusted (port 0), ``req.scheme`` the forwarded scheme (``http``,
    ``https``, ``ws`` or ``wss`` only), and, with ``host=True``, ``req.host`` /
    ``req.url`` the forwarded host. ``host`` is off by default: nginx, for one, does not
    set ``X-Forwarded-Host`` but passes a client's through, which would let any client
    choose the host your app builds links from (werkzeug's ``ProxyFix`` has it off too).
    From any other peer the headers are ignored (and left for the handler to see). A
    malformed header from a trusted proxy is ignored too; the request is still served.
    Turn on only headers your proxy sets: one it passes through is the client's to forge.
    """

    trusted: Sequence[str] = ("127.0.0.1", "::1")
    x_forwarded: bool = True
    forwarded: bool = False
    host: bool = False
    _kind = "trusted_proxies"

    def _spec(self) -> tuple[str, dict[str, Any]]:
        trusted = [self.trusted] if isinstance(self.trusted, str) else list(self.trusted)
        return self._kind, {
            "trusted": trusted,
            "x_forwarded": self.x_forwarded,
            "forwarded": self.forwarded,
            "host": self.host,
        }


@dataclass
class AccessLog(Middleware):
    """One record per request, made in Rust: method, path with query, HTTP version,
    status, response body bytes, duration, request id and client (the forwarded one
    behind ``TrustedProxies``). Off unless added.

    ``target="logging"`` (default) gives each record to
    ``logging.getLogger("cello.access")`` at level INFO, with the fields as attributes
    of the ``LogRecord`` (``method``, ``path``, ``http_version``, ``status``, ``bytes``,
    ``duration_ms``, ``request_id``, ``client``, ``complete``). Records are batched in
    Rust and handed over at most every 100 ms (or 256 at a time), one Python call per
    batch; the rest are flushed at shutdown. ``target="stderr"`` writes one Common Log
    Format line per request (plus duration and request id) straight from Rust.
    """

    target: str = "logging"
    _kind = "access_log"
