//! The framing guard on a real socket: a request framed two ways, transfer codings the
//! server does not speak, and HTTP versions other than 1.1.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use cello_http::HttpConfig;
use std::io::Write;
use std::time::Duration;
use support::*;

const GET: &[u8] = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

/// Sends `raw`, expects one response with `status` that closes the connection.
fn refused_and_closed(raw: &[u8], status: &str) -> String {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(srv.addr, raw);
    assert!(r.starts_with(&format!("HTTP/1.1 {status}")), "{r}");
    assert_eq!(header(&r, "connection"), Some("close"), "{r}");
    assert_eq!(
        r.matches("HTTP/1.1 ").count(),
        1,
        "more than one answer: {r}"
    );
    r
}

#[test]
fn refuses_length_and_chunked_in_either_order_with_400_and_closes() {
    for raw in [
        &b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ] {
        let r = refused_and_closed(&[raw, GET].concat(), "400");
        assert!(r.contains("Content-Length and Transfer-Encoding"), "{r}");
    }
}

#[test]
fn refuses_length_and_chunked_with_9_kib_of_headers_between_them() {
    // 60 fields stay under the 100-field limit, 9.6 KiB under the 16 KiB head limit.
    let filler: String = (0..60)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "a".repeat(150)))
        .collect();
    assert!(filler.len() > 9 * 1024);
    let raw = [
        &b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"[..],
        filler.as_bytes(),
        b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    ]
    .concat();
    refused_and_closed(&raw, "400");
}

#[test]
fn serves_a_chunked_body_that_contains_header_text_and_the_request_after_it() {
    let text = b"content-length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let raw = [
        &b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        format!("{:x}\r\n", text.len()).as_bytes(),
        text,
        b"\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
    ]
    .concat();
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(&raw).unwrap();
    let rs = read_responses(&mut s, 2);
    assert!(rs[0].starts_with("HTTP/1.1 200"), "{}", rs[0]);
    assert!(
        rs[0].ends_with(std::str::from_utf8(text).unwrap()),
        "{}",
        rs[0]
    );
    assert!(
        rs[1].starts_with("HTTP/1.1 200") && rs[1].ends_with("\r\n\r\nok"),
        "{}",
        rs[1]
    );
}

#[test]
fn refuses_chunked_listed_twice_with_400_and_closes() {
    for te in [
        &b"Transfer-Encoding: chunked, chunked\r\n"[..],
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: CHUNKED ,chunked\r\n",
    ] {
        let raw = [
            &b"POST /echo HTTP/1.1\r\nHost: x\r\n"[..],
            te,
            b"\r\n0\r\n\r\n",
            GET,
        ]
        .concat();
        let r = refused_and_closed(&raw, "400");
        assert!(r.contains("chunked more than once"), "{r}");
    }
}

#[test]
fn refuses_a_coding_other_than_chunked_with_501_and_closes() {
    for (te, coding) in [
        (&b"Transfer-Encoding: gzip, chunked\r\n"[..], "gzip"),
        (
            b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
            "gzip",
        ),
        (
            b"Transfer-Encoding: , deflate ;q=1 ,  chunked\r\n",
            "deflate",
        ),
    ] {
        let raw = [
            &b"POST /echo HTTP/1.1\r\nHost: x\r\n"[..],
            te,
            b"\r\n0\r\n\r\n",
            GET,
        ]
        .concat();
        let r = refused_and_closed(&raw, "501");
        assert!(
            r.contains(&format!("Transfer-Encoding {coding} is not supported")),
            "{r}"
        );
    }
}

#[test]
fn serves_http_1_2_as_http_1_1() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET /hello HTTP/1.2\r\nHost: x\r\n\r\nGET /hello HTTP/1.9\r\nHost: x\r\n\r\n")
        .unwrap();
    for r in read_responses(&mut s, 2) {
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.ends_with("Hello, World!"), "{r}");
    }
}

#[test]
fn answers_other_major_versions_with_505_and_closes() {
    for version in ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9"] {
        let raw = format!(
            "GET /hello {version}\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        let r = refused_and_closed(raw.as_bytes(), "505");
        assert!(r.contains(&format!("{version} is not supported")), "{r}");
    }
}

#[test]
fn answers_505_after_served_requests_and_when_the_version_arrives_in_pieces() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.set_nodelay(true).unwrap();
    s.write_all(GET).unwrap();
    assert!(read_responses(&mut s, 1)[0].ends_with("Hello, World!"));
    // hyper would refuse `HTTP/2` as soon as it saw the `2`, in a partial head.
    for piece in [&b"GET /hello HTTP/"[..], b"2", b".0\r\nHost: x\r\n\r\n"] {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    let r = read_to_close(&mut s);
    assert!(r.starts_with("HTTP/1.1 505"), "{r}");
}

#[test]
fn still_serves_h2c_with_prior_knowledge_when_written_byte_by_byte() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.set_nodelay(true).unwrap();
    // The preface, then an empty SETTINGS frame: the server answers with its own SETTINGS.
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    for b in preface {
        s.write_all(&[*b]).unwrap();
    }
    let mut frame = [0u8; 9];
    std::io::Read::read_exact(&mut s, &mut frame).unwrap();
    assert_eq!(frame[3], 0x04, "expected a SETTINGS frame, got {frame:?}");
}
