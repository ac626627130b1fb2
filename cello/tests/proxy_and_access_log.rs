//! cello-middleware's trusted-proxies and access-log layers on a `cello::App`, through
//! `App::layer`, served on a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use cello::{App, Body};
use cello_middleware::access_log::{AccessLogBody, AccessLogLayer, AccessRecord};
use cello_middleware::forwarded::{ClientInfo, TrustedProxiesLayer};
use http::request::Parts;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceBuilder;

async fn who(parts: Parts) -> String {
    match parts.extensions.get::<ClientInfo>() {
        Some(info) => format!(
            "{:?} {}",
            info.client,
            info.scheme.map_or("-", |s| s.as_str())
        ),
        None => "direct".to_owned(),
    }
}

#[test]
fn trusted_proxies_and_the_access_log_are_ordinary_app_layers() {
    let records: Arc<Mutex<Vec<AccessRecord>>> = Arc::default();
    let sink = {
        let records = Arc::clone(&records);
        move |record| records.lock().unwrap().push(record)
    };
    // The access log wraps the body to count it: map it back to Cello's `Body`.
    let access_log = ServiceBuilder::new()
        .map_response(|res: http::Response<AccessLogBody<Body, _>>| res.map(Body::new))
        .layer(AccessLogLayer::new(sink));
    // The last layer added is the outermost: trusted proxies run first. Layers added
    // with `App::layer` get no `ConnectInfo` (only `App::middleware`'s stack adds it),
    // so only `*` trusts here.
    let app = App::new()
        .get("/who", who)
        .layer(access_log)
        .layer(TrustedProxiesLayer::new(["*"]).unwrap());
    let server = common::spawn(app);
    let mut stream = TcpStream::connect(server.addr).expect("the server listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            b"GET /who?q=1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n\
              X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    drop(server); // stopped and joined: every record is in

    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let body = out.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(body, "Some(203.0.113.9:0) https");
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].target, "/who?q=1");
    assert_eq!(records[0].status, 200);
    assert_eq!(records[0].bytes, body.len() as u64);
    assert_eq!(records[0].client, Some("203.0.113.9:0".parse().unwrap()));
}
