//! [`RequestId`]: the service, its response future, and the rule for which incoming ids
//! are kept.

use super::{PrefixedCounter, RequestIdLayer};
use http::header::Entry;
use http::{HeaderName, HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower_service::Service;

/// The longest incoming id that is kept, in bytes.
pub const MAX_LEN: usize = 200;

/// Whether an incoming id is kept: 1 to [`MAX_LEN`] visible ASCII characters.
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

/// Middleware that makes sure every request carries an id header and echoes it on
/// the response. Made by [`RequestIdLayer`].
///
/// The id travels in the header alone: nothing is put in the request's extensions,
/// whose first insert allocates a map per request (about 1,600 instructions per
/// request with tower-http's `SetRequestId` + `PropagateRequestId`, measured with
/// callgrind through the Python engine; see `benches/NOTES.md`).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestId<S> {
    inner: S,
    header_name: HeaderName,
}

impl<S> RequestId<S> {
    /// Wraps `inner`, reading and writing the id in `header_name`.
    pub fn new(inner: S, header_name: HeaderName) -> Self {
        Self { inner, header_name }
    }

    /// The layer that makes this service, with the default header name.
    pub const fn layer() -> RequestIdLayer {
        RequestIdLayer::new()
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestId<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // One lookup: the entry is kept, replaced or filled in place.
        let id = match req.headers_mut().entry(&self.header_name) {
            Entry::Occupied(mut seen) => {
                let mut values = seen.iter();
                let kept = match (values.next(), values.next()) {
                    (Some(one), None) if is_valid_request_id(one.as_bytes()) => Some(one.clone()),
                    // An invalid id, or several (no way to tell which one the client
                    // meant): a new id replaces them.
                    _ => None,
                };
                kept.unwrap_or_else(|| {
                    let id = PrefixedCounter::next();
                    seen.insert(id.clone());
                    id
                })
            }
            Entry::Vacant(slot) => {
                let id = PrefixedCounter::next();
                slot.insert(id.clone());
                id
            }
        };
        ResponseFuture {
            inner: self.inner.call(req),
            header: Some((self.header_name.clone(), id)),
        }
    }
}

pin_project! {
    /// The response future of [`RequestId`]: the inner future's response, with the id
    /// header added unless the handler set one.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        header: Option<(HeaderName, HeaderValue)>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = match this.inner.poll(cx) {
            Poll::Ready(Ok(res)) => res,
            other => return other,
        };
        if let Some((name, id)) = this.header.take() {
            if let Entry::Vacant(slot) = res.headers_mut().entry(name) {
                slot.insert(id);
            }
        }
        Poll::Ready(Ok(res))
    }
}
