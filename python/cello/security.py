"""Authentication helpers used as dependencies, FastAPI's names and behavior::

    from typing import Annotated
    from cello import Depends
    from cello.security import HTTPBearer, HTTPAuthorizationCredentials

    bearer = HTTPBearer()

    @app.get("/me")
    def me(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]):
        return {"token": creds.credentials}

Each reads the request and gives what it found. Missing (or malformed) credentials
are, with ``auto_error=True`` (the default), a 401 ``{"detail": "Not
authenticated"}`` with a ``WWW-Authenticate`` header naming the scheme, as FastAPI
0.122+ answers; with ``auto_error=False`` the dependency gives ``None`` and the
handler decides. None of them checks the credentials: that is the app's dependency
on top (look the token up, compare the password with ``secrets.compare_digest``).

Each has what the OpenAPI document needs: ``scheme_name`` (the class name unless
given) and ``model`` (the ``securityScheme`` object). Unlike FastAPI's, ``__call__``
is a plain ``def``, so a route using only these stays sync; call it with the
request if you need it outside ``Depends``.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from dataclasses import dataclass
from typing import Annotated, Any

from ._cello import Request
from .exceptions import HTTPException
from .param_functions import Form

__all__ = [
    "SecurityBase",
    "HTTPAuthorizationCredentials",
    "HTTPBasicCredentials",
    "HTTPBase",
    "HTTPBearer",
    "HTTPBasic",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIKeyCookie",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "SecurityScopes",
]


@dataclass
class HTTPAuthorizationCredentials:
    """``Authorization: <scheme> <credentials>``."""

    scheme: str
    credentials: str


@dataclass
class HTTPBasicCredentials:
    """The user name and password of ``Authorization: Basic ...``."""

    username: str
    password: str


class SecurityBase:
    """What every helper has: its OpenAPI ``securityScheme`` (``model``), the name it
    is listed under (``scheme_name``) and ``auto_error``."""

    model: dict[str, Any]
    scheme_name: str
    auto_error: bool

    def _setup(self, model: dict[str, Any], scheme_name: str | None, description: str | None, auto_error: bool) -> None:
        if description:
            model["description"] = description
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        """The headers of the 401 (``WWW-Authenticate``)."""
        return {}

    def make_not_authenticated_error(self) -> HTTPException:
        """The error raised for missing credentials; override it to answer otherwise
        (e.g. the 403 older FastAPI versions gave)."""
        return HTTPException(401, "Not authenticated", headers=self.make_authenticate_headers())


def _scheme_param(value: str | None) -> tuple[str, str]:
    """``"Bearer abc"`` → ``("Bearer", "abc")``."""
    if not value:
        return "", ""
    scheme, _, param = value.partition(" ")
    return scheme, param.strip()


class HTTPBase(SecurityBase):
    """Any ``Authorization: <scheme> <credentials>`` header."""

    def __init__(
        self, *, scheme: str, scheme_name: str | None = None, description: str | None = None, auto_error: bool = True
    ) -> None:
        self._setup({"type": "http", "scheme": scheme}, scheme_name, description, auto_error)

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": str(self.model["scheme"]).title()}

    def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        authorization = request.headers.get("authorization")
        scheme, credentials = _scheme_param(authorization)
        if not (authorization and scheme and credentials):
            self._missing()
            return None
        return HTTPAuthorizationCredentials(scheme, credentials)

    def _missing(self) -> None:
        """Raises the 401 unless ``auto_error=False``."""
        if self.auto_error:
            raise self.make_not_authenticated_error()


class HTTPBearer(HTTPBase):
    """``Authorization: Bearer <token>`` → ``HTTPAuthorizationCredentials``."""

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model: dict[str, Any] = {"type": "http", "scheme": "bearer"}
        if bearerFormat:
            model["bearerFormat"] = bearerFormat
        self._setup(model, scheme_name, description, auto_error)

    def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        authorization = request.headers.get("authorization")
        scheme, credentials = _scheme_param(authorization)
        if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
            self._missing()
            return None
        return HTTPAuthorizationCredentials(scheme, credentials)


class HTTPBasic(HTTPBase):
    """``Authorization: Basic <base64 user:password>`` → ``HTTPBasicCredentials``.
    The 401 asks for Basic (with ``realm`` when given), so a browser prompts.
    Malformed credentials are a 401 even with ``auto_error=False``, as FastAPI."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self._setup({"type": "http", "scheme": "basic"}, scheme_name, description, auto_error)
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        if self.realm:
            return {"WWW-Authenticate": f'Basic realm="{self.realm}"'}
        return {"WWW-Authenticate": "Basic"}

    def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        authorization = request.headers.get("authorization")
        scheme, param = _scheme_param(authorization)
        if not authorization or scheme.lower() != "basic":
            self._missing()
            return None
        try:
            data = b64decode(param).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise self.make_not_authenticated_error() from None
        username, separator, password = data.partition(":")
        if not separator:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username, password)


