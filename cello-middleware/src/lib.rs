//! Tower middleware for Cello: request id, CORS, compression, timeouts, security headers,
//! trusted proxies, access log.
//!
//! Each middleware is a [tower] [`Layer`](tower_layer::Layer) that wraps a
//! [`Service`](tower_service::Service) taking `http::Request<B>` and returning
//! `http::Response<B>`, for any body type `B`.
//!
//! # Why tower layers
//!
//! - **Rust work stays in Rust.** In Cello these layers run on the tokio threads, before a
//!   request is handed to Python. A CORS preflight is answered here and never takes the
//!   GIL; a request id is set before the handler sees the request; a compressed body is
//!   encoded after the handler returned its bytes, off the GIL.
//! - **Usable without Cello.** The crate depends on `http`, `http-body` and `tower`
//!   (plus tokio's timer for [`timeout`] and the flate2, brotli and zstd
//!   codecs for [`compression`]), not on Cello's server, so the same layers work in
//!   hyper, axum or any tower stack; Cello's own stack uses them with `cello_http::Body`.
//! - **Built on well-kept code, replaced where measured.** Each module keeps
//!   tower-http's shape (`XLayer` + `X<S>`) and says why it does not use tower-http's
//!   own layer: different behavior ([`cors`], [`compression`], [`timeout`],
//!   [`security_headers`]) or a measured cost ([`request_id`]: tower-http's keeps the id
//!   in the request's extensions, a map allocated per request).
//! - **Cheap per request.** Configuration is checked and header values are precomputed
//!   when a layer is built; a request only compares and copies them.
//!
//! # Stacking with `ServiceBuilder`
//!
//! Layers listed first are outermost: they see the request first and the response last.
//! Put [`request_id`] outside [`cors`] so that preflight answers carry an id too. A
//! sensible order, outermost first: trusted proxies (so every layer sees the real
//! client), request id, access log (so it logs the id), security headers, compression (so it
//! also compresses error pages), timeout (so a `504` still gets the headers), CORS.
//!
//! ```
//! # #[cfg(all(feature = "cors", feature = "request-id"))]
//! # {
//! use cello_middleware::{cors::CorsLayer, request_id::RequestIdLayer};
//! use http::{header, Method, Request, Response, StatusCode};
//! use std::convert::Infallible;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = ServiceBuilder::new()
//!     .layer(RequestIdLayer::new())
//!     .layer(CorsLayer::builder().allow_origin("https://app.example.com").build()?)
//!     .service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new("hello".to_owned()))
//!     });
//!
//! let preflight = Request::builder()
//!     .method(Method::OPTIONS)
//!     .header(header::ORIGIN, "https://app.example.com")
//!     .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
//!     .header("x-request-id", "req-1")
//!     .body(String::new())?;
//! let response = app.oneshot(preflight).await?;
//! assert_eq!(response.status(), StatusCode::NO_CONTENT);
//! assert_eq!(response.headers()["x-request-id"], "req-1");
//! assert_eq!(
//!     response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
//!     "https://app.example.com"
//! );
//! # Ok(())
//! # }
//! # main().unwrap();
//! # }
//! ```
//!
//! # Features
//!
//! One Cargo feature per module, as in tower-http; `default` is `full`.
//!
//! | feature | module |
//! |---|---|
//! | `request-id` | [`request_id`]: set, validate and echo `x-request-id` |
//! | `cors` | [`cors`]: preflights and CORS response headers |
//! | `compression` | [`compression`]: gzip, brotli and zstd bodies by `Accept-Encoding` |
//! | `timeout` | [`timeout`]: `504 Gateway Timeout` past a per-request deadline |
//! | `security-headers` | [`security_headers`]: `nosniff`, frame options, referrer policy, HSTS, CSP |
//! | `forwarded` | [`forwarded`]: client, scheme and host from trusted proxies' `X-Forwarded-*` / `Forwarded` |
//! | `access-log` | [`access_log`]: one record per request, to stderr or a batching channel |
//! | `full` | all of the above |
//!
//! # What comes later
//!
//! Request body limits, rate limits and static files belong here too and will arrive as further modules, each behind its own feature.
//!
//! [tower]: https://docs.rs/tower

#[cfg(feature = "access-log")]
pub mod access_log;
#[cfg(feature = "compression")]
pub mod compression;
#[cfg(any(feature = "forwarded", feature = "access-log"))]
mod connect_info;
#[cfg(any(feature = "forwarded", feature = "access-log"))]
pub use connect_info::ConnectInfo;
#[cfg(feature = "cors")]
pub mod cors;
#[cfg(feature = "forwarded")]
pub mod forwarded;
#[cfg(feature = "request-id")]
pub mod request_id;
#[cfg(feature = "security-headers")]
pub mod security_headers;
#[cfg(feature = "timeout")]
pub mod timeout;
