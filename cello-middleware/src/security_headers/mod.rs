//! Security headers on every response: `nosniff`, frame options, referrer policy, and
//! opt-in HSTS and CSP.
//!
//! [`SecurityHeadersLayer`] adds a fixed list of headers to each response that does not
//! already have them. The list is checked and its values made once, when the layer is
//! built; a response costs one map lookup per header.
//!
//! | header | default | set with |
//! |---|---|---|
//! | `X-Content-Type-Options` | `nosniff` | [`content_type_options`](SecurityHeadersBuilder::content_type_options) |
//! | `X-Frame-Options` | `DENY` | [`frame_options`](SecurityHeadersBuilder::frame_options) |
//! | `Referrer-Policy` | `strict-origin-when-cross-origin` | [`referrer_policy`](SecurityHeadersBuilder::referrer_policy) |
//! | `Strict-Transport-Security` | off | [`hsts`](SecurityHeadersBuilder::hsts) |
//! | `Content-Security-Policy` | off | [`content_security_policy`](SecurityHeadersBuilder::content_security_policy) |
//! | `Content-Security-Policy-Report-Only` | off | [`content_security_policy_report_only`](SecurityHeadersBuilder::content_security_policy_report_only) |
//!
//! - **The handler wins.** A header the response already has is left as it is, so one
//!   route can allow framing or loosen its CSP by setting the header itself.
//! - **HSTS and CSP are opt-in** and take your values: a wrong HSTS locks browsers out
//!   of plain HTTP for its whole max-age, and a wrong CSP breaks pages. Both are checked
//!   when the layer is built ([`SecurityHeadersError`]), never per request.
//!
//! # Why not tower-http's `SetResponseHeader`
//!
//! It does one header per layer, or for several headers
//! (`SetMultipleResponseHeadersLayer`) clones a `Vec` of boxed value makers per request.
//! This layer shares one list behind an `Arc` and knows the policies' valid values.
//!
//! # Example
//!
//! ```
//! use cello_middleware::security_headers::{Hsts, SecurityHeadersLayer};
//! use http::{header, HeaderValue, Request, Response};
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let layer = SecurityHeadersLayer::builder()
//!     .hsts(Hsts::new(Duration::from_secs(31_536_000)).include_subdomains())
//!     .content_security_policy("default-src 'self'")
//!     .build()?;
//! let service = ServiceBuilder::new()
//!     .layer(layer)
//!     .service_fn(|req: Request<String>| async move {
//!         let mut response = Response::new(String::new());
//!         if req.uri() == "/embed" {
//!             // This page may be framed by its own site.
//!             let sameorigin = HeaderValue::from_static("SAMEORIGIN");
//!             response.headers_mut().insert(header::X_FRAME_OPTIONS, sameorigin);
//!         }
//!         Ok::<_, Infallible>(response)
//!     });
//!
//! let response = service.clone().oneshot(Request::new(String::new())).await?;
//! let h = response.headers();
//! assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
//! assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
//! assert_eq!(h[header::REFERRER_POLICY], "strict-origin-when-cross-origin");
//! assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000; includeSubDomains");
//! assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'self'");
//!
//! let embed = Request::builder().uri("/embed").body(String::new())?;
//! let response = service.oneshot(embed).await?;
//! assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN");
//! # Ok(())
//! # }
//! ```

mod builder;
mod error;
mod future;
mod layer;
mod policy;
mod service;
#[cfg(test)]
mod tests;

pub use self::builder::SecurityHeadersBuilder;
pub use self::error::SecurityHeadersError;
pub use self::future::ResponseFuture;
pub use self::layer::SecurityHeadersLayer;
pub use self::policy::{FrameOptions, Hsts, ReferrerPolicy};
pub use self::service::SecurityHeaders;
