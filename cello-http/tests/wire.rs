//! The HTTP engine on a real socket: what a client sees for good and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use cello_http::HttpConfig;
use std::io::Write;
use std::time::{Duration, Instant};
use support::*;

#[test]
fn answers_with_date_server_content_type_and_length() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let r = &read_responses(&mut s, 1)[0];
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert!(header(r, "date").is_some_and(|d| d.ends_with("GMT")), "{r}");
    assert_eq!(header(r, "server"), Some("cello"));
    assert_eq!(header(r, "content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(header(r, "content-length"), Some("13"));
    assert!(r.ends_with("\r\n\r\nHello, World!"));
}

#[test]
fn keeps_the_connection_alive_between_requests() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    for _ in 0..3 {
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let r = &read_responses(&mut s, 1)[0];
        assert!(r.ends_with("Hello, World!"));
    }
}

#[test]
fn answers_pipelined_requests_in_order() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let rs = read_responses(&mut s, 3);
    assert!(rs[0].ends_with("Hello, World!"));
    assert!(rs[1].ends_with("\r\n\r\nabc"));
    assert!(rs[2].starts_with("HTTP/1.1 404"));
}

#[test]
fn reads_chunked_request_bodies() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut s, 1)[0].ends_with("\r\n\r\nhello world"));
}

#[test]
fn sends_100_continue_before_reading_the_body() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let mut buf = [0u8; 64];
    let n = std::io::Read::read(&mut s, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"ping").unwrap();
    assert!(read_responses(&mut s, 1)[0].ends_with("ping"));
}

#[test]
fn head_gets_the_headers_without_the_body() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The HEAD answer carries Content-Length: 13 but no body; the next response follows at once.
    let all = read_to_first_two(&mut s);
    let (head, rest) = all.split_once("\r\n\r\n").unwrap();
    assert!(head.contains("content-length: 13"), "{head}");
    assert!(rest.starts_with("HTTP/1.1 200 OK"), "{rest}");
}

