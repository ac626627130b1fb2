//! `cello-hello`: the pure-Rust Cello example app, and the Rust reference in benchmarks.
//!
//! It is an app on the `cello` crate with no Python in sight: [`cello::App`] routes to
//! async handlers, behind the request-id layer from cello-middleware, served by
//! [`cello::serve`] (one current-thread runtime and one listener per worker, all on
//! one port), with JSON written by cello-json's writer functions.
//!
//! ```text
//! cello-hello [ADDRESS] [WORKERS]      # defaults: 127.0.0.1:8080 and 1; port 0 picks one
//!
//! GET /plaintext        Hello, World!                 text/plain
//! GET /json             {"message":"Hello, World!"}   application/json
//! GET /async-json       the same
//! GET /users/{id:int}   {"id":<id>}                   (also /user/{id:int})
//! GET /async-sleep      {"ok":true} after 1 ms
//! ```
//!
//! Unknown paths get 404, a known path with another method 405 with `Allow`, a path
//! parameter that is not an integer 422 — each with a JSON `{"detail": "..."}` body.

mod handlers;
mod routes;

use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: cello-hello [ADDRESS] [WORKERS]  (defaults: 127.0.0.1:8080 1)";

fn main() -> ExitCode {
    let (addr, workers) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("cello-hello: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Bind first: a busy port fails here, and port 0 is announced as the one picked.
    let server = match cello::serve(addr, routes::app()).workers(workers).listen() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cello-hello: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "cello-hello: serving on http://{} with {workers} worker(s)",
        server.local_addr()
    );
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cello-hello: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads `[ADDRESS] [WORKERS]`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(SocketAddr, usize), String> {
    let addr = match args.next() {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(a) => a.parse().map_err(|_| {
            format!("`{a}` is not an address; write it as IP:PORT, e.g. 0.0.0.0:8080")
        })?,
    };
    let workers = match args.next() {
        None => 1,
        Some(w) => match w.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "`{w}` is not a worker count; give a whole number ≥ 1"
                ))
            }
        },
    };
    if let Some(extra) = args.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    Ok((addr, workers))
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn defaults_to_localhost_8080_and_one_worker() {
        let (addr, workers) = parse_args(args(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(addr.to_string(), "127.0.0.1:8080");
        assert_eq!(workers, 1);
    }

    #[test]
    fn reads_address_and_worker_count() {
        let (addr, workers) =
            parse_args(args(&["0.0.0.0:9000", "4"])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(addr.to_string(), "0.0.0.0:9000");
        assert_eq!(workers, 4);
    }

    #[test]
    fn rejects_a_bad_address_or_zero_workers() {
        assert!(parse_args(args(&["localhost"])).is_err());
        assert!(parse_args(args(&["127.0.0.1:1", "0"])).is_err());
        assert!(parse_args(args(&["127.0.0.1:1", "1", "x"])).is_err());
    }
}
