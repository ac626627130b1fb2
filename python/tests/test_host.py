"""The Host rule (RFC 9112 §3.2) and the authority behind ``req.url`` / ``req.host``,
over raw HTTP/1.x and over HTTP/2 (h2c, spoken by the ``h2`` package)."""

from __future__ import annotations

import json

import h2.config
import h2.connection
import h2.events
import pytest

from rawhttp import connect, exchange, read_response


def assert_rejected(port: int, raw: bytes, reason: bytes) -> None:
    response, after = exchange(port, raw)
    assert response.status_line == b"HTTP/1.1 400 Bad Request", response
    assert response.header("connection") == b"close"
    assert response.header("server") == b"cello"
    assert reason in response.body, response.body
    assert after == b"", "the connection served more after the 400"


def test_an_http11_request_without_host_gets_400_and_the_connection_closes(main_server):
    raw = b"GET /host HTTP/1.1\r\n\r\nGET /host HTTP/1.1\r\nHost: b\r\n\r\n"
    assert_rejected(main_server.port, raw, b"no Host header")


def test_an_http10_request_may_omit_host(main_server):
    response, _ = exchange(main_server.port, b"GET /host HTTP/1.0\r\n\r\n")
    assert response.status == 200
    assert json.loads(response.body) == {"url": "http://localhost/host", "host": None}


def test_two_host_headers_get_400(main_server):
    raw = b"GET /host HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"
    assert_rejected(main_server.port, raw, b"more than one Host header")


def test_two_host_headers_get_400_on_http10_too(main_server):
    raw = b"GET /host HTTP/1.0\r\nHost: a.example\r\nHost: a.example\r\n\r\n"
    response, _ = exchange(main_server.port, raw)
    assert response.status == 400


@pytest.mark.parametrize(
    "value",
    [
        b"a b/c?d",
        b"a/b",
        b"a?b",
        b"a#b",
        b"user@host",
        b"",
        b":80",
        b"host:8a",
        b"[::1",
        b"[::1]x",
        b"[zz::1]",
        b"[127.0.0.1]",
        b"a%zz",
        b"a%4",
        b"caf\xc3\xa9.example",
        b"a\\b",
        b"<script>",
    ],
)
def test_an_invalid_host_gets_400(main_server, value):
    raw = b"GET /host HTTP/1.1\r\nHost: " + value + b"\r\n\r\n"
    assert_rejected(main_server.port, raw, b"invalid Host header")


@pytest.mark.parametrize(
    "value",
    [
        "example.com",
        "Example.COM:8080",
        "127.0.0.1:1",
        "[::1]:8000",
        "[2001:db8::1]",
        "[::ffff:192.0.2.1]",
        "xn--caf-dma.example",
        "under_score.example",
        "a%20b",
        "a-b.c~d!$&'()*+,;=",
        "host:",
    ],
)
def test_a_valid_host_is_served_and_makes_the_url(main_server, value):
    raw = f"GET /host?q=1 HTTP/1.1\r\nHost: {value}\r\nConnection: close\r\n\r\n".encode()
    response, _ = exchange(main_server.port, raw)
    assert response.status == 200, response
    assert json.loads(response.body) == {"url": f"http://{value}/host?q=1", "host": value}


def test_an_absolute_form_target_wins_over_the_host_header(main_server):
    raw = b"GET http://good.example:8080/host?x=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    response, _ = exchange(main_server.port, raw)
    assert response.status == 200
    assert json.loads(response.body) == {"url": "http://good.example:8080/host?x=1", "host": "good.example:8080"}


def test_an_absolute_form_target_with_userinfo_gets_400(main_server):
    raw = b"GET http://user:pw@good.example/host HTTP/1.1\r\nHost: good.example\r\n\r\n"
    assert_rejected(main_server.port, raw, b"request target")


def test_an_absolute_form_target_still_needs_a_host_header_on_http11(main_server):
    assert_rejected(main_server.port, b"GET http://good.example/host HTTP/1.1\r\n\r\n", b"no Host header")


def test_the_host_rule_leaves_the_connection_usable_for_good_requests(main_server):
    with connect(main_server.port) as sock:
        buf = bytearray()
        for host in [b"one.example", b"two.example:81"]:
            sock.sendall(b"GET /host HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            response = read_response(sock, buf)
            assert json.loads(response.body)["host"] == host.decode()


def h2_get(port: int, headers: list[tuple[str, str]], validate: bool = True) -> tuple[int, bytes]:
    """One HTTP/2 request with prior knowledge; returns the status and body.
    ``validate=False`` lets the client send what h2 would refuse to."""
    with connect(port) as sock:
        config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=validate)
        conn = h2.connection.H2Connection(config=config)
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, headers, end_stream=True)
        sock.sendall(conn.data_to_send())
        status, body, ended = 0, b"", False
        while not ended:
            data = sock.recv(65536)
            assert data, "server closed the HTTP/2 connection before the response ended"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    ended = True
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                    raise AssertionError(f"stream reset: {event.error_code!r}")
            sock.sendall(conn.data_to_send())
        return status, body


def test_http2_authority_makes_the_url(main_server):
    status, body = h2_get(
        main_server.port,
        [(":method", "GET"), (":scheme", "http"), (":authority", "h2.example:8443"), (":path", "/host?a=b")],
    )
    assert status == 200
    assert json.loads(body) == {"url": "http://h2.example:8443/host?a=b", "host": "h2.example:8443"}


def test_http2_authority_wins_over_a_host_header(main_server):
    status, body = h2_get(
        main_server.port,
        [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "good.example"),
            (":path", "/host"),
            ("host", "evil.example"),
        ],
        validate=False,
    )
    assert status == 200
    assert json.loads(body)["host"] == "good.example"
