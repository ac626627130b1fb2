"""Statuses a handler may and may not answer with, as the client sees the bytes."""

from __future__ import annotations

import json

import pytest

from cello import Response
from rawhttp import connect, port_of, read_response

GENERIC_500 = {"detail": "Internal Server Error"}


def get(client, path: str, then: str = "/sync"):
    """GET `path`, then `then` on the same connection: the first answer and the second."""
    with connect(port_of(client.base_url)) as sock:
        buf = bytearray()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        first = read_response(sock, buf)
        sock.sendall(f"GET {then} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        second = read_response(sock, buf)
        while data := sock.recv(65536):
            buf += data
        assert bytes(buf) == b"", f"bytes after the last response: {bytes(buf)!r}"
        return first, second


BAD = [100, 101, 103, 199, 600, 999, 42]


@pytest.mark.parametrize("code", BAD)
@pytest.mark.parametrize("how", ["tuple", "response", "http-exception"])
def test_a_status_a_handler_cannot_send_is_a_logged_500(client, how, code):
    handler = {"tuple": "status_tuple", "response": "status_response", "http-exception": "status_http_exception"}[how]
    mark = client.log_mark()
    first, second = get(client, f"/status/{how}/{code}")
    assert first.status_line == b"HTTP/1.1 500 Internal Server Error"
    assert first.header("server") == b"cello"
    assert first.header("content-type") == b"application/json"
    assert json.loads(first.body) == GENERIC_500
    # The connection goes on serving.
    assert second.status == 200 and json.loads(second.body) == {"kind": "sync"}
    log = client.logs_since(mark, expect=handler)
    assert handler in log
    assert f"status {code}" in log


@pytest.mark.parametrize("how", ["tuple", "response"])
def test_205_has_no_body_and_content_length_0(client, how):
    first, second = get(client, f"/status/{how}/205")
    assert first.status_line == b"HTTP/1.1 205 Reset Content"
    assert first.header("content-length") == b"0"
    assert first.header("server") == b"cello"
    assert first.body == b""
    # Had the body been sent, it would have been read as the next response.
    assert second.status == 200


@pytest.mark.parametrize("code, reason", [(204, b"No Content"), (304, b"Not Modified")])
@pytest.mark.parametrize("how", ["tuple", "response"])
def test_204_and_304_have_no_body(client, how, code, reason):
    first, second = get(client, f"/status/{how}/{code}")
    assert first.status_line == b"HTTP/1.1 %d %s" % (code, reason)
    assert first.header("content-length") in (None, b"0")
    assert first.header("server") == b"cello"
    assert first.body == b""
    assert second.status == 200


@pytest.mark.parametrize("code", [299, 432, 599])
@pytest.mark.parametrize("how", ["tuple", "response"])
def test_an_unknown_but_valid_status_has_an_empty_reason_phrase(client, how, code):
    first, _ = get(client, f"/status/{how}/{code}")
    assert first.status_line == b"HTTP/1.1 %d " % code
    assert first.header("server") == b"cello"
    assert first.body == b"s"


@pytest.mark.parametrize("code", BAD)
def test_building_a_response_with_a_status_a_handler_cannot_send_raises_value_error(code):
    with pytest.raises(ValueError, match=f"status {code}"):
        Response("x", status=code)


def test_setting_a_status_a_handler_cannot_send_raises_value_error():
    r = Response("x")
    with pytest.raises(ValueError, match="status 101"):
        r.status = 101
    assert r.status == 200
    r.status = 299
    assert r.status == 299
