//! One connection of the real engine (`cello_http::Http::serve_connection`) over an
//! in-memory duplex stream, driven by a client that writes fuzzer-chosen bytes.
//!
//! The runtime's clock is paused: whenever nothing can run, tokio jumps to the next
//! timer, so a conversation that ends on the keep-alive timeout takes microseconds,
//! and ends the same way on every run (a crash reproduces).

use cello_http::{Body, Http, HttpConfig, IntoResponse, Request, Response};
use cello_net::Shutdown;
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The largest request body the harness server accepts (413 past it).
pub const MAX_BODY: u64 = 4096;

/// How long the client waits (in paused time, 20 keep-alive timeouts) for the server
/// to close: a request whose body never completes keeps the connection open (no body
/// timeout yet), and every tick of the connection's timer costs an execution.
const CLIENT_PATIENCE: Duration = Duration::from_secs(1);

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("cannot build the fuzzing runtime");
}

/// The harness server's limits: small, so that inputs reach them.
pub fn config() -> HttpConfig {
    HttpConfig {
        max_body_bytes: MAX_BODY,
        // Measured on the real clock, which barely moves in a run: it never fires, and
        // the keep-alive timer (counted in ticks of the paused clock) ends idle inputs.
        header_read_timeout: Duration::from_secs(3600),
        keep_alive_timeout: Duration::from_millis(50),
        ..HttpConfig::default()
    }
}

/// The harness app: answers every request with its body (a read error becomes the
/// error's response, e.g. 413).
async fn echo(req: Request) -> Result<Response, Infallible> {
    Ok(match req.into_body().to_bytes().await {
        Ok(b) => Response::new(Body::full(b)),
        Err(e) => e.into_response(),
    })
}

/// Serves one connection that receives `writes` (one write each, the server running
/// in between), then half-closes it when `half_close`, and returns everything the
/// server wrote until it closed the connection.
pub fn converse(writes: &[&[u8]], half_close: bool) -> Vec<u8> {
    RUNTIME.with(|rt| {
        let local = tokio::task::LocalSet::new();
        local.block_on(rt, async {
            let (client, server) = tokio::io::duplex(64 * 1024);
            let http = Http::new(config());
            let conn = tokio::task::spawn_local(async move {
                http.serve_connection(server, tower::service_fn(echo), Shutdown::new())
                    .await
            });
            let (mut rd, mut wr) = tokio::io::split(client);
            let writer = async {
                for w in writes {
                    if wr.write_all(w).await.is_err() {
                        break;
                    }
                    // Let the server read this piece alone before the next arrives.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                if half_close {
                    let _ = wr.shutdown().await;
                }
                wr
            };
            let reader = async {
                let mut out = Vec::new();
                let _ = tokio::time::timeout(CLIENT_PATIENCE, rd.read_to_end(&mut out)).await;
                out
            };
            let (wr, out) = tokio::join!(writer, reader);
            drop(wr);
            drop(rd);
            let _ = tokio::time::timeout(CLIENT_PATIENCE, conn).await;
            out
        })
    })
}
