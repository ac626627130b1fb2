//! Give every request an id, and echo it on the response.
//!
//! [`RequestIdLayer`] makes sure each request carries an `x-request-id` header (the name
//! is configurable) and copies it to the response, so a log line, a trace and the
//! client's error report can be matched.
//!
//! - An incoming id is kept when it is 1 to [`MAX_LEN`] visible ASCII characters
//!   (`!` to `~`, no spaces or control characters) and appears once. Anything else is
//!   dropped and replaced, so a client cannot smuggle newlines or megabytes into logs.
//! - A new id comes from [`PrefixedCounter`]: a random per-process prefix and an atomic
//!   counter (`3f9a1c0b7e2d-42`). That is unique without generating a UUID per request.
//! - Handlers and logging layers read the id from the request's header; it is not
//!   copied into the extensions (see [`RequestId`] for why).
//! - A response that already carries the header keeps it.
//!
//! # Example
//!
//! ```
//! use cello_middleware::request_id::RequestIdLayer;
//! use http::{Request, Response};
//! use std::convert::Infallible;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let service = ServiceBuilder::new()
//!     .layer(RequestIdLayer::new())
//!     .service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::new()))
//!     });
//!
//! // A valid incoming id is kept and echoed.
//! let request = Request::builder()
//!     .header("x-request-id", "abc-123")
//!     .body(String::new())
//!     .unwrap();
//! let response = service.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.headers()["x-request-id"], "abc-123");
//!
//! // A missing one is generated.
//! let response = service.oneshot(Request::new(String::new())).await.unwrap();
//! assert!(response.headers().contains_key("x-request-id"));
//! # }
//! ```

mod layer;
mod prefixed_counter;
mod service;
#[cfg(test)]
mod tests;

pub use self::layer::RequestIdLayer;
pub use self::prefixed_counter::PrefixedCounter;
pub use self::service::{is_valid_request_id, RequestId, ResponseFuture, MAX_LEN};

/// The default header: `x-request-id`.
pub const X_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");
