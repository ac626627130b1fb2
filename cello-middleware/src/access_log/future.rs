//! [`ResponseFuture`]: the inner response, its body wrapped to count and log.

use super::{AccessLogBody, AccessRecord, Sink};
use http::{HeaderName, HeaderValue, Method, Response, StatusCode, Version};
use pin_project_lite::pin_project;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Instant, SystemTime};

/// What is known of a request before its response.
#[derive(Debug)]
pub(super) struct Pending<K> {
    pub(super) method: Method,
    pub(super) target: String,
    pub(super) version: Version,
    pub(super) request_id: Option<HeaderValue>,
    pub(super) client: Option<SocketAddr>,
    pub(super) time: SystemTime,
    pub(super) start: Instant,
    pub(super) sink: K,
    pub(super) request_id_header: HeaderName,
}

impl<K: Sink> Pending<K> {
    /// Hands the finished record to the sink.
    pub(super) fn emit(self, status: StatusCode, bytes: u64, complete: bool) {
        let record = AccessRecord {
            method: self.method,
            target: self.target,
            version: self.version,
            status,
            bytes,
            duration: self.start.elapsed(),
            request_id: self.request_id,
            client: self.client,
            time: self.time,
            complete,
        };
        self.sink.emit(record);
    }
}

pin_project! {
    /// Response future of [`AccessLog`](super::AccessLog).
    pub struct ResponseFuture<F, K> {
        #[pin]
        inner: F,
        pending: Option<Pending<K>>,
    }
}

impl<F, K> ResponseFuture<F, K> {
    pub(super) fn new(inner: F, pending: Pending<K>) -> Self {
        Self {
            inner,
            pending: Some(pending),
        }
    }
}

impl<F, B, E, K> Future for ResponseFuture<F, K>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body,
    K: Sink,
{
    type Output = Result<Response<AccessLogBody<B, K>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let Some(mut pending) = this.pending.take() else {
            // Polled after completion: the inner future decides what that means.
            return Poll::Pending;
        };
        match result {
            Ok(response) => {
                if let Some(id) = response.headers().get(&pending.request_id_header) {
                    pending.request_id = Some(id.clone());
                }
                let status = response.status();
                Poll::Ready(Ok(
                    response.map(|body| AccessLogBody::new(body, pending, status))
                ))
            }
            Err(e) => {
                // No response: the server closes the connection, as it would for a 500.
                pending.emit(StatusCode::INTERNAL_SERVER_ERROR, 0, false);
                Poll::Ready(Err(e))
            }
        }
    }
}

impl<F, K> std::fmt::Debug for ResponseFuture<F, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
