//! Give each request a deadline: `504 Gateway Timeout` when the handler is too slow.
//!
//! [`TimeoutLayer`] starts the clock when the request enters the layer. If the inner
//! service has not produced its response by the deadline, the layer answers itself:
//! `504 Gateway Timeout`, `Content-Type: text/plain; charset=utf-8`, body
//! [`TIMEOUT_BODY`].
//!
//! - **Cancellation.** The inner future is dropped with the layer's future, right after
//!   the `504` is sent. Dropping is how Rust cancels: in Cello that cancels the Python
//!   handler's Task (its `finally` blocks run), so a timed-out handler stops using the
//!   worker.
//! - **What it covers.** The time to the response *head*: routing, middleware inside
//!   this layer, and the handler. A streaming body that has started cannot be turned into
//!   a `504`; it is bounded by the server's own write timeouts. Put this layer outside
//!   the layers whose time should count.
//! - **Cost.** The call notes the deadline (one clock read); a response that is ready on
//!   the first poll — a sync handler, a cached route — never creates a timer. Only a
//!   request that waits registers one with tokio's timer wheel.
//! - **Runtime.** Like tower-http's timeout it needs a tokio runtime with the time
//!   driver enabled, which Cello's server always has.
//!
//! The response body type only needs `From<&'static str>` (`String`, `Full<Bytes>`,
//! `cello_http::Body` all qualify), to carry a body that says what happened.
//!
//! # Why not tower-http's `TimeoutLayer` directly
//!
//! tower-http's answers with an empty body and no `Content-Type` (`B: Default`), and
//! arms its timer for every request before polling the handler. This keeps its shape
//! and adds the body and the lazily made timer.
//!
//! # Example
//!
//! ```
//! use cello_middleware::timeout::TimeoutLayer;
//! use http::{Request, Response, StatusCode};
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(TimeoutLayer::new(Duration::from_secs(5)))
//!     .service_fn(|req: Request<String>| async move {
//!         if req.uri() == "/slow" {
//!             tokio::time::sleep(Duration::from_secs(60)).await;
//!         }
//!         Ok::<_, Infallible>(Response::new("done".to_owned()))
//!     });
//!
//! let response = service.clone().oneshot(Request::new(String::new())).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let slow = Request::builder().uri("/slow").body(String::new())?;
//! let response = service.oneshot(slow).await?;
//! assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
//! assert!(response.body().starts_with("504 Gateway Timeout"));
//! # Ok(())
//! # }
//! ```

mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub use self::future::{ResponseFuture, TIMEOUT_BODY};
pub use self::layer::TimeoutLayer;
pub use self::service::Timeout;