fn read_to_first_two(s: &mut std::net::TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&out).ends_with("Hello, World!") {
        let n = std::io::Read::read(s, &mut buf).unwrap();
        assert!(n > 0);
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn rejects_a_malformed_request_line_with_400_and_closes() {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(srv.addr, b"GET /hello HTTP/1.1 extra\r\nHost: x\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    let r = exchange_until_close(srv.addr, b"\x01\x02garbage\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
}

#[test]
fn rejects_a_malformed_header_with_400_and_closes() {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(
        srv.addr,
        b"GET /hello HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
}

#[test]
fn rejects_an_invalid_content_length_with_400_and_closes() {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(
        srv.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    let r = exchange_until_close(
        srv.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    );
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
}

#[test]
fn a_chunked_request_after_one_with_a_length_is_served() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcPOST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")
        .unwrap();
    let rs = read_responses(&mut s, 2);
    assert!(rs[0].ends_with("abc"), "{}", rs[0]);
    assert!(rs[1].ends_with("\r\n\r\nhi"), "{}", rs[1]);
}

// Found by `cargo xtask fuzz` (http_request): the smuggling check searches every
// recent byte of the connection, not the head of the request being answered, so a
// well-formed chunked request is refused when a request framed two ways is pipelined
// behind it in the same read. Ignored until smuggling.rs scopes its search.
#[test]
fn a_chunked_request_before_one_framed_two_ways_is_served_then_the_second_refused() {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(
        srv.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    let second_at = r[1..].find("HTTP/1.1 ").map_or(r.len(), |i| i + 1);
    let (first, second) = r.split_at(second_at);
    assert!(first.starts_with("HTTP/1.1 200"), "{r}");
    assert!(first.ends_with("\r\n\r\nabc"), "{r}");
    assert!(second.starts_with("HTTP/1.1 400"), "{r}");
}

#[test]
fn rejects_an_oversized_header_section_with_431() {
    let srv = start(HttpConfig::default());
    let big = "a".repeat(20 * 1024);
    let req = format!("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let r = exchange_until_close(srv.addr, req.as_bytes());
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");
}

#[test]
fn rejects_too_many_headers_with_431() {
    let srv = start(HttpConfig {
        max_headers: 10,
        ..HttpConfig::default()
    });
    let mut req = String::from("GET /hello HTTP/1.1\r\nHost: x\r\n");
    for i in 0..20 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let r = exchange_until_close(srv.addr, req.as_bytes());
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");
}

#[test]
fn rejects_a_declared_body_over_the_limit_with_413_before_reading_it() {
    let srv = start(HttpConfig {
        max_body_bytes: 16,
        ..HttpConfig::default()
    });
    let r = exchange_until_close(
        srv.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert!(r.contains("exceeds the 16 bytes limit"), "{r}");
}

#[test]
fn without_the_early_limit_the_service_answers_a_declared_body_over_the_limit_and_the_connection_closes(
) {
    let srv = start(HttpConfig {
        max_body_bytes: 16,
        early_body_limit: false,
        ..HttpConfig::default()
    });
    // The service reads the body: its first read fails with the 413 error, whose
    // answer the service gives (here the error's own response).
    let r = exchange_until_close(
        srv.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert!(r.contains("exceeds the 16 bytes limit"), "{r}");
    assert_eq!(header(&r, "connection"), Some("close"), "{r}");
    // The service does not read it: its answer goes out, and the unread body closes
    // the connection.
    let r = exchange_until_close(
        srv.addr,
        b"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert_eq!(header(&r, "connection"), Some("close"), "{r}");
}

#[test]
fn rejects_a_streamed_body_over_the_limit_with_413_while_it_streams() {
    let srv = start(HttpConfig {
        max_body_bytes: 16,
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    // Chunked: no length up front. The server must answer once 16 bytes are crossed,
    // without waiting for the rest (which never comes).
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n")
        .unwrap();
    let r = read_to_close(&mut s);
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
}

#[test]
fn cuts_off_a_client_that_sends_headers_too_slowly() {
    let srv = start(HttpConfig {
        header_read_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    let t = Instant::now();
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n").unwrap();
    let r = read_to_close(&mut s);
    let waited = t.elapsed();
    assert!(!r.contains("200 OK"), "{r}");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn cuts_off_a_client_that_trickles_header_bytes_past_the_timeout() {
    let srv = start(HttpConfig {
        header_read_timeout: Duration::from_millis(400),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    let t = Instant::now();
    // One byte every 50 ms keeps the connection busy, but the head never completes.
    let mut closed = false;
    for b in
        b"GET /hello HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            .iter()
    {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if t.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let rest = if closed {
        String::new()
    } else {
        read_to_close(&mut s)
    };
    assert!(!rest.contains("200 OK"), "{rest}");
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn closes_an_idle_keep_alive_connection_after_the_timeout() {
    let srv = start(HttpConfig {
        keep_alive_timeout: Duration::from_millis(400),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    read_responses(&mut s, 1);
    let t = Instant::now();
    let rest = read_to_close(&mut s);
    assert_eq!(rest, "");
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn keeps_a_slow_request_open_past_the_idle_timeout() {
    let srv = start(HttpConfig {
        keep_alive_timeout: Duration::from_millis(100),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut s, 1)[0].ends_with("slow done"));
}

#[test]
fn a_panicking_handler_gets_500_and_the_server_keeps_serving() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let r = &read_responses(&mut s, 1)[0];
    assert!(r.starts_with("HTTP/1.1 500"), "{r}");
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut s, 1)[0].ends_with("Hello, World!"));
}

#[test]
fn graceful_shutdown_lets_the_request_in_flight_finish() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    srv.shutdown.trigger();
    let r = read_to_close(&mut s);
    assert!(r.ends_with("slow done"), "{r}");
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        std::net::TcpStream::connect(srv.addr).is_err(),
        "still accepting after shutdown"
    );
}
