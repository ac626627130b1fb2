//! `Resume`: the coroutine-like object an async handler runs in, inside its Task.
//!
//! It behaves like `yield from coro`: sends and throws go to the coroutine, so
//! cancellation and timeouts reach the handler as usual. When the coroutine
//! finishes, its outcome goes straight to the waiting request through a oneshot
//! channel (no done-callback, no extra loop turn), then the Task finishes too. A
//! handler that never suspends is thus answered during the Task's eager first step.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use tokio::sync::oneshot;

/// The result channel of a suspended handler.
pub type ResultSender = oneshot::Sender<PyResult<Py<PyAny>>>;

/// An awaitable (and coroutine-like object: `asyncio.iscoroutine` accepts it)
/// running `coro` inside its Task.
#[pyclass(module = "cello._cello", unsendable)]
pub struct Resume {
    coro: Py<PyAny>,
    tx: Option<ResultSender>,
}

impl Resume {
    /// Runs `coro` and sends its outcome on `tx`.
    pub fn new(coro: Py<PyAny>, tx: ResultSender) -> Self {
        Resume { coro, tx: Some(tx) }
    }

    fn deliver(&mut self, py: Python<'_>, outcome: &PyResult<Py<PyAny>>) {
        if let Some(tx) = self.tx.take() {
            let copy = match outcome {
                Ok(v) => Ok(v.clone_ref(py)),
                Err(e) => Err(e.clone_ref(py)),
            };
            let _ = tx.send(copy);
        }
    }

    /// Feeds `value` into the coroutine: `Some(yielded)` while it runs, `None` once it
    /// has finished and its outcome has gone to the request. Only BaseExceptions
    /// other than Exception (cancellation, KeyboardInterrupt...) come back as errors,
    /// to keep propagating through the Task; an Exception goes to the request (which
    /// logs it) and the Task ends quietly instead of warning "exception was never
    /// retrieved".
    fn advance(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let mut out: *mut pyo3::ffi::PyObject = std::ptr::null_mut();
        // SAFETY: live objects, GIL held; `out` gets a new reference on RETURN/NEXT.
        let r = unsafe { pyo3::ffi::PyIter_Send(self.coro.as_ptr(), value.as_ptr(), &mut out) };
        match r {
            pyo3::ffi::PySendResult::PYGEN_NEXT => {
                // SAFETY: new reference, see above.
                Ok(Some(unsafe { Bound::from_owned_ptr(py, out) }.unbind()))
            }
            pyo3::ffi::PySendResult::PYGEN_RETURN => {
                // SAFETY: new reference, see above.
                let v: Py<PyAny> = unsafe { Bound::from_owned_ptr(py, out) }.unbind();
                self.finish(py, Ok(v))
            }
            _ => self.finish(py, Err(PyErr::fetch(py))),
        }
    }

    fn finish(
        &mut self,
        py: Python<'_>,
        outcome: PyResult<Py<PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.deliver(py, &outcome);
        match outcome {
            Err(e) if !e.is_instance_of::<pyo3::exceptions::PyException>(py) => Err(e),
            _ => Ok(None),
        }
    }
}

/// What a generator's `send`/`throw` give for `advance`'s outcome: the yielded
/// value, or StopIteration once finished.
fn as_send_result(step: PyResult<Option<Py<PyAny>>>) -> PyResult<Py<PyAny>> {
    match step {
        Ok(Some(yielded)) => Ok(yielded),
        Ok(None) => Err(PyStopIteration::new_err(())),
        Err(e) => Err(e),
    }
}

#[pymethods]
impl Resume {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// `None` ends the iteration without raising StopIteration (a NULL return with
    /// no exception set): the Task of Python 3.12+ steps its coroutine with
    /// `PyIter_Send`, which takes this path, so a handler that never suspends costs
    /// no exception object.
    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.advance(py, py.None().bind(py))
    }

    /// Python 3.11's Task steps a non-coroutine with `send`, which must raise
    /// StopIteration to finish.
    fn send(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        as_send_result(self.advance(py, value))
    }

    #[pyo3(signature = (typ, val=None, tb=None))]
    fn throw(
        &mut self,
        py: Python<'_>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let coro = self.coro.bind(py);
        let thrown = match (val, tb) {
            (None, _) => coro.call_method1("throw", (typ,)),
            (Some(v), None) => coro.call_method1("throw", (typ, v)),
            (Some(v), Some(t)) => coro.call_method1("throw", (typ, v, t)),
        };
        let step = match thrown {
            Ok(yielded) => Ok(Some(yielded.unbind())),
            Err(e) if e.is_instance_of::<PyStopIteration>(py) => {
                let v = e
                    .value(py)
                    .getattr("value")
                    .map(Bound::unbind)
                    .unwrap_or_else(|_| py.None());
                self.finish(py, Ok(v))
            }
            Err(e) => self.finish(py, Err(e)),
        };
        as_send_result(step)
    }

    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.coro.bind(py).call_method0("close")?;
        Ok(())
    }
}
