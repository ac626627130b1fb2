//! HTTP for Cello: the protocol over one connection, and the types every layer speaks.
//!
//! HTTP/1.1 (keep-alive, pipelining with batched flushes, chunked bodies,
//! `Expect: 100-continue`) and HTTP/2 with prior knowledge (h2c) come from hyper; this
//! crate adds what a server owes its users on top:
//!
//! - limits with defaults ([`HttpConfig`]): header section size and count (431), body
//!   size checked while the body streams in (413), a header-read timeout, body-read
//!   timeouts (time between reads, the whole request, an optional minimum rate: 408),
//!   a write timeout for clients that stop reading, and a keep-alive idle timeout;
//! - graceful shutdown that answers every request whose first byte has arrived, with
//!   `Connection: close`;
//! - a `Date` header (hyper's, cached and refreshed once a second) and a `Server`
//!   header on every response; `HEAD` answered without a body;
//! - a panic in a handler becomes a 500 and the connection keeps serving;
//! - an HTTP/1 request must frame its body one way, with a coding and a version this
//!   server speaks: `Content-Length` together with `Transfer-Encoding`, or `chunked`
//!   listed twice, is refused with 400; another transfer coding (`gzip, chunked`) with
//!   501; a major version other than 1 (`HTTP/2.0` on an HTTP/1 request line) with 505,
//!   each closing the connection; `HTTP/1.2` and up are served as HTTP/1.1. The rules
//!   look at each request head as hyper parses it, however the bytes arrived;
//! - a missing (on HTTP/1.1), repeated or invalid `Host` is refused with 400 and the
//!   connection closed ([`host`]), which also gives a request's authority;
//! - a status no final response may have (1xx, past 599) becomes a logged 500; 204,
//!   205 and 304 never carry content; a code without a registered reason gets an
//!   empty reason phrase ([`status`]).
//!
//! The shared vocabulary lives here: [`Request`], [`Response`], [`Body`], [`Error`]
//! and [`IntoResponse`]. Services are plain tower services over these types, and need
//! not be `Send`: each worker thread runs its own current-thread runtime.
//!
//! ```no_run
//! use cello_http::{IntoResponse, Request, Response, Server};
//! use std::convert::Infallible;
//!
//! let hello = tower::service_fn(|_req: Request| async {
//!     Ok::<Response, Infallible>("Hello, World!".into_response())
//! });
//! Server::bind("127.0.0.1:8080".parse().unwrap())
//!     .run(move || hello)
//!     .unwrap();
//! ```

mod adapter;
pub mod body;
mod body_timeout;
mod config;
mod connection;
mod error;
mod framing;
pub mod host;
pub mod response;
mod server;
pub mod status;
mod thread_bound;
#[cfg(feature = "tls")]
pub mod tls;

pub use adapter::is_multipart_form;
pub use body::Body;
pub use config::HttpConfig;
pub use connection::{Http, LocalExec};
pub use error::Error;
pub use response::IntoResponse;
pub use server::{serve_worker, Listening, Server, WorkerFuture};
#[cfg(feature = "tls")]
pub use tls::serve_worker_tls;

/// A request as handlers see it.
pub type Request = http::Request<Body>;
/// A response as handlers return it.
pub type Response = http::Response<Body>;

pub use http;
