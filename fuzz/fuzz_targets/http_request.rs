//! Arbitrary bytes from a client into the HTTP engine (HTTP/1.1 and h2c detection,
//! limits, the body reader): the server must never panic, and whatever it writes back
//! must start like an HTTP response.

#![no_main]

use cello_http::{Body, Http, HttpConfig, IntoResponse, Request, Response};
use cello_net::Shutdown;
use libfuzzer_sys::fuzz_target;
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn echo(req: Request) -> Result<Response, Infallible> {
    Ok(match req.into_body().to_bytes().await {
        Ok(b) => Response::new(Body::full(b)),
        Err(e) => e.into_response(),
    })
}

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let http = Http::new(HttpConfig {
            max_body_bytes: 4096,
            header_read_timeout: Duration::from_millis(50),
            keep_alive_timeout: Duration::from_millis(50),
            ..HttpConfig::default()
        });
        let conn = tokio::task::spawn_local(async move {
            http.serve_connection(server, tower::service_fn(echo), Shutdown::new())
                .await
        });
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_millis(500), client.read_to_end(&mut out)).await;
        drop(client);
        let _ = tokio::time::timeout(Duration::from_millis(500), conn).await;
        if !out.is_empty() && !data.starts_with(b"PRI * HTTP/2.0") {
            assert!(out.starts_with(b"HTTP/1."), "not an HTTP response: {:?}", &out[..out.len().min(64)]);
        }
    });
});
