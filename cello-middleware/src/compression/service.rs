//! [`Compression`]: the service; reads `Accept-Encoding` before calling the inner service.

use super::accept_encoding::negotiate;
use super::layer::Config;
use super::{CompressionBody, CompressionLayer, ResponseFuture};
use http::{Method, Request, Response};
use http_body::Body;
use std::task::{Context, Poll};
use tower_service::Service;

/// Middleware that compresses response bodies; built by [`CompressionLayer`].
///
/// See the [module docs](super) for the rules.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Compression<S> {
    inner: S,
    config: Config,
}

impl<S> Compression<S> {
    /// Wrap `inner` with `layer`'s configuration.
    pub fn new(inner: S, layer: CompressionLayer) -> Self {
        Self {
            inner,
            config: layer.config(),
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwrap, returning the wrapped service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Compression<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<CompressionBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // HEAD has no body to compress; its headers stay the handler's.
        let config = (req.method() != Method::HEAD).then_some(self.config);
        let encoding = config.and_then(|c| negotiate(req.headers(), c.enabled));
        ResponseFuture::new(self.inner.call(req), config, encoding)
    }
}
