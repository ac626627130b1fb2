//! `axum-json PORT`: axum 0.8 with its default features, one route, `Json(...)` answer,
//! served by `axum::serve`: the nearest Rust framework to Cello's `App`.

use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let addr = match cello_anchors::addr_from_args() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("axum-json: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("axum-json: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let app = Router::new().route("/json", get(json));
    // No graceful shutdown: it would add a watch per connection that raw-hyper does not
    // pay. SIGINT just returns from main.
    tokio::select! {
        served = axum::serve(listener, app) => match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("axum-json: {e}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
