//! `async for chunk in req.stream()`: a request body read as it arrives.
//!
//! A route registered with `stream_request=True` gets its body unread: the engine
//! puts it in the request's extensions as a [`StreamedBody`], and each `__anext__()`
//! awaits the next frame from the connection (a Rust future as an asyncio Future,
//! `awaitable.rs`). The body limit and the body timeouts still hold: they are
//! enforced by `cello_http::Body` itself, and raise `HTTPException(413 / 408)` here.
//! On any other route the body was read before the handler ran, and `req.stream()`
//! yields it in one chunk.

use crate::awaitable::awaitable;
use crate::stream_body::running_scheduler;
use bytes::Bytes;
use cello_http::Body;
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::{Arc, Mutex};

/// Where a streamed request body is while the handler reads it.
enum State {
    /// Waiting for the next read.
    Ready(Body),
    /// A read is in flight (taken out by its future).
    Reading,
    /// Read to the end (or failed).
    Done,
}

/// The unread body of a `stream_request=True` route, in the request's extensions.
#[derive(Clone)]
pub struct StreamedBody(Arc<Mutex<State>>);

impl StreamedBody {
    /// `body`, to be read by `req.stream()`.
    pub fn new(body: Body) -> Self {
        StreamedBody(Arc::new(Mutex::new(State::Ready(body))))
    }
}

enum Source {
    /// A body read before the handler ran: one chunk, then the end.
    Once(Option<Bytes>),
    Live(StreamedBody),
}

/// The async iterator `req.stream()` returns.
#[pyclass(name = "RequestStream", module = "cello._cello")]
pub struct PyRequestStream {
    source: Source,
}

impl PyRequestStream {
    /// For a streamed body, or (`None`) for the bytes already read.
    pub fn new(live: Option<&StreamedBody>, read: &Bytes) -> Self {
        let source = match live {
            Some(s) => Source::Live(s.clone()),
            None => Source::Once((!read.is_empty()).then(|| read.clone())),
        };
        PyRequestStream { source }
    }
}

#[pymethods]
impl PyRequestStream {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next chunk as `bytes`; `StopAsyncIteration` at the end.
    fn __anext__<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let scheduler = running_scheduler(py)?;
        let scheduler = scheduler.bind(py).borrow();
        match &mut self.source {
            Source::Once(chunk) => {
                let chunk = chunk.take();
                awaitable(py, &scheduler, async move {
                    match chunk {
                        Some(b) => {
                            Python::attach(|py| Ok(PyBytes::new(py, &b).into_any().unbind()))
                        }
                        None => Err(PyStopAsyncIteration::new_err(())),
                    }
                })
            }
            Source::Live(state) => {
                let state = state.clone();
                awaitable(py, &scheduler, next_chunk(state))
            }
        }
    }
}

/// Reads frames until one carries data (trailers are skipped), or the end.
async fn next_chunk(state: StreamedBody) -> PyResult<Py<PyAny>> {
    let taken = {
        let mut guard = state
            .0
            .lock()
            .map_err(|_| PyRuntimeError::new_err("request stream lock poisoned"))?;
        std::mem::replace(&mut *guard, State::Reading)
    };
    let mut body = match taken {
        State::Ready(body) => body,
        State::Reading => {
            return Err(PyRuntimeError::new_err(
                "req.stream() is already being read: await one chunk at a time",
            ))
        }
        State::Done => {
            set(&state, State::Done);
            return Err(PyStopAsyncIteration::new_err(()));
        }
    };
    // A cancelled read (its Task was cancelled) drops this future, and with it the
    // body: the state stays `Reading` and later reads fail, as the body was cut.
    loop {
        match http_body_util::BodyExt::frame(&mut body).await {
            None => {
                set(&state, State::Done);
                return Err(PyStopAsyncIteration::new_err(()));
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if data.is_empty() {
                        continue;
                    }
                    set(&state, State::Ready(body));
                    return Python::attach(|py| Ok(PyBytes::new(py, &data).into_any().unbind()));
                }
            }
            Some(Err(e)) => {
                set(&state, State::Done);
                return Python::attach(|py| Err(body_error(py, &e)));
            }
        }
    }
}

fn set(state: &StreamedBody, to: State) {
    if let Ok(mut guard) = state.0.lock() {
        *guard = to;
    }
}

/// A body read that failed → `HTTPException` with the status the engine would
/// answer (413 over the limit, 408 too slow, 400 otherwise), so an uncaught one
/// gives that answer.
fn body_error(py: Python<'_>, e: &cello_http::Error) -> PyErr {
    let status = e.status().as_u16();
    match crate::runtime::get(py)
        .and_then(|rt| rt.http_exception.bind(py).call1((status, e.to_string())))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}
