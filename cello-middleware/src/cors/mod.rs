//! Cross-Origin Resource Sharing: let browsers call the API from other origins.
//!
//! [`CorsLayer`] is configured once, checked when it is built, and then only compares and
//! copies precomputed header values per request.
//!
//! - **Preflights** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) are
//!   answered by the layer: `204 No Content` with the allowed origin, methods, headers,
//!   credentials and max-age when the origin, method and asked-for headers are allowed,
//!   `403 Forbidden` with no CORS headers otherwise. The inner service is never called,
//!   so in Cello a preflight never takes the GIL. Any other `OPTIONS` request reaches the
//!   app.
//! - **Other requests** reach the inner service. If their `Origin` is allowed, the
//!   response gets `Access-Control-Allow-Origin` (and `-Allow-Credentials`,
//!   `-Expose-Headers` when configured). A disallowed origin gets no CORS headers, so the
//!   browser hides the response from the calling script.
//! - **`Vary: Origin`** is added to every response when origins are a list, because the
//!   answer then depends on `Origin` and shared caches must key on it. With
//!   [`allow_any_origin`](CorsBuilder::allow_any_origin) the answer is always `*`, so no
//!   `Vary` is needed.
//!
//! The response body type only needs [`Default`], for the empty preflight answer.
//!
//! # Why not tower-http's `CorsLayer` directly
//!
//! tower-http's [`CorsLayer`][tower_http_cors_docs] treats *every* `OPTIONS` request as
//! a preflight (an app's own `OPTIONS` route is never reached), sends
//! `Access-Control-Allow-Methods` and friends to disallowed origins, builds its headers
//! per request, and panics on an invalid configuration. This module keeps its shape
//! (`CorsLayer` + `Cors<S>`) and checks the configuration into a [`CorsError`] instead.
//!
//! [tower_http_cors_docs]: https://docs.rs/tower-http/0.7/tower_http/cors/
//!
//! # Example
//!
//! ```
//! use cello_middleware::cors::CorsLayer;
//! use http::{header, Method, Request, Response, StatusCode};
//! use std::convert::Infallible;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cors = CorsLayer::builder()
//!     .allow_origin("https://app.example.com")
//!     .allow_methods([Method::GET, Method::POST, Method::DELETE])
//!     .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
//!     .allow_credentials(true)
//!     .build()?;
//! let service = ServiceBuilder::new()
//!     .layer(cors)
//!     .service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new("hello".to_owned()))
//!     });
//!
//! // The browser asks first...
//! let preflight = Request::builder()
//!     .method(Method::OPTIONS)
//!     .header(header::ORIGIN, "https://app.example.com")
//!     .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE")
//!     .body(String::new())?;
//! let response = service.clone().oneshot(preflight).await?;
//! assert_eq!(response.status(), StatusCode::NO_CONTENT);
//! assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, POST, DELETE");
//!
//! // ...then sends the request, whose response it may read.
//! let request = Request::builder()
//!     .method(Method::DELETE)
//!     .header(header::ORIGIN, "https://app.example.com")
//!     .body(String::new())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(
//!     response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
//!     "https://app.example.com"
//! );
//! assert_eq!(response.headers()[header::VARY], "origin");
//! # Ok(())
//! # }
//! ```

mod builder;
mod config;
mod error;
mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub use self::builder::CorsBuilder;
pub use self::error::CorsError;
pub use self::future::ResponseFuture;
pub use self::layer::CorsLayer;
pub use self::service::Cors;