class _APIKey(SecurityBase):
    where = ""

    def __init__(
        self, *, name: str, scheme_name: str | None = None, description: str | None = None, auto_error: bool = True
    ) -> None:
        self._setup({"type": "apiKey", "in": self.where, "name": name}, scheme_name, description, auto_error)
        self.name = name

    def make_authenticate_headers(self) -> dict[str, str]:
        # Not a standard scheme; FastAPI sends this so the 401 has the header RFC 9110 asks for.
        return {"WWW-Authenticate": "APIKey"}

    def _check(self, key: str | None) -> str | None:
        if not key:
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return key


class APIKeyHeader(_APIKey):
    """An API key in the header ``name`` → the key (str)."""

    where = "header"

    def __call__(self, request: Request) -> str | None:
        return self._check(request.headers.get(self.name))


class APIKeyQuery(_APIKey):
    """An API key in the query parameter ``name`` → the key (str)."""

    where = "query"

    def __call__(self, request: Request) -> str | None:
        return self._check(request.query.get(self.name))


class APIKeyCookie(_APIKey):
    """An API key in the cookie ``name`` → the key (str)."""

    where = "cookie"

    def __call__(self, request: Request) -> str | None:
        return self._check(request.cookies.get(self.name))


class OAuth2PasswordBearer(SecurityBase):
    """The token of OAuth2's password flow, sent as ``Authorization: Bearer <token>``
    → the token (str). ``tokenUrl`` (where clients get one) and ``scopes`` go into
    the OpenAPI document."""

    def __init__(
        self,
        tokenUrl: str,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,
    ) -> None:
        flow: dict[str, Any] = {"tokenUrl": tokenUrl, "scopes": dict(scopes or {})}
        if refreshUrl:
            flow["refreshUrl"] = refreshUrl
        self._setup({"type": "oauth2", "flows": {"password": flow}}, scheme_name, description, auto_error)

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}

    def __call__(self, request: Request) -> str | None:
        scheme, param = _scheme_param(request.headers.get("authorization"))
        if not param or scheme.lower() != "bearer":
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return param


class SecurityScopes:
    """The scopes the route asks for: a dependency that declares a parameter of this
    type gets every scope of the ``Security(..., scopes=[...])`` markers on the way
    from the route down to it (``scopes``, and ``scope_str``, space-separated, as
    ``WWW-Authenticate`` wants them). Known at registration, so it costs nothing per
    request."""

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or [])
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"


class OAuth2PasswordRequestForm:
    """The form of OAuth2's password flow (``username``, ``password``, ``scope`` as
    space-separated scopes → ``scopes``, optional ``grant_type``, ``client_id``,
    ``client_secret``), read from the urlencoded body::

        @app.post("/token")
        def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
            ...
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """``OAuth2PasswordRequestForm`` whose ``grant_type`` must be sent, as
    ``password`` (the spec's rule)."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )
