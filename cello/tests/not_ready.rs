//! A layer that is not always ready (a concurrency limit) behind the HTTP adapter: a
//! request that had to wait is served once the layer is ready, not left hanging.

mod common;

use cello::App;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use tower::limit::ConcurrencyLimitLayer;

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "slow"
}

async fn fast() -> &'static str {
    "fast"
}

#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    // Generous: the check is that an answer comes at all, not how fast.
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn a_request_that_waited_for_a_concurrency_limit_is_served_when_a_slot_frees() {
    let app = App::new()
        .get("/slow", slow)
        .get("/fast", fast)
        .layer(ConcurrencyLimitLayer::new(1));
    let server = common::spawn(app);
    let addr = server.addr;
    let first = std::thread::spawn(move || get(addr, "/slow"));
    std::thread::sleep(Duration::from_millis(50));
    // The slot is taken: this one waits for it, then is answered.
    let second = get(addr, "/fast");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    assert!(second.ends_with("fast"), "{second}");
    let first = first.join().unwrap();
    assert!(first.ends_with("slow"), "{first}");
    // And the connection after them is served too.
    assert!(get(addr, "/fast").ends_with("fast"));
}
