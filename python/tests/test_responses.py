"""What a handler's return value becomes on the wire."""


def test_dict_is_json(client):
    r = client.get("/ret/dict")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"a": 1, "b": [1, 2.5, None, True, "é"]}


def test_list_is_json(client):
    r = client.get("/ret/list")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == [1, "two", {"three": 3}]


def test_str_is_utf8_text_plain(client):
    r = client.get("/ret/str")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == "héllo".encode()


def test_bytes_is_octet_stream(client):
    r = client.get("/ret/bytes")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\x00\x01\xffraw"


def test_none_is_204_without_body(client):
    r = client.get("/ret/none")
    assert r.status_code == 204
    assert r.content == b""


def test_response_with_body_status_headers_and_content_type(client):
    r = client.get("/ret/response")
    assert r.status_code == 203
    assert r.headers["x-custom"] == "1"
    assert r.headers["content-type"] == "application/x-custom"
    assert r.content == b"custom body"


def test_response_with_str_body_defaults_to_text_plain(client):
    r = client.get("/ret/response-default")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "plain"


def test_response_json(client):
    r = client.get("/ret/response-json")
    assert r.status_code == 201
    assert r.headers["x-created"] == "1"
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"created": True}


def test_response_text(client):
    r = client.get("/ret/response-text")
    assert r.status_code == 202
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "some text"


def test_response_html(client):
    r = client.get("/ret/response-html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<h1>hi</h1>"


def test_response_redirect_defaults_to_307_with_location(client):
    r = client.get("/ret/redirect", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/ret/str"


def test_response_redirect_with_status(client):
    r = client.get("/ret/redirect-301", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == "https://example.com/"


def test_set_cookie_and_delete_cookie_send_set_cookie_headers(client):
    r = client.get("/ret/cookies")
    assert r.text == "cookies"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 3
    session, theme, old = cookies
    assert session.startswith("session=abc123;")
    assert "Max-Age=3600" in session and "HttpOnly" in session and "Secure" in session
    assert "Path=/" in session and "SameSite=Lax" in session
    assert theme.startswith("theme=dark;") and "Path=/app" in theme and "SameSite=Strict" in theme
    assert old.startswith("old=;") and "Max-Age=0" in old and "1970" in old


def test_body_status_tuple(client):
    r = client.get("/ret/tuple2")
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"created": 1}


def test_body_status_headers_tuple(client):
    r = client.get("/ret/tuple3")
    assert r.status_code == 418
    assert r.headers["x-tea"] == "earl grey"
    assert r.text == "teapot"


def test_responses_carry_content_length(client):
    r = client.get("/ret/dict")
    assert int(r.headers["content-length"]) == len(r.content)
