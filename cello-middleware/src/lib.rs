//! Tower middleware for Cello: request id, CORS.
//!
//! Each middleware is a [tower] [`Layer`](tower_layer::Layer) that wraps a
//! [`Service`](tower_service::Service) taking `http::Request<B>` and returning
//! `http::Response<B>`, for any body type `B`.
//!
//! # Why tower layers
//!
//! - **Rust work stays in Rust.** In Cello these layers run on the tokio threads, before a
//!   request is handed to Python. A CORS preflight is answered here and never takes the
//!   GIL; a request id is set before the handler sees the request.
//! - **Usable without Cello.** The crate depends only on `http`, `tower` and `tower-http`,
//!   not on Cello's server, so the same layers work in hyper, axum or any tower stack;
//!   Cello's own stack uses them with `cello_http::Body`.
//! - **Built on well-kept code.** Where tower-http does the job it is used
//!   ([`request_id`] wraps its `SetRequestId` and `PropagateRequestId`); where Cello needs
//!   other behavior the module says why ([`cors`]).
//! - **Cheap per request.** Configuration is checked and header values are precomputed
//!   when a layer is built; a request only compares and copies them.
//!
//! # Stacking with `ServiceBuilder`
//!
//! Layers listed first are outermost: they see the request first and the response last.
//! Put [`request_id`] outside [`cors`] so that preflight answers carry an id too.
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
//! | `full` | all of the above |
//!
//! # What comes later
//!
//! Response compression, timeouts, request body limits, rate limits, an access log and
//! security headers (HSTS, `X-Content-Type-Options`, ...) belong here too and will
//! arrive as further modules, each behind its own feature, in a later issue.
//!
//! [tower]: https://docs.rs/tower

#[cfg(feature = "compression")]
pub mod compression;
#[cfg(feature = "cors")]
pub mod cors;
#[cfg(feature = "request-id")]
pub mod request_id;
