//! [`ResponseFuture`]: decides, once the response exists, whether to compress it.

use super::compressible::{has_token, is_compressible};
use super::encoder::Encoder;
use super::layer::Config;
use super::{CompressionBody, Encoding};
use http::{header, HeaderMap, HeaderValue, Response};
use http_body::Body;
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Response future of [`Compression`](super::Compression).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        // `None` for a request whose response is never touched (HEAD).
        config: Option<Config>,
        // The coding the client accepts, `None` for identity.
        encoding: Option<Encoding>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, config: Option<Config>, encoding: Option<Encoding>) -> Self {
        Self {
            inner,
            config,
            encoding,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<CompressionBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let Some(config) = *this.config else {
            return Poll::Ready(Ok(response.map(CompressionBody::identity)));
        };
        let (mut parts, body) = response.into_parts();
        let exact_size = body.size_hint().exact();
        if !is_compressible(parts.status, &parts.headers, exact_size, config.min_size) {
            return Poll::Ready(Ok(Response::from_parts(
                parts,
                CompressionBody::identity(body),
            )));
        }
        // The answer depends on Accept-Encoding whether or not this client gets it
        // compressed: shared caches must key on it.
        add_vary_accept_encoding(&mut parts.headers);

        // A codec that cannot start (zstd out of memory) leaves the body uncompressed.
        let encoder = this.encoding.and_then(|encoding| {
            let encoder = Encoder::new(encoding, config.levels, exact_size).ok()?;
            Some((encoding, encoder))
        });
        let Some((encoding, encoder)) = encoder else {
            return Poll::Ready(Ok(Response::from_parts(
                parts,
                CompressionBody::identity(body),
            )));
        };
        let headers = &mut parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        // Byte ranges of the identity body do not apply to the compressed one.
        headers.remove(header::ACCEPT_RANGES);
        headers.insert(header::CONTENT_ENCODING, encoding.header_value());
        weaken_etag(headers);
        Poll::Ready(Ok(Response::from_parts(
            parts,
            CompressionBody::compressed(body, encoder),
        )))
    }
}

fn add_vary_accept_encoding(headers: &mut HeaderMap) {
    let listed = headers.get_all(header::VARY).iter().any(|value| {
        has_token(value, header::ACCEPT_ENCODING.as_str().as_bytes()) || has_token(value, b"*")
    });
    if !listed {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// A strong `ETag` names exact bytes, and the compressed bytes differ: make it weak
/// (`"v1"` → `W/"v1"`), as nginx does, so conditional requests still match.
fn weaken_etag(headers: &mut HeaderMap) {
    let Some(etag) = headers.get(header::ETAG) else {
        return;
    };
    if !etag.as_bytes().starts_with(b"\"") {
        return;
    }
    let mut weak = Vec::with_capacity(etag.len() + 2);
    weak.extend_from_slice(b"W/");
    weak.extend_from_slice(etag.as_bytes());
    match HeaderValue::from_bytes(&weak) {
        Ok(weak) => {
            headers.insert(header::ETAG, weak);
        }
        // Cannot happen (a valid value with an ASCII prefix), but never send a strong
        // ETag for bytes it does not describe.
        Err(_) => {
            headers.remove(header::ETAG);
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}
