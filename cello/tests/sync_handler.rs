//! A [`SyncHandler`] route on a real socket: answered from the lookup when the request
//! has no body, after reading the body when it has one.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use cello::{App, Body, Response, SyncHandler, SyncRequest};
use http::Method;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Echoes what it was given: method, path and query, parameters, a header, the body.
struct Echo;

impl SyncHandler for Echo {
    fn respond(&self, req: &SyncRequest<'_>) -> Response {
        let params: Vec<String> = req
            .params()
            .map(|(name, value)| format!("{name}={value:?}"))
            .collect();
        let agent = req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let text = format!(
            "{} {} [{}] agent={agent} body={}",
            req.method(),
            req.uri(),
            params.join(","),
            String::from_utf8_lossy(req.body()),
        );
        Response::new(Body::full(text))
    }
}

fn exchange(addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (head[9..12].parse().unwrap(), body.to_string())
}

fn start() -> common::Running {
    let mut app = App::new();
    app.sync_route(Method::GET, "/echo/{name}/{n:int}", Echo)
        .unwrap();
    app.sync_route(Method::POST, "/echo/{name}/{n:int}", Echo)
        .unwrap();
    common::spawn(app)
}

#[test]
fn a_request_without_a_body_gets_its_head_and_typed_params() {
    let server = start();
    let (status, body) = exchange(
        server.addr,
        "GET /echo/a%20b/+7?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"GET /echo/a%20b/+7?x=1 [name=Str("a b"),n=Int(7)] agent=t/1 body="#
    );
}

#[test]
fn a_request_with_a_body_is_answered_once_the_body_is_read() {
    let server = start();
    let (status, body) = exchange(
        server.addr,
        "POST /echo/b/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"POST /echo/b/1 [name=Str("b"),n=Int(1)] agent=- body=hello"#
        )
    );
    let (status, body) = exchange(
        server.addr,
        "POST /echo/c/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    );
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"POST /echo/c/2 [name=Str("c"),n=Int(2)] agent=- body=abcde"#
        )
    );
}

#[test]
fn a_param_of_the_wrong_type_is_the_router_422() {
    let server = start();
    let (status, _) = exchange(
        server.addr,
        "GET /echo/a/seven HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 422);
}
