//! Anchor servers for Cello's instruction counts: what the same `GET /json` costs on
//! raw hyper and on axum, the floor and the nearest Rust framework.
//!
//! ```text
//! raw-hyper PORT     # hyper 1 http1::Builder + service_fn, one fixed response
//! axum-json PORT     # axum 0.8 Router, Json(...) answer
//! ```
//!
//! Both bind 127.0.0.1:PORT on a current-thread tokio runtime (as each Cello worker
//! is) and return from `main` on SIGINT, so that callgrind writes its counts
//! (`instr-per-request.sh` stops servers that way). How they are measured and what the
//! figures are: `benches/NOTES.md`, "Where a /json request's instructions go".

use std::net::SocketAddr;

/// The body both anchors answer `/json` with, as Cello's benchmark apps do.
pub const JSON_BODY: &[u8] = br#"{"message":"Hello, World!"}"#;

/// The address to bind, from the first argument (a port).
pub fn addr_from_args() -> Result<SocketAddr, String> {
    let arg = std::env::args()
        .nth(1)
        .ok_or("usage: SERVER PORT (binds 127.0.0.1:PORT)")?;
    let port: u16 = arg
        .parse()
        .map_err(|_| format!("`{arg}` is not a port; give a number from 0 to 65535"))?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}
