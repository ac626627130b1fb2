//! Background tasks (`BackgroundTasks`, `background=` on a response): started when
//! the response is over — hyper has taken its last byte (it drops the body then), or
//! the client went away mid-body — as a Task on the worker's guest loop, so they
//! never delay or change the response. Their exceptions are logged by
//! `cello._streaming`.

use bytes::Bytes;
use cello_http::Body;
use http_body::Frame;
use pyo3::prelude::*;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `inner`, then `background()` once it is dropped.
pub struct AfterBody {
    inner: Option<Body>,
    background: Option<Py<PyAny>>,
}

impl AfterBody {
    /// `body` with `background` (a `BackgroundTask`, or any callable returning an
    /// awaitable or None) to run after it.
    pub fn new(body: Body, background: Py<PyAny>) -> Self {
        AfterBody {
            inner: Some(body),
            background: Some(background),
        }
    }
}

impl http_body::Body for AfterBody {
    type Data = Bytes;
    type Error = cello_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, cello_http::Error>>> {
        match &mut self.get_mut().inner {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.inner {
            Some(b) => b.size_hint(),
            None => http_body::SizeHint::with_exact(0),
        }
    }
}

impl Drop for AfterBody {
    fn drop(&mut self) {
        // A streamed body closes its generator first.
        drop(self.inner.take());
        if let Some(background) = self.background.take() {
            Python::attach(|py| {
                let started = crate::stream_body::helpers(py).and_then(|h| {
                    h.bind(py)
                        .call_method1(pyo3::intern!(py, "start_background"), (background,))
                });
                if let Err(e) = started {
                    e.write_unraisable(py, None);
                }
            });
        }
    }
}
