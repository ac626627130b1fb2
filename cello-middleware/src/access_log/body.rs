//! [`AccessLogBody`]: counts the bytes of a response body and logs the request when the
//! body ends or is dropped.

use super::future::Pending;
use super::Sink;
use bytes::Buf;
use http::StatusCode;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// A response body that counts its data bytes and hands the request's record to the
    /// sink at its end — or, when dropped before its end (the client left), then, marked
    /// incomplete.
    pub struct AccessLogBody<B, K: Sink> {
        #[pin]
        inner: B,
        pending: Option<Pending<K>>,
        status: StatusCode,
        bytes: u64,
    }

    impl<B, K: Sink> PinnedDrop for AccessLogBody<B, K> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(pending) = this.pending.take() {
                pending.emit(*this.status, *this.bytes, false);
            }
        }
    }
}

impl<B: Body, K: Sink> AccessLogBody<B, K> {
    pub(super) fn new(inner: B, pending: Pending<K>, status: StatusCode) -> Self {
        let mut body = Self {
            inner,
            pending: Some(pending),
            status,
            bytes: 0,
        };
        // A body that is empty, or that the server will not send (the answer to a HEAD,
        // a 1xx, 204 or 304, whose body the server drops unread), is never polled:
        // the request is done now, and complete.
        let bodiless = body
            .pending
            .as_ref()
            .is_some_and(|p| p.method == http::Method::HEAD)
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if bodiless || body.inner.is_end_stream() {
            if let Some(pending) = body.pending.take() {
                pending.emit(status, 0, true);
            }
        }
        body
    }
}

impl<B: Body, K: Sink> Body for AccessLogBody<B, K> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        let done = match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    *this.bytes += data.remaining() as u64;
                }
                // The server may stop polling a body that says it has ended.
                this.inner.is_end_stream()
            }
            None => true,
            Some(Err(_)) => false,
        };
        if done {
            if let Some(pending) = this.pending.take() {
                pending.emit(*this.status, *this.bytes, true);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B, K: Sink> std::fmt::Debug for AccessLogBody<B, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLogBody")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}
