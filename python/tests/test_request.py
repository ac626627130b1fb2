"""What a handler sees on the ``Request``."""

import json

import pytest

from rawhttp import exchange


def test_request_method_path_url_and_query_string(client):
    r = client.get("/echo?a=1&b=two")
    body = r.json()
    assert body["method"] == "GET"
    assert body["path"] == "/echo"
    assert body["query_string"] == "a=1&b=two"
    # Built from the Host header: 127.0.0.1:<port> from httpx, testserver from TestClient.
    assert body["url"] == str(r.url)
    assert body["url"].endswith("/echo?a=1&b=two")


def test_query_is_a_percent_decoded_multi_dict(client):
    body = client.get("/echo?a=1&a=2&name=caf%C3%A9&sp=x+y%20z&empty=&flag").json()
    assert body["query"] == {"a": ["1", "2"], "name": ["café"], "sp": ["x y z"], "empty": [""], "flag": [""]}
    assert body["query_get_a"] == "2"  # get gives the last value
    assert body["query_get_missing"] == "default"


def test_query_params_keyword_reaches_the_handler(client):
    body = client.get("/echo", params={"a": ["x", "y"], "k": "v w"}).json()
    assert body["query"] == {"a": ["x", "y"], "k": ["v w"]}


def test_headers_are_a_case_insensitive_multi_dict(client):
    body = client.get(
        "/echo",
        headers=[("X-Test", "Value"), ("x-multi", "one"), ("X-Multi", "two")],
    ).json()
    assert body["x_test_upper"] == "Value"
    assert body["x_test_lower"] == "Value"
    assert body["x_test_item"] == "Value"
    assert body["x_multi"] == ["one", "two"]


def test_cookies_are_parsed_from_the_cookie_header(client):
    body = client.get("/echo", headers={"cookie": "session=abc; theme=dark; quoted=\"q\""}).json()
    assert body["cookies"] == {"session": "abc", "theme": "dark", "quoted": "q"}


def test_client_is_the_peer_address(client):
    host, port = client.get("/echo").json()["client"]
    assert host == "127.0.0.1"
    assert isinstance(port, int) and port > 0


def test_path_params_are_exposed_on_the_request_converted(client):
    body = client.get("/echo/7/seven").json()
    assert body["path_params"] == {"a": [7, "int"], "b": ["seven", "str"]}


def test_body_and_text(client):
    body = client.post("/echo", content="héllo wörld".encode()).json()
    assert body["text"] == "héllo wörld"
    assert body["body_len"] == len("héllo wörld".encode())


def test_body_bytes_round_trip(client):
    payload = bytes(range(256)) * 4
    r = client.post("/body-bytes", content=payload)
    assert r.status_code == 200
    assert r.content == payload
    assert r.headers["content-type"] == "application/octet-stream"


def test_empty_body_is_empty_bytes(client):
    body = client.post("/echo").json()
    assert body["body_len"] == 0
    assert body["text"] == ""


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "widget", "tags": ["a", "b"], "price": 9.5, "n": None, "ok": True},
        [1, 2, {"x": "ünïcödé ✓ 😀"}],
        "just a string",
        12345678901234567890,
        -0.5,
        {},
    ],
)
def test_json_body_is_decoded(client, payload):
    r = client.post("/json", json=payload)
    assert r.status_code == 200
    assert r.json() == {"received": payload, "type": type(payload).__name__}


def test_json_body_is_decoded_in_an_async_handler_after_await(client):
    assert client.post("/json-async", json={"a": [1]}).json() == {"received": {"a": [1]}}


@pytest.mark.parametrize(
    "raw, position",
    [
        (b'{"a": 1,}', 8),
        (b"{not json", 1),
        (b'{"a": 1} trailing', 9),
        (b"", 0),
        (b"[1, 2", 5),
        (b'"\xff"', 1),
    ],
)
def test_invalid_json_body_is_400_with_the_byte_position(client, raw, position):
    r = client.post("/json", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert "not valid JSON" in detail
    assert f"at byte {position}" in detail, detail


def test_form_is_urlencoded_multi_dict(client):
    r = client.post("/form", data={"name": "Ada Lovelace", "tag": ["x", "y&z"], "e": "é"})
    assert r.json() == {"name": ["Ada Lovelace"], "tag": ["x", "y&z"], "e": ["é"]}


def test_body_over_max_body_size_is_413(client):
    from conftest import MAX_BODY

    r = client.post("/echo", content=b"x" * (MAX_BODY + 1))
    assert r.status_code == 413
    # A body at the limit is still accepted, and the server keeps serving.
    assert client.post("/echo", content=b"x" * MAX_BODY).json()["body_len"] == MAX_BODY


def test_raw_header_bytes_reach_the_handler_in_order_and_the_str_view_is_lossless(main_server):
    raw = (
        b"GET /headers/raw HTTP/1.1\r\nHost: t\r\nX-Latin: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\n"
        b"X-Bin: \x80\xff\r\nX-Plain: ok\r\nConnection: close\r\n\r\n"
    )
    response, _ = exchange(main_server.port, raw)
    assert response.status == 200, response
    body = json.loads(response.body)
    sent = [
        (b"host", b"t"),
        (b"x-latin", b"caf\xe9"),
        (b"x-utf8", b"caf\xc3\xa9"),
        (b"x-bin", b"\x80\xff"),
        (b"x-plain", b"ok"),
        (b"connection", b"close"),
    ]
    assert [(bytes.fromhex(k), bytes.fromhex(v)) for k, v in body["raw"]] == sent
    assert body["types"] == ["bytes"]
    # The str view: UTF-8 where the bytes are UTF-8, latin-1 otherwise (no U+FFFD).
    assert body["str"] == [
        ["host", "t"],
        ["x-latin", "café"],
        ["x-utf8", "café"],
        ["x-bin", "\x80\xff"],
        ["x-plain", "ok"],
        ["connection", "close"],
    ]


def test_headers_built_in_python_give_raw_bytes_too():
    from cello import Headers

    h = Headers([("X-A", "café"), ("X-B", "日本")])
    assert h.raw == [(b"x-a", b"caf\xe9"), (b"x-b", "日本".encode())]
    assert h["x-a"] == "café"
