//! Compress response bodies with gzip, brotli or zstd, as the client accepts.
//!
//! [`CompressionLayer`] reads the request's `Accept-Encoding` before calling the inner
//! service and, once the response exists, compresses its body as it streams.
//!
//! **Which coding.** Each coding's q-value comes from `Accept-Encoding` (RFC 9110
//! §12.5.3): the highest above zero wins, ties going to zstd, then br, then gzip (`x-gzip`
//! counts as gzip; `deflate` is not offered). `*` stands for codings not named. An
//! element that does not parse (`gzip;q=2`, `br;level=5`, bytes that are not a token) is
//! ignored and the rest of the header still counts, so garbage gets an identity answer,
//! never an error.
//!
//! **Never `406`.** When nothing the client lists is acceptable, even with `identity;q=0`
//! or `*;q=0`, the body goes out uncompressed: RFC 9110 §12.1 lets a server send a
//! response that does not match the preferences instead of `406 Not Acceptable`, and a
//! `406` decided after the handler ran would throw its work away. (tower-http 0.7 turns
//! such a response's status into `406` after the handler ran; that is one reason this
//! module is Cello's own.)
//!
//! **Which responses.** Compressed only when all hold:
//! - the request is not `HEAD`;
//! - the status has content and is not partial: not 1xx, `204`, `206` or `304`, and
//!   there is no `Content-Range`;
//! - the handler set no `Content-Encoding` (any value, even `identity`), and no
//!   `Cache-Control: no-transform`;
//! - the body is at least [`min_size`](CompressionBuilder::min_size) bytes (default
//!   [`DEFAULT_MIN_SIZE`], 860: see there why), judged by the body's exact size hint or
//!   `Content-Length`; a body of unknown size (a stream) counts as large;
//! - the `Content-Type` is not already compressed or opaque: `image/*` (but
//!   `image/svg+xml` is compressed), `video/*`, `audio/*`, `font/woff[2]`, zip, gzip,
//!   zstd and other archives, `application/octet-stream`, gRPC, and
//!   `text/event-stream`, whose events must reach the browser one by one.
//!
//! A compressed response gets `Content-Encoding`, loses `Content-Length` and
//! `Accept-Ranges`, and a strong `ETag` becomes weak. Every response that *could* be
//! compressed gets `Vary: Accept-Encoding`, whatever this client accepted, so shared
//! caches keep the variants apart.
//!
//! **Streaming.** The body is compressed frame by frame as the handler produces it and
//! never collected first; a large frame leaves in pieces. When the handler's stream has
//! nothing ready, what was compressed so far is flushed, so each chunk reaches the client
//! without waiting for the next (at a small cost in ratio).
//!
//! The response body becomes [`CompressionBody<B>`], for any `B: http_body::Body`.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use cello_middleware::compression::CompressionLayer;
//! use http::{header, Request, Response};
//! use http_body_util::{BodyExt, Full};
//! use std::convert::Infallible;
//! use std::io::Read;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let page = "<p>hello</p>".repeat(200); // 2400 bytes
//! let body = page.clone();
//! let service = ServiceBuilder::new()
//!     .layer(CompressionLayer::new())
//!     .service_fn(move |_req: Request<()>| {
//!         let body = body.clone();
//!         async move {
//!             let response = Response::builder()
//!                 .header(header::CONTENT_TYPE, "text/html")
//!                 .body(Full::new(Bytes::from(body)))
//!                 .unwrap();
//!             Ok::<_, Infallible>(response)
//!         }
//!     });
//!
//! let request = Request::builder()
//!     .header(header::ACCEPT_ENCODING, "gzip, br;q=0.5")
//!     .body(())?;
//! let response = service.clone().oneshot(request).await?;
//! assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
//! assert_eq!(response.headers()[header::VARY], "accept-encoding");
//! let gzipped = response.into_body().collect().await?.to_bytes();
//! assert!(gzipped.len() < 100);
//!
//! let mut decoded = String::new();
//! flate2::read::GzDecoder::new(&gzipped[..]).read_to_string(&mut decoded)?;
//! assert_eq!(decoded, page);
//!
//! // A client that accepts nothing we offer gets the body as it was.
//! let request = Request::builder()
//!     .header(header::ACCEPT_ENCODING, "identity;q=0, compress")
//!     .body(())?;
//! let response = service.oneshot(request).await?;
//! assert!(!response.headers().contains_key(header::CONTENT_ENCODING));
//! assert_eq!(response.into_body().collect().await?.to_bytes(), page);
//! # Ok(())
//! # }
//! ```

mod accept_encoding;
mod body;
mod compressible;
mod encoder;
mod error;
mod future;
mod gzip;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub use self::body::{BoxError, CompressionBody};
pub use self::error::CompressionError;
pub use self::future::ResponseFuture;
pub use self::layer::{CompressionBuilder, CompressionLayer, DEFAULT_MIN_SIZE};
pub use self::service::Compression;

use http::HeaderValue;
use std::fmt;

/// A content coding this module produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// `gzip` (RFC 1952), understood by every client.
    Gzip,
    /// `br`, Brotli (RFC 7932): smaller than gzip for text.
    Brotli,
    /// `zstd` (RFC 8878): fast, and in current browsers.
    Zstd,
}

impl Encoding {
    /// The token used in `Accept-Encoding` and `Content-Encoding`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }

    fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.as_str())
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
