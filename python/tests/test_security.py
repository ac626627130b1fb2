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


# -- OAuth2 scopes and the password form (FastAPI's OAuth2 scopes tutorial) -----

from cello.security import OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict, SecurityScopes  # noqa: E402

TOKENS = {"alice-token": ("alice", ["me", "items"]), "bob-token": ("bob", ["me"])}


SEEN_SCOPES: list[list[str]] = []
scoped_oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read yourself.", "items": "Read items."})


def scoped_user(security_scopes: SecurityScopes, token: Annotated[str, Depends(scoped_oauth2)]) -> str:
    SEEN_SCOPES.append(security_scopes.scopes)
    authenticate = f'Bearer scope="{security_scopes.scope_str}"' if security_scopes.scopes else "Bearer"
    user, granted = TOKENS.get(token, (None, []))
    if user is None:
        raise HTTPException(401, "Could not validate credentials", headers={"WWW-Authenticate": authenticate})
    for scope in security_scopes.scopes:
        if scope not in granted:
            raise HTTPException(401, "Not enough permissions", headers={"WWW-Authenticate": authenticate})
    return user


def active_user(user: Annotated[str, Security(scoped_user, scopes=["me"])]) -> str:
    return user


def scoped_app() -> App:
    app = App()
    SEEN_SCOPES.clear()

    @app.post("/token")
    def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        return {"username": form.username, "scopes": form.scopes, "grant_type": form.grant_type}

    @app.post("/token-strict")
    def token_strict(form: Annotated[OAuth2PasswordRequestFormStrict, Depends()]):
        return {"username": form.username}

    @app.get("/me")
    def me(user: Annotated[str, Depends(active_user)]):
        return {"user": user}

    @app.get("/me/items")
    def my_items(user: Annotated[str, Security(active_user, scopes=["items"])]):
        return {"user": user, "items": ["paint"]}

    @app.get("/seen")
    def seen_scopes():
        return SEEN_SCOPES

    return app


def test_security_scopes_gather_every_scope_on_the_way_down_to_the_dependency() -> None:
    with TestClient(scoped_app()) as c:
        assert c.get("/me", headers={"Authorization": "Bearer bob-token"}).json() == {"user": "bob"}
        assert c.get("/me/items", headers={"Authorization": "Bearer alice-token"}).json() == {
            "user": "alice",
            "items": ["paint"],
        }
        r = c.get("/me/items", headers={"Authorization": "Bearer bob-token"})
        assert (r.status_code, r.json()) == (401, {"detail": "Not enough permissions"})
        assert r.headers["www-authenticate"] == 'Bearer scope="items me"'
        assert c.get("/seen").json() == [["me"], ["items", "me"], ["items", "me"]]


def test_the_openapi_document_lists_the_scopes_each_route_needs() -> None:
    doc = scoped_app().openapi()
    assert doc["paths"]["/me/items"]["get"]["security"] == [{"OAuth2PasswordBearer": ["items", "me"]}]
    assert doc["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": ["me"]}]
    form = doc["paths"]["/token"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["schema"]["$ref"].endswith("Body_token_token_post")
    body = doc["components"]["schemas"]["Body_token_token_post"]
    assert body["required"] == ["username", "password"]
    assert "grant_type" in body["properties"] and "client_secret" in body["properties"]


def test_the_password_form_reads_username_password_and_space_separated_scopes() -> None:
    with TestClient(scoped_app()) as c:
        r = c.post("/token", data={"username": "alice", "password": "pw", "scope": "me items"})
        assert r.json() == {"username": "alice", "scopes": ["me", "items"], "grant_type": None}
        r = c.post("/token", data={"username": "alice"})
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["detail"]] == [["body", "password"]]
        r = c.post("/token", data={"username": "a", "password": "p", "grant_type": "implicit"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "grant_type"]


def test_the_strict_password_form_needs_grant_type_password() -> None:
    with TestClient(scoped_app()) as c:
        r = c.post("/token-strict", data={"username": "a", "password": "p"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "grant_type"]
        assert c.post("/token-strict", data={"username": "a", "password": "p", "grant_type": "password"}).json() == {
            "username": "a"
        }
