//! A response body pulled from a Python iterator (`StreamingResponse`,
//! `EventSourceResponse`), one item each time the connection asks for more.
//!
//! Backpressure: nothing is read ahead. hyper polls the body only when its write
//! buffer has room (HTTP/1.1: at most 16 buffers / ~400 KiB queued; HTTP/2: the
//! stream's flow-control window), so the generator runs at most one item ahead of
//! what hyper holds, plus what the kernel's socket buffers hold.
//!
//! - A sync iterator's `__next__` runs inline on the worker thread, between polls:
//!   a generator that blocks (`time.sleep`, a blocking driver) blocks the worker.
//! - An async iterator's `__anext__()` runs as a Task on the guest loop
//!   ([`PyCompletion`]); while it is pending, an SSE body sends a keep-alive comment
//!   every `ping` interval.
//! - Dropped early (the client went away), the iterator is closed: `close()` inline,
//!   or `aclose()` as a Task after the pending `__anext__()` is cancelled, so its
//!   `finally` blocks run.

use crate::awaitable::PyCompletion;
use crate::scheduler::Scheduler;
use bytes::Bytes;
use http_body::Frame;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyIterator, PyString};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Why a stream ended early; hyper aborts the response (no final chunk on HTTP/1.1,
/// `RST_STREAM` on HTTP/2) so the client can tell it is incomplete.
#[derive(Debug)]
pub struct StreamError(String);

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StreamError {}

enum Source {
    Sync(Py<PyIterator>),
    Async(Py<PyAny>),
}

/// Keep-alive comments while an async source is idle (Server-Sent Events).
struct Ping {
    every: Duration,
    frame: Bytes,
    timer: Pin<Box<tokio::time::Sleep>>,
}

/// The body of a streamed response.
pub struct PyStreamBody {
    /// None once the iterator ended (or failed).
    source: Option<Source>,
    /// The `__anext__()` in flight.
    pending: Option<PyCompletion>,
    scheduler: Py<Scheduler>,
    /// The handler's name: for logs and as the name of the `__anext__` Tasks.
    handler: Py<PyString>,
    ping: Option<Ping>,
}

impl PyStreamBody {
    /// A body pulled from `iterator`: an async iterator (it has `__anext__`) or a sync
    /// one. `ping`: a comment frame sent every interval while an async iterator is idle.
    pub fn new(
        iterator: &Bound<'_, PyAny>,
        handler: &str,
        ping: Option<(Duration, Bytes)>,
    ) -> PyResult<Self> {
        let py = iterator.py();
        let scheduler = running_scheduler(py)?;
        let source = if iterator.hasattr(pyo3::intern!(py, "__anext__"))? {
            Source::Async(iterator.clone().unbind())
        } else {
            Source::Sync(iterator.cast::<PyIterator>()?.clone().unbind())
        };
        let ping = ping.map(|(every, frame)| Ping {
            every,
            frame,
            timer: Box::pin(tokio::time::sleep(every)),
        });
        Ok(PyStreamBody {
            source: Some(source),
            pending: None,
            scheduler,
            handler: PyString::new(py, handler).unbind(),
            ping,
        })
    }

    /// An item the iterator gave (or its end, or its error) → the next frame.
    fn item(
        &mut self,
        py: Python<'_>,
        item: Option<PyResult<Bound<'_, PyAny>>>,
    ) -> Option<Result<Frame<Bytes>, StreamError>> {
        let item = match item {
            None => {
                self.source = None;
                return None;
            }
            Some(Ok(item)) => item,
            Some(Err(e)) if e.is_instance_of::<pyo3::exceptions::PyStopAsyncIteration>(py) => {
                self.source = None;
                return None;
            }
            Some(Err(e)) => {
                // The generator has finished (it raised): nothing to close.
                self.source = None;
                let name = self.name(py);
                crate::convert::log_exception(py, e, &format!("{name} (streaming response)"));
                return Some(Err(StreamError(format!(
                    "the streaming response of handler `{name}` raised; the response was cut short"
                ))));
            }
        };
        let bytes = if let Ok(b) = item.cast::<PyBytes>() {
            Bytes::copy_from_slice(b.as_bytes())
        } else if let Ok(s) = item.cast::<PyString>() {
            match s.to_str() {
                Ok(s) => Bytes::copy_from_slice(s.as_bytes()),
                Err(e) => return Some(Err(self.fail(py, e.to_string()))),
            }
        } else if let Ok(b) = item.cast::<PyByteArray>() {
            Bytes::from(b.to_vec())
        } else {
            let ty = item
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into());
            return Some(Err(
                self.fail(py, format!("it yielded `{ty}`; yield bytes or str"))
            ));
        };
        Some(Ok(Frame::data(bytes)))
    }

    /// Ends the stream with an error naming the handler (logged), closing the
    /// iterator.
    fn fail(&mut self, py: Python<'_>, why: String) -> StreamError {
        let text = format!(
            "the streaming response of handler `{}` stopped: {why}; the response was cut short",
            self.name(py)
        );
        crate::runtime::log_error(py, &text);
        self.close(py);
        StreamError(text)
    }

    fn name(&self, py: Python<'_>) -> String {
        self.handler.bind(py).to_string()
    }

    /// Closes the iterator so its `finally` blocks run: `close()` now, or (async)
    /// `aclose()` as a Task once the pending `__anext__()` has been cancelled.
    fn close(&mut self, py: Python<'_>) {
        let pending = self.pending.take().and_then(PyCompletion::into_task);
        match self.source.take() {
            None => {}
            Some(Source::Sync(it)) => {
                let it = it.bind(py);
                if it.hasattr(pyo3::intern!(py, "close")).unwrap_or(false) {
                    if let Err(e) = it.call_method0(pyo3::intern!(py, "close")) {
                        e.write_unraisable(py, Some(it.as_any()));
                    }
                }
            }
            Some(Source::Async(it)) => {
                let started = helpers(py).and_then(|h| {
                    h.bind(py)
                        .call_method1(pyo3::intern!(py, "close_async"), (pending, it))
                });
                if let Err(e) = started {
                    e.write_unraisable(py, None);
                }
            }
        }
    }
}

