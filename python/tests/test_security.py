"""The security helpers (``cello.security``) as dependencies through the real engine:
what they give the handler, FastAPI's 401 with ``WWW-Authenticate`` when
credentials are missing, ``auto_error=False``, and what the OpenAPI document gets."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Iterator

import pytest

from cello import App, Depends, HTTPException, Security
from cello._signature import compile_signature
from cello.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
)
from cello.testing import TestClient

bearer = HTTPBearer(bearerFormat="JWT")
optional_bearer = HTTPBearer(auto_error=False)
basic = HTTPBasic(realm="cello")
header_key = APIKeyHeader(name="x-api-key")
query_key = APIKeyQuery(name="api_key", auto_error=False)
cookie_key = APIKeyCookie(name="session")
oauth2 = OAuth2PasswordBearer(tokenUrl="/token", scopes={"items:read": "Read items"})


def current_user(token: Annotated[str, Depends(oauth2)]) -> dict[str, str]:
    if token != "good":
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return {"name": "ann"}


def secured_app() -> App:
    app = App()

    @app.get("/bearer")
    def by_bearer(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]):
        return {"scheme": creds.scheme, "credentials": creds.credentials}

    @app.get("/maybe")
    def maybe(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)]):
        return {"credentials": creds.credentials if creds else None}

    @app.get("/basic")
    def by_basic(creds: Annotated[HTTPBasicCredentials, Depends(basic)]):
        return {"username": creds.username, "password": creds.password}

    @app.get("/keys")
    def by_keys(
        h: Annotated[str, Depends(header_key)],
        q: Annotated[str | None, Depends(query_key)],
        c: Annotated[str, Depends(cookie_key)],
    ):
        return {"header": h, "query": q, "cookie": c}

    @app.get("/me")
    async def me(user: Annotated[dict[str, str], Security(current_user, scopes=["items:read"])]):
        return user

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(secured_app()) as c:
        yield c


def _basic(text: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(text.encode()).decode()}


def test_http_bearer_gives_the_scheme_and_the_token(client: TestClient) -> None:
    r = client.get("/bearer", headers={"authorization": "Bearer abc.def"})
    assert r.json() == {"scheme": "Bearer", "credentials": "abc.def"}


@pytest.mark.parametrize("value", [None, "", "Bearer", "Basic abc", "Token abc"])
def test_http_bearer_without_a_bearer_token_is_a_401_asking_for_bearer(client: TestClient, value: str | None) -> None:
    headers = {"authorization": value} if value is not None else None
    r = client.get("/bearer", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"detail": "Not authenticated"}
    assert r.headers.get("www-authenticate") == "Bearer"


def test_auto_error_false_gives_none_instead_of_a_401(client: TestClient) -> None:
    assert client.get("/maybe").json() == {"credentials": None}
    assert client.get("/maybe", headers={"authorization": "Bearer t"}).json() == {"credentials": "t"}


def test_http_basic_decodes_the_user_and_password(client: TestClient) -> None:
    assert client.get("/basic", headers=_basic("ann:se:cret")).json() == {"username": "ann", "password": "se:cret"}


@pytest.mark.parametrize(
    "headers",
    [None, {"authorization": "Bearer x"}, {"authorization": "Basic !!!notbase64"}, _basic("no-colon")],
)
def test_http_basic_without_valid_credentials_is_a_401_asking_for_basic(
    client: TestClient, headers: dict[str, str] | None
) -> None:
    r = client.get("/basic", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"detail": "Not authenticated"}
    assert r.headers.get("www-authenticate") == 'Basic realm="cello"'


def test_api_keys_come_from_a_header_the_query_and_a_cookie(client: TestClient) -> None:
    r = client.get("/keys?api_key=q1", headers={"x-api-key": "h1", "cookie": "session=c1"})
    assert r.json() == {"header": "h1", "query": "q1", "cookie": "c1"}
    r = client.get("/keys", headers={"x-api-key": "h1", "cookie": "session=c1"})
    assert r.json() == {"header": "h1", "query": None, "cookie": "c1"}


def test_a_missing_api_key_is_a_401(client: TestClient) -> None:
    r = client.get("/keys", headers={"cookie": "session=c1"})
    assert r.status_code == 401
    assert r.json() == {"detail": "Not authenticated"}
    assert r.headers.get("www-authenticate") == "APIKey"


def test_oauth2_password_bearer_gives_the_token_to_the_apps_dependency(client: TestClient) -> None:
    assert client.get("/me", headers={"authorization": "Bearer good"}).json() == {"name": "ann"}
    r = client.get("/me", headers={"authorization": "Bearer bad"})
    assert (r.status_code, r.json()) == (401, {"detail": "Invalid token"})
    r = client.get("/me")
    assert (r.status_code, r.json()) == (401, {"detail": "Not authenticated"})
    assert r.headers.get("www-authenticate") == "Bearer"


def test_the_route_signature_lists_the_security_schemes_for_openapi() -> None:
    def keys(h: Annotated[str, Depends(header_key)], me: Any = Security(current_user, scopes=["items:read"])):
        return None

    signature = compile_signature("/k", keys)
    assert signature.security == [
        ("APIKeyHeader", {"type": "apiKey", "in": "header", "name": "x-api-key"}, []),
        (
            "OAuth2PasswordBearer",
            {"type": "oauth2", "flows": {"password": {"tokenUrl": "/token", "scopes": {"items:read": "Read items"}}}},
            ["items:read"],
        ),
    ]
    # The helpers read the request; it is the only engine argument they add.
    assert [p.source for p in signature.params] == ["request"]
    assert bearer.model == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert basic.model == {"type": "http", "scheme": "basic"}
