//! [`AccessLog`]: the service; notes what the request says and when it came.

use super::future::{Pending, ResponseFuture};
use super::Sink;
use crate::ConnectInfo;
use http::{HeaderName, Request};
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};
use tower_service::Service;

/// Middleware that logs each request; built by
/// [`AccessLogLayer`](super::AccessLogLayer), see the [module docs](super).
#[derive(Debug, Clone)]
#[must_use]
pub struct AccessLog<S, K> {
    inner: S,
    sink: K,
    request_id_header: HeaderName,
}

impl<S, K> AccessLog<S, K> {
    /// Wrap `inner`, sending records to `sink` and reading ids from `request_id_header`.
    pub fn new(inner: S, sink: K, request_id_header: HeaderName) -> Self {
        Self {
            inner,
            sink,
            request_id_header,
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

impl<S, K, ReqBody, ResBody> Service<Request<ReqBody>> for AccessLog<S, K>
where
    S: Service<Request<ReqBody>, Response = http::Response<ResBody>>,
    ResBody: http_body::Body,
    K: Sink + Clone,
{
    type Response = http::Response<super::AccessLogBody<ResBody, K>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, K>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let uri = req.uri();
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |pq| pq.as_str())
            .to_owned();
        let pending = Pending {
            method: req.method().clone(),
            target,
            version: req.version(),
            request_id: req.headers().get(&self.request_id_header).cloned(),
            client: client(&req),
            time: SystemTime::now(),
            start: Instant::now(),
            sink: self.sink.clone(),
            request_id_header: self.request_id_header.clone(),
        };
        ResponseFuture::new(self.inner.call(req), pending)
    }
}

/// The client trusted proxies named, else the peer.
fn client<B>(req: &Request<B>) -> Option<SocketAddr> {
    #[cfg(feature = "forwarded")]
    if let Some(info) = req.extensions().get::<crate::forwarded::ClientInfo>() {
        return info.client;
    }
    req.extensions().get::<ConnectInfo>().map(|c| c.0)
}
