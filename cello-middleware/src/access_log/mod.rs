//! An access log: one record per request — method, target, version, status, body bytes,
//! duration, request id, client — written in Rust, off the handler's path.
//!
//! [`AccessLogLayer`] notes the request as it enters, wraps the response body to count
//! its bytes, and when the body has been sent (or dropped, if the client left) hands an
//! [`AccessRecord`] to a [`Sink`]:
//!
//! - [`StderrSink`]: one line per request, Common Log Format plus duration and request
//!   id, written with one `write` per line.
//! - [`channel`]: a [`ChannelSink`] that queues records, and a [`BatchReceiver`] that
//!   takes them in batches (at most N records, at most a delay after the first). Cello's
//!   Python engine uses it to give records to `logging.getLogger("cello.access")` with
//!   one Python call per batch, never one per request.
//! - any `Fn(AccessRecord)`.
//!
//! Placement: put [`forwarded`](crate::forwarded) outside this layer so the record has
//! the real client, and the request-id layer outside it so the record has the id. The
//! client is otherwise the connection's peer ([`ConnectInfo`](crate::ConnectInfo)).
//!
//! Cost, only when the layer is on: two clock reads, a copy of the target, and the body
//! wrapper. A request whose handler never produced a response (the client left first)
//! is not logged.
//!
//! # Example
//!
//! ```
//! use cello_middleware::access_log::{AccessLogLayer, AccessRecord};
//! use http::{Request, Response, StatusCode};
//! use http_body_util::{BodyExt, Full};
//! use std::convert::Infallible;
//! use std::sync::{Arc, Mutex};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let records: Arc<Mutex<Vec<AccessRecord>>> = Arc::default();
//! let sink = {
//!     let records = Arc::clone(&records);
//!     move |record| records.lock().unwrap().push(record)
//! };
//! let service = ServiceBuilder::new()
//!     .layer(AccessLogLayer::new(sink))
//!     .service_fn(|_req: Request<()>| async {
//!         Ok::<_, Infallible>(Response::new(Full::new(bytes::Bytes::from("hello"))))
//!     });
//!
//! let request = Request::builder().uri("/greet?lang=en").body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.into_body().collect().await?.to_bytes(), "hello");
//!
//! let records = records.lock().unwrap();
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0].target, "/greet?lang=en");
//! assert_eq!(records[0].status, StatusCode::OK);
//! assert_eq!(records[0].bytes, 5);
//! assert!(records[0].complete);
//! # Ok(())
//! # }
//! ```

mod batch;
mod body;
mod future;
mod layer;
mod record;
mod service;
mod sink;
#[cfg(test)]
mod tests;

pub use self::batch::{channel, BatchReceiver, ChannelSink};
pub use self::body::AccessLogBody;
pub use self::future::ResponseFuture;
pub use self::layer::AccessLogLayer;
pub use self::record::AccessRecord;
pub use self::service::AccessLog;
pub use self::sink::{Sink, StderrSink};