impl http_body::Body for PyStreamBody {
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        let this = self.get_mut();
        if let Some(pending) = &mut this.pending {
            return match Pin::new(pending).poll(cx) {
                Poll::Ready(out) => {
                    this.pending = None;
                    if let Some(ping) = &mut this.ping {
                        let deadline = tokio::time::Instant::now() + ping.every;
                        ping.timer.as_mut().reset(deadline);
                    }
                    Poll::Ready(Python::attach(|py| {
                        this.item(py, Some(out.map(|v| v.into_bound(py))))
                    }))
                }
                Poll::Pending => match &mut this.ping {
                    Some(ping) => {
                        if ping.timer.as_mut().poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                        let deadline = tokio::time::Instant::now() + ping.every;
                        ping.timer.as_mut().reset(deadline);
                        Poll::Ready(Some(Ok(Frame::data(ping.frame.clone()))))
                    }
                    None => Poll::Pending,
                },
            };
        }
        let next = Python::attach(|py| {
            let source = match &this.source {
                None => return Ok(None),
                Some(Source::Sync(it)) => Source::Sync(it.clone_ref(py)),
                Some(Source::Async(it)) => Source::Async(it.clone_ref(py)),
            };
            match source {
                Source::Sync(it) => {
                    let item = it.into_bound(py).next();
                    Ok(Some(this.item(py, item)))
                }
                Source::Async(it) => {
                    let started = it
                        .bind(py)
                        .call_method0(pyo3::intern!(py, "__anext__"))
                        .and_then(|step| {
                            let scheduler = this.scheduler.bind(py).borrow();
                            PyCompletion::start(&scheduler, &step, this.handler.bind(py).as_any())
                        });
                    match started {
                        Ok(p) => {
                            this.pending = Some(p);
                            Err(())
                        }
                        Err(e) => Ok(Some(this.item(py, Some(Err(e))))),
                    }
                }
            }
        });
        match next {
            Ok(None) => Poll::Ready(None),
            Ok(Some(frame)) => Poll::Ready(frame),
            // An `__anext__()` started: poll it (it may have finished at once).
            Err(()) => Pin::new(this).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.source.is_none()
    }
}

impl Drop for PyStreamBody {
    fn drop(&mut self) {
        if self.source.is_some() {
            Python::attach(|py| self.close(py));
        }
    }
}

/// The scheduler of the loop running on this thread (the worker's guest loop).
pub fn running_scheduler(py: Python<'_>) -> PyResult<Py<Scheduler>> {
    let running = py
        .import(pyo3::intern!(py, "asyncio"))?
        .getattr(pyo3::intern!(py, "_get_running_loop"))?
        .call0()?;
    running
        .getattr(pyo3::intern!(py, "_cello_scheduler"))
        .and_then(|s| Ok(s.cast_into::<Scheduler>()?.unbind()))
        .map_err(|_| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "a streamed body can only be used while the app is serving (from a handler)",
            )
        })
}

/// `cello._streaming`, imported on first use: the Python half of streams and
/// background tasks.
pub fn helpers(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    static HELPERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    HELPERS.get_or_try_init(py, || {
        Ok(py
            .import(pyo3::intern!(py, "cello._streaming"))?
            .into_any()
            .unbind())
    })
}
