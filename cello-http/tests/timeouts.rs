//! Clients that stall or trickle a request body, stop reading a response, or pile up
//! at the connection cap: each gets a clear answer and never locks out other clients.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use cello_http::HttpConfig;
use cello_net::ServeConfig;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::{connect, header, read_responses, read_to_close, start, start_with};

fn config() -> HttpConfig {
    HttpConfig {
        body_read_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    }
}

#[test]
fn a_stalled_body_gets_408_and_the_connection_closes() {
    let srv = start(config());
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .unwrap();
    let r = read_to_close(&mut s);
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    assert_eq!(header(&r, "connection"), Some("close"));
    assert!(
        r.contains("body_timeout"),
        "the message names the setting: {r}"
    );
}

#[test]
fn a_body_that_keeps_flowing_is_read_whole() {
    let srv = start(config());
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        .unwrap();
    for piece in [b"01", b"23", b"45", b"67", b"89"] {
        std::thread::sleep(Duration::from_millis(60));
        s.write_all(piece).unwrap();
    }
    let r = &read_responses(&mut s, 1)[0];
    assert!(
        r.starts_with("HTTP/1.1 200") && r.ends_with("0123456789"),
        "{r}"
    );
}

#[test]
fn a_body_trickled_past_the_whole_request_deadline_gets_408() {
    let srv = start(HttpConfig {
        body_read_timeout: Duration::from_secs(10),
        request_read_timeout: Duration::from_millis(500),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    // One byte every 50 ms: never a long gap, but the whole request is too slow.
    let mut sent = 0;
    while sent < 100 && s.write_all(b"x").is_ok() {
        sent += 1;
        std::thread::sleep(Duration::from_millis(50));
        if sent == 20 {
            break;
        }
    }
    let r = read_to_close(&mut s);
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    assert!(r.contains("request_read_timeout"), "{r}");
}

#[test]
fn a_body_under_the_minimum_rate_gets_408() {
    let srv = start(HttpConfig {
        body_read_timeout: Duration::from_millis(300),
        min_body_rate: 1000,
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    // 10 bytes every 100 ms is 100 bytes/s, a tenth of the minimum.
    for _ in 0..10 {
        if s.write_all(b"xxxxxxxxxx").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = read_to_close(&mut s);
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    assert!(r.contains("min_body_rate"), "{r}");
}

#[test]
fn stalled_bodies_never_lock_out_new_clients() {
    let body_timeout = Duration::from_secs(1);
    let srv = start_with(
        HttpConfig {
            body_read_timeout: body_timeout,
            ..HttpConfig::default()
        },
        ServeConfig {
            max_connections: 20,
            ..ServeConfig::default()
        },
    );
    let stalled: Vec<_> = (0..20)
        .map(|_| {
            let mut s = connect(srv.addr);
            s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let mut s = connect(srv.addr);
    s.set_read_timeout(Some(body_timeout + Duration::from_secs(1)))
        .unwrap();
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let r = &read_responses(&mut s, 1)[0];
    assert!(r.ends_with("Hello, World!"), "{r}");
    assert!(
        started.elapsed() >= body_timeout / 2,
        "the cap was not reached"
    );
    drop(stalled);
}

#[test]
fn at_the_cap_the_longest_idle_connection_makes_room() {
    let srv = start_with(
        HttpConfig {
            keep_alive_timeout: Duration::from_secs(60),
            ..HttpConfig::default()
        },
        ServeConfig {
            max_connections: 3,
            ..ServeConfig::default()
        },
    );
    // Three keep-alive connections, idle after one request each; the first is the oldest.
    let mut idle: Vec<_> = (0..3)
        .map(|_| {
            let mut s = connect(srv.addr);
            s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            read_responses(&mut s, 1);
            std::thread::sleep(Duration::from_millis(20));
            s
        })
        .collect();
    let mut fresh = connect(srv.addr);
    fresh
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut fresh, 1)[0].ends_with("Hello, World!"));
    let mut byte = [0u8; 1];
    assert_eq!(
        idle[0].read(&mut byte).unwrap(),
        0,
        "the oldest idle one was closed"
    );
    // The others are still served.
    for s in &mut idle[1..] {
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert!(read_responses(s, 1)[0].ends_with("Hello, World!"));
    }
}

#[test]
fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
    let srv = start(HttpConfig {
        write_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    });
    let mut s = connect(srv.addr);
    s.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server never closed: {e} after {got} bytes"),
        }
    }
    assert!(got < 32 << 20, "the whole response was sent ({got} bytes)");
}

/// A request whose bytes are in the socket when shutdown fires is answered, with
/// `Connection: close`, never dropped. The worker is kept busy (a handler that blocks
/// its thread) while the request arrives and shutdown fires, so the connection sees the
/// stop before the reactor has seen its bytes: the order that used to lose requests.
#[test]
fn a_request_sent_just_before_shutdown_is_answered() {
    let srv = start(HttpConfig::default());
    let mut idle = connect(srv.addr);
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    read_responses(&mut idle, 1);
    let mut busy = connect(srv.addr);
    busy.write_all(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    srv.shutdown.trigger();
    let r = read_to_close(&mut idle);
    assert!(r.ends_with("Hello, World!"), "{r:?}");
    assert_eq!(header(&r, "connection"), Some("close"));
    assert!(read_to_close(&mut busy).ends_with("blocked"));
}
