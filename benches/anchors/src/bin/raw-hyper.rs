//! `raw-hyper PORT`: hyper 1's `http1::Builder` with a `service_fn`, nothing else: the
//! floor any server built on hyper and tokio pays per request.

use std::convert::Infallible;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/json" {
        let mut not_found = Response::new(Full::new(Bytes::new()));
        *not_found.status_mut() = StatusCode::NOT_FOUND;
        return Ok(not_found);
    }
    let mut res = Response::new(Full::new(Bytes::from_static(cello_anchors::JSON_BODY)));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(res)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let addr = match cello_anchors::addr_from_args() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("raw-hyper: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("raw-hyper: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return ExitCode::SUCCESS,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(async move {
                    let conn = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(answer));
                    // A client that resets its connection is not the server's error.
                    let _ = conn.await;
                });
            }
        }
    }
}
