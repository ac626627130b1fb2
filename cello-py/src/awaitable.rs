//! Awaiting across the language line, on the worker's one thread.
//!
//! - [`awaitable`]: a Rust future as something Python code can `await` (an asyncio
//!   Future of the guest loop, settled when the Rust future finishes). Cancelling it
//!   from Python (its Task was cancelled) drops the Rust future.
//! - [`PyCompletion`]: a Python awaitable run as an asyncio Task, as a Rust future.
//!   Dropping it cancels the Task.
//!
//! Both are for the features that move data while Python code runs (request bodies
//! read as they arrive, streamed responses, WebSockets); a plain request never comes
//! here.

use crate::resume::Resume;
use crate::scheduler::Scheduler;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

/// `fut` as an asyncio Future of `scheduler`'s loop: `await` on it gives `fut`'s
/// value or raises its error. Must be called on the worker thread while it serves.
pub fn awaitable<'py, F>(
    py: Python<'py>,
    scheduler: &Scheduler,
    fut: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<Py<PyAny>>> + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(PyRuntimeError::new_err(
            "this can only be awaited while the app is serving (inside a handler)",
        ));
    }
    let future = scheduler.create_future(py)?;
    let target = future.clone().unbind();
    let task = tokio::task::spawn_local(async move {
        let outcome = fut.await;
        Python::attach(|py| settle(py, target.bind(py), outcome));
    });
    let abort = Bound::new(py, AbortOnCancel(task.abort_handle()))?;
    future.call_method1(pyo3::intern!(py, "add_done_callback"), (abort,))?;
    Ok(future)
}

/// Sets `future`'s outcome unless it was cancelled meanwhile.
fn settle(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: PyResult<Py<PyAny>>) {
    let done = future
        .call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true);
    if done {
        return;
    }
    let set = match outcome {
        Ok(v) => future.call_method1(pyo3::intern!(py, "set_result"), (v,)),
        Err(e) => future.call_method1(pyo3::intern!(py, "set_exception"), (e.into_value(py),)),
    };
    if let Err(e) = set {
        e.write_unraisable(py, Some(future));
    }
}

/// The done-callback that stops the Rust side of a cancelled [`awaitable`].
#[pyclass(module = "cello._cello", unsendable)]
struct AbortOnCancel(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future
            .call_method0(pyo3::intern!(future.py(), "cancelled"))?
            .is_truthy()?
        {
            self.0.abort();
        }
        Ok(())
    }
}

/// A Python awaitable running as an asyncio Task, awaited from Rust.
pub struct PyCompletion {
    rx: oneshot::Receiver<PyResult<Py<PyAny>>>,
    task: Option<Py<PyAny>>,
}

impl PyCompletion {
    /// Starts `coro` (a coroutine, or any awaitable) as a Task named `name`. Its first
    /// step is taken at once, as a handler's is.
    pub fn start(
        scheduler: &Scheduler,
        coro: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let py = coro.py();
        let coro = if coro.hasattr(pyo3::intern!(py, "send"))? {
            coro.clone()
        } else {
            // An awaitable that is not a coroutine (a Future, an object with
            // `__await__`): its iterator steps the same way.
            coro.call_method0(pyo3::intern!(py, "__await__"))?
        };
        let (tx, rx) = oneshot::channel();
        let resume = Bound::new(py, Resume::new(coro.unbind(), tx))?;
        let task = scheduler.start_task(resume.as_any(), name)?;
        Ok(PyCompletion {
            rx,
            task: Some(task.unbind()),
        })
    }

    /// The Task, handed over without cancelling it (dropping a `PyCompletion`
    /// cancels it): for a caller that must wait for the cancellation to land
    /// before it closes what the Task was running. None once finished.
    pub fn into_task(mut self) -> Option<Py<PyAny>> {
        self.task.take()
    }
}

impl Future for PyCompletion {
    type Output = PyResult<Py<PyAny>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(outcome)) => outcome,
            Poll::Ready(Err(_)) => Err(PyRuntimeError::new_err(
                "the task ended without an outcome (it was cancelled)",
            )),
        };
        self.task = None;
        Poll::Ready(out)
    }
}

impl Drop for PyCompletion {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            Python::attach(|py| {
                // Scheduling the cancellation wakes the loop's driver.
                let _ = task.call_method0(py, pyo3::intern!(py, "cancel"));
            });
        }
    }
}
