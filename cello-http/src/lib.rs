#![doc = include_str!("../README.md")]

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
