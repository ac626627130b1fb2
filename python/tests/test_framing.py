"""Request framing through the real engine, on a raw socket: a request framed two ways,
transfer codings the server does not speak, and HTTP versions other than 1.1."""

from __future__ import annotations

import socket

GET_SYNC = b"GET /sync HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _exchange_until_close(port: int, raw: bytes) -> bytes:
    """Sends ``raw`` and reads until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        out = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            out += data
    return out


def _refused(port: int, raw: bytes, status: bytes) -> bytes:
    out = _exchange_until_close(port, raw + GET_SYNC)
    assert out.startswith(b"HTTP/1.1 " + status), out
    head = out.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nconnection: close" in head, out
    # The request after it was never answered: the connection closed first.
    assert out.count(b"HTTP/1.1 ") == 1, out
    return out


def test_content_length_with_transfer_encoding_gets_400_and_the_connection_closes(main_server):
    for framing in (
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ):
        raw = b"POST /body-bytes HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + b"\r\n5\r\nhello\r\n0\r\n\r\n"
        out = _refused(main_server.port, raw, b"400")
        assert b"Content-Length and Transfer-Encoding together are not allowed" in out


def test_an_http_2_request_line_gets_505_and_the_connection_closes(main_server):
    for version in (b"HTTP/2.0", b"HTTP/3.0"):
        out = _refused(main_server.port, b"GET /sync " + version + b"\r\nHost: 127.0.0.1\r\n\r\n", b"505")
        assert version + b" is not supported" in out


def test_a_transfer_coding_other_than_chunked_gets_501(main_server):
    raw = b"POST /body-bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    _refused(main_server.port, raw, b"501")


def test_http_1_2_is_served_as_http_1_1(main_server):
    raw = b"GET /sync HTTP/1.2\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    out = _exchange_until_close(main_server.port, raw)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n"), out
    assert out.endswith(b'{"kind":"sync"}'), out


def test_a_chunked_body_containing_header_text_is_served_with_the_request_after_it(main_server):
    text = b"content-length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = (
        b"POST /body-bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % len(text)
        + text
        + b"\r\n0\r\n\r\n"
        + b"GET /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    out = _exchange_until_close(main_server.port, raw)
    assert out.count(b"HTTP/1.1 200 OK") == 2, out
    assert text in out and out.endswith(b'{"kind":"sync"}'), out
