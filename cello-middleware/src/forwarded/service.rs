//! [`TrustedProxies`]: the service.

use super::layer::Config;
use super::TrustedProxiesLayer;
use crate::ConnectInfo;
use http::Request;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// Middleware that reads forwarding headers from trusted peers into a
/// [`ClientInfo`](super::ClientInfo) extension.
///
/// Built by [`TrustedProxiesLayer`]; see the [module docs](super).
#[derive(Debug, Clone)]
#[must_use]
pub struct TrustedProxies<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> TrustedProxies<S> {
    /// Wrap `inner` with `layer`'s settings.
    pub fn new(inner: S, layer: &TrustedProxiesLayer) -> Self {
        Self {
            inner,
            config: layer.shared(),
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

impl<S, ReqBody> Service<Request<ReqBody>> for TrustedProxies<S>
where
    S: Service<Request<ReqBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let peer = req.extensions().get::<ConnectInfo>().map(|c| c.0);
        if let Some(info) = self.config.resolve(req.headers(), peer) {
            req.extensions_mut().insert(info);
        }
        self.inner.call(req)
    }
}
