//! What a client sees for each kind of status a service answers with.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use cello_http::HttpConfig;
use std::io::Write;
use support::*;

/// GET /status/<code>, then /hello on the same connection: the two responses.
fn answer(code: u16) -> (String, String) {
    let srv = start(HttpConfig::default());
    let mut s = connect(srv.addr);
    s.write_all(
        format!("GET /status/{code} HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let all = read_to_close(&mut s);
    let second = all.rfind("HTTP/1.1 ").unwrap();
    (all[..second].to_string(), all[second..].to_string())
}

#[test]
fn an_informational_or_out_of_range_status_is_a_500_with_the_server_header() {
    for code in [100, 101, 103, 199, 600, 999] {
        let (first, second) = answer(code);
        assert!(
            first.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
            "{code}: {first}"
        );
        assert_eq!(header(&first, "server"), Some("cello"), "{code}: {first}");
        assert!(first.ends_with("\r\n\r\nInternal Server Error"), "{first}");
        // The connection keeps serving.
        assert!(second.ends_with("Hello, World!"), "{code}: {second}");
    }
}

#[test]
fn a_205_carries_no_body_and_content_length_0() {
    let (first, second) = answer(205);
    assert!(
        first.starts_with("HTTP/1.1 205 Reset Content\r\n"),
        "{first}"
    );
    assert_eq!(header(&first, "content-length"), Some("0"), "{first}");
    assert!(first.ends_with("\r\n\r\n"), "a body was sent: {first:?}");
    assert!(second.ends_with("Hello, World!"), "{second}");
}

#[test]
fn a_204_and_a_304_carry_no_body() {
    for (code, line) in [(204, "204 No Content"), (304, "304 Not Modified")] {
        let (first, second) = answer(code);
        assert!(
            first.starts_with(&format!("HTTP/1.1 {line}\r\n")),
            "{first}"
        );
        assert_eq!(header(&first, "server"), Some("cello"), "{first}");
        assert!(first.ends_with("\r\n\r\n"), "a body was sent: {first:?}");
        assert!(second.ends_with("Hello, World!"), "{second}");
    }
}

#[test]
fn an_unregistered_status_has_an_empty_reason_phrase() {
    for code in [299, 432, 599] {
        let (first, _) = answer(code);
        assert!(
            first.starts_with(&format!("HTTP/1.1 {code} \r\n")),
            "{first:?}"
        );
        assert!(first.ends_with("\r\n\r\ns"), "{first}");
    }
}

#[test]
fn a_registered_status_keeps_its_reason_phrase() {
    let (first, _) = answer(404);
    assert!(first.starts_with("HTTP/1.1 404 Not Found\r\n"), "{first}");
}

#[test]
fn a_101_passes_only_for_an_http11_request_that_asked_to_upgrade() {
    let srv = start(HttpConfig::default());
    let ask = |raw: &[u8]| {
        let mut s = connect(srv.addr);
        s.write_all(raw).unwrap();
        read_to_close(&mut s)
    };
    // The service did not take the connection over: it is closed after the 101.
    let upgraded =
        ask(b"GET /status/101 HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n");
    assert!(
        upgraded.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{upgraded}"
    );
    // HTTP/1.0 has no upgrades.
    let old =
        ask(b"GET /status/101 HTTP/1.0\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n");
    assert!(
        old.starts_with("HTTP/1.0 500") || old.starts_with("HTTP/1.1 500"),
        "{old}"
    );
}
