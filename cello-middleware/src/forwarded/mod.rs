//! Trusted proxies: the client, scheme and host from `X-Forwarded-*` or `Forwarded`,
//! believed only when the request comes from a proxy you listed.
//!
//! Behind a load balancer every connection comes from the balancer, so the peer address
//! is the balancer's and the scheme is the balancer's `http`. The proxy reports the real
//! ones in headers — which any client can also send. [`TrustedProxiesLayer`] reads them
//! only when the connection's peer ([`ConnectInfo`](crate::ConnectInfo)) is in its
//! trusted list, and puts the result in a [`ClientInfo`] request extension. Cello's
//! `Request.client`, `.scheme`, `.host` and `.url` read it.
//!
//! - **From an untrusted peer** nothing is read: a forged `X-Forwarded-For` changes
//!   nothing and the peer stays the client. The headers are left in place (as uvicorn
//!   does), so a handler can still log them.
//! - **The client** is the rightmost `X-Forwarded-For` entry that is not itself a
//!   trusted proxy — each proxy appends its own peer, so entries further left are the
//!   client's to write. When every entry is trusted, the leftmost (as uvicorn and
//!   werkzeug's `ProxyFix` do). Entries may carry a port (`[2001:db8::1]:4711`);
//!   without one the port is `0`.
//! - **The scheme** comes from `X-Forwarded-Proto` and must be `http`, `https`, `ws` or
//!   `wss`; **the host** from `X-Forwarded-Host` and must be a valid `host[:port]`.
//!   Either is used when it has one entry, or one per `X-Forwarded-For` entry (then the
//!   client's); another count is ambiguous and ignored.
//! - **`Forwarded`** (RFC 7239) is read when turned on
//!   ([`forwarded`](TrustedProxiesLayer::forwarded)): the same walk over its elements,
//!   quoted values and IPv6 (`for="[2001:db8::1]:4711"`) included; the client's element
//!   gives `proto` and `host`. `for=unknown` or an obfuscated `for=_hidden` means the
//!   proxy hides the client: [`ClientInfo::client`] is `None`.
//! - **Malformed input from a trusted proxy** — the entry the walk stops at is not an
//!   address, an element has a broken quote or a repeated parameter — makes that one
//!   header ignored, never an error: the request is served with what the other headers
//!   and the peer say. Entries are parsed from the right only as far as the walk goes,
//!   so junk a client wrote on the left cannot make a header be ignored (which would
//!   make the proxy's address pass for the client's).
//! - **Cost.** A request from an untrusted peer costs one extension lookup and the trust
//!   check; one from a trusted peer also a few header lookups, and one extension insert
//!   when something was honored.
//!
//! # Example
//!
//! ```
//! use cello_middleware::forwarded::{ClientInfo, ForwardedProto, TrustedProxiesLayer};
//! use cello_middleware::ConnectInfo;
//! use http::{Request, Response};
//! use std::convert::Infallible;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::new()
//!     .layer(TrustedProxiesLayer::new(["10.0.0.0/8"])?)
//!     .service_fn(|req: Request<()>| async move {
//!         let info = req.extensions().get::<ClientInfo>().cloned();
//!         Ok::<_, Infallible>(Response::new(info))
//!     });
//! let from = |peer: &str| {
//!     let mut req = Request::builder()
//!         .header("x-forwarded-for", "203.0.113.9, 10.0.0.2")
//!         .header("x-forwarded-proto", "https")
//!         .body(())
//!         .unwrap();
//!     req.extensions_mut().insert(ConnectInfo(peer.parse().unwrap()));
//!     req
//! };
//!
//! // From the load balancer: the client is the first untrusted hop.
//! let info = service.clone().oneshot(from("10.0.0.1:40000")).await?.into_body().unwrap();
//! assert_eq!(info.client, Some("203.0.113.9:0".parse()?));
//! assert_eq!(info.scheme, Some(ForwardedProto::Https));
//!
//! // Straight from the internet: the headers are not believed.
//! let info = service.oneshot(from("198.51.100.4:40000")).await?.into_body();
//! assert_eq!(info, None);
//! # Ok(())
//! # }
//! ```

mod client_info;
mod error;
mod layer;
mod rfc7239;
mod service;
#[cfg(test)]
mod tests;
mod trusted;
mod x_forwarded;

pub use self::client_info::{ClientInfo, ForwardedProto};
pub use self::error::TrustedProxiesError;
pub use self::layer::TrustedProxiesLayer;
pub use self::service::TrustedProxies;
pub use self::x_forwarded::{X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PROTO};
