//! [`ResponseFuture`]: the inner response, with the headers it lacks added.

use http::header::Entry;
use http::{HeaderName, HeaderValue, Response};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Response future of [`SecurityHeaders`](super::SecurityHeaders).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        headers: Arc<[(HeaderName, HeaderValue)]>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, headers: Arc<[(HeaderName, HeaderValue)]>) -> Self {
        Self { inner, headers }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        let map = response.headers_mut();
        for (name, value) in this.headers.iter() {
            // A header the handler set is its decision: never overwritten.
            if let Entry::Vacant(slot) = map.entry(name) {
                slot.insert(value.clone());
            }
        }
        Poll::Ready(Ok(response))
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
