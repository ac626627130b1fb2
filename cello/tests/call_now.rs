//! `Handler::call_now` on a real socket: a handler that answers at once is answered
//! without its future, and one that cannot falls back to the future.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use cello::{App, Body, Handler, HandlerFuture, Request, RequestContext, Response};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Answers at once for `GET`, through its future otherwise; counts which path ran.
#[derive(Clone, Default)]
struct Counted {
    now: Arc<AtomicUsize>,
    later: Arc<AtomicUsize>,
}

impl Handler<(), ()> for Counted {
    fn call(&self, _req: Request, _ctx: RequestContext<()>) -> HandlerFuture {
        self.later.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Response::new(Body::full("later")) })
    }

    fn call_now(&self, req: Request, ctx: RequestContext<()>) -> Result<Response, HandlerFuture> {
        if req.method() != http::Method::GET {
            return Err(self.call(req, ctx));
        }
        self.now.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(Body::full("now")))
    }
}

fn exchange(addr: std::net::SocketAddr, raw: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_route_table_takes_an_answer_made_at_once_and_falls_back_to_the_future() {
    let handler = Counted::default();
    let (now, later) = (handler.now.clone(), handler.later.clone());
    let app = App::new().get("/x", handler.clone()).post("/x", handler);
    let server = common::spawn(app);
    let got = exchange(
        server.addr,
        "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(
        got.starts_with("HTTP/1.1 200") && got.ends_with("\r\n\r\nnow"),
        "{got}"
    );
    let got = exchange(
        server.addr,
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert!(got.ends_with("\r\n\r\nlater"), "{got}");
    assert_eq!(
        (now.load(Ordering::SeqCst), later.load(Ordering::SeqCst)),
        (1, 1)
    );
}
