//! The Host rule on a real socket (RFC 9112 §3.2): 400 and close for a missing,
//! repeated or invalid Host; the target's authority wins over Host.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use bytes::Bytes;
use cello_http::HttpConfig;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::io::Write;
use support::*;

/// Sends `raw` and a good request after it: the server answers 400 naming `reason`,
/// and closes before the good one.
fn assert_refused(raw: &[u8], reason: &str) {
    let srv = start(HttpConfig::default());
    let raw = [raw, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"].concat();
    let r = exchange_until_close(srv.addr, &raw);
    assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r}");
    assert_eq!(header(&r, "connection"), Some("close"), "{r}");
    assert_eq!(header(&r, "server"), Some("cello"), "{r}");
    assert!(r.contains(reason), "{r}");
    assert!(!r.contains("Hello, World!"), "served after the 400: {r}");
}

#[test]
fn an_http11_request_without_host_gets_400_and_the_connection_closes() {
    assert_refused(b"GET /hello HTTP/1.1\r\n\r\n", "no Host header");
}

#[test]
fn an_http10_request_may_omit_host() {
    let srv = start(HttpConfig::default());
    let r = exchange_until_close(srv.addr, b"GET /authority HTTP/1.0\r\n\r\n");
    assert!(r.starts_with("HTTP/1.0 200 OK\r\n"), "{r}");
    assert!(r.ends_with("\r\n\r\n-"), "{r}");
}

#[test]
fn two_host_headers_get_400() {
    assert_refused(
        b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "more than one Host header",
    );
}

#[test]
fn an_invalid_host_gets_400() {
    for host in [
        &b"a b/c?d"[..],
        b"",
        b"user@host",
        b"[::1",
        b"host:8a",
        b"caf\xc3\xa9",
    ] {
        let mut raw = b"GET /hello HTTP/1.1\r\nHost: ".to_vec();
        raw.extend_from_slice(host);
        raw.extend_from_slice(b"\r\n\r\n");
        assert_refused(&raw, "invalid Host header");
    }
}

#[test]
fn a_valid_host_is_the_authority() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    for host in ["example.com", "example.com:8080", "127.0.0.1:1", "[::1]:80"] {
        s.write_all(format!("GET /authority HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        let r = &read_responses(&mut s, 1)[0];
        assert!(r.ends_with(&format!("\r\n\r\n{host}")), "{r}");
    }
}

#[test]
fn an_absolute_form_target_wins_over_host() {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(b"GET http://good.example/authority HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        .unwrap();
    let r = &read_responses(&mut s, 1)[0];
    assert!(r.ends_with("\r\n\r\ngood.example"), "{r}");
}

#[test]
fn an_absolute_form_target_with_userinfo_gets_400() {
    assert_refused(
        b"GET http://u@good.example/hello HTTP/1.1\r\nHost: good.example\r\n\r\n",
        "request target",
    );
}

#[test]
fn http2_authority_is_the_authority() {
    let srv = start(HttpConfig::default());
    let addr = srv.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let req = http::Request::get("http://h2.example:8443/authority")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        assert_eq!(res.status(), 200);
        res.into_body().collect().await.unwrap().to_bytes()
    });
    assert_eq!(&body[..], b"h2.example:8443");
}
