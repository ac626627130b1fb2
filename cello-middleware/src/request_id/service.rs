//! [`RequestId`]: the service, and the rule for which incoming ids are kept.

use super::{PrefixedCounter, RequestIdLayer};
use http::{HeaderName, Request, Response};
use std::task::{Context, Poll};
use tower_http::request_id::{PropagateRequestId, PropagateRequestIdResponseFuture, SetRequestId};
use tower_service::Service;

/// The longest incoming id kept, in bytes; longer ones are replaced.
pub const MAX_LEN: usize = 200;

/// Whether an incoming id is kept: 1 to [`MAX_LEN`] bytes, each visible ASCII (`!`..=`~`).
///
/// ```
/// use cello_middleware::request_id::is_valid_request_id;
///
/// assert!(is_valid_request_id(b"3f9a1c0b7e2d-42"));
/// assert!(!is_valid_request_id(b""));
/// assert!(!is_valid_request_id(b"two words"));
/// assert!(!is_valid_request_id(&[b'a'; 201]));
/// ```
pub fn is_valid_request_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.iter().all(|&b| b.is_ascii_graphic())
}

/// Middleware that sets a request id and copies it to the response.
///
/// Built by [`RequestIdLayer`]; see the [module docs](super).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestId<S> {
    inner: SetRequestId<PropagateRequestId<S>, PrefixedCounter>,
    header_name: HeaderName,
}

impl<S> RequestId<S> {
    /// Wrap `inner`, reading and writing `header_name`; new ids come from
    /// [`PrefixedCounter`].
    pub fn new(inner: S, header_name: HeaderName) -> Self {
        let propagate = PropagateRequestId::new(inner, header_name.clone());
        Self {
            inner: SetRequestId::new(propagate, header_name.clone(), PrefixedCounter::new()),
            header_name,
        }
    }

    /// A [`RequestIdLayer`] with the default header.
    pub const fn layer() -> RequestIdLayer {
        RequestIdLayer::new()
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref().get_ref()
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut().get_mut()
    }

    /// Unwrap, returning the wrapped service.
    pub fn into_inner(self) -> S {
        self.inner.into_inner().into_inner()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestId<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = PropagateRequestIdResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let keep = {
            let mut values = req.headers().get_all(&self.header_name).iter();
            match (values.next(), values.next()) {
                (None, _) => true,
                (Some(one), None) => is_valid_request_id(one.as_bytes()),
                // Several ids: no way to tell which one the client meant.
                (Some(_), Some(_)) => false,
            }
        };
        if !keep {
            req.headers_mut().remove(&self.header_name);
        }
        self.inner.call(req)
    }
}
