//! HTTP/2 with prior knowledge on the same port as HTTP/1.1.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use bytes::Bytes;
use cello_http::HttpConfig;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

#[test]
fn serves_h2c_with_prior_knowledge() {
    let srv = start_srv();
    let addr = srv.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, server, body) = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let req = http::Request::get(format!("http://{addr}/hello"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        let status = res.status();
        let server = res.headers().get("server").cloned();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, server, body)
    });
    assert_eq!(status, 200);
    assert_eq!(server.unwrap(), "cello");
    assert_eq!(&body[..], b"Hello, World!");
}

fn start_srv() -> support::TestServer {
    support::start(HttpConfig::default())
}

#[test]
fn a_stalled_h2_request_body_gets_408() {
    let srv = support::start(HttpConfig {
        body_read_timeout: std::time::Duration::from_millis(300),
        ..HttpConfig::default()
    });
    let addr = srv.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        // HEADERS that promise 100 bytes, then no DATA at all.
        let never = http_body_util::StreamBody::new(futures_util::stream::pending::<
            Result<hyper::body::Frame<Bytes>, std::convert::Infallible>,
        >());
        let req = http::Request::post(format!("http://{addr}/echo"))
            .header("content-length", "100")
            .body(never)
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, body)
    });
    assert_eq!(status, 408);
    assert!(
        String::from_utf8_lossy(&body).contains("body_timeout"),
        "{body:?}"
    );
}

#[test]
fn an_http2_only_server_answers_http1_with_505_and_still_serves_h2c() {
    let srv = support::start(HttpConfig {
        http1: false,
        ..HttpConfig::default()
    });
    let reply =
        support::exchange_until_close(srv.addr, b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 505 "), "{reply}");
    assert!(reply.contains("HTTP/2 only"), "{reply}");
    serves_h2c_on(srv.addr);
}

fn serves_h2c_on(addr: std::net::SocketAddr) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let req = http::Request::get(format!("http://{addr}/hello"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        send.send_request(req).await.unwrap().status()
    });
    assert_eq!(status, 200);
}
