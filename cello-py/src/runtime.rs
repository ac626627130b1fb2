//! The few Python objects the engine needs from the `cello` package, handed over once
//! at import by `cello._runtime` and kept for the life of the process.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// What `cello._runtime` installs.
pub struct Runtime {
    /// `cello.HTTPException`.
    pub http_exception: Py<PyAny>,
    /// `log_exception(handler_name, exc)`: logs a handler's traceback.
    pub log_exception: Py<PyAny>,
    /// `log_message(text)`: logs an error line.
    pub log_message: Py<PyAny>,
    /// `cello.datastructures.Headers` (built from a list of pairs).
    pub headers_cls: Py<PyAny>,
    /// `cello.datastructures.QueryParams` (built from a list of pairs).
    pub query_cls: Py<PyAny>,
    /// `cello.datastructures.State` (an empty attribute bag for `req.state`).
    pub state_cls: Py<PyAny>,
}

static RUNTIME: PyOnceLock<Runtime> = PyOnceLock::new();

/// Called once by `cello._runtime` at import.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _install_runtime(
    py: Python<'_>,
    http_exception: Py<PyAny>,
    log_exception: Py<PyAny>,
    log_message: Py<PyAny>,
    headers_cls: Py<PyAny>,
    query_cls: Py<PyAny>,
    state_cls: Py<PyAny>,
) -> PyResult<()> {
    let _ = RUNTIME.set(
        py,
        Runtime {
            http_exception,
            log_exception,
            log_message,
            headers_cls,
            query_cls,
            state_cls,
        },
    );
    Ok(())
}

/// The installed runtime; importing `cello` installs it.
pub fn get(py: Python<'_>) -> PyResult<&Runtime> {
    RUNTIME.get(py).ok_or_else(|| {
        pyo3::exceptions::PyRuntimeError::new_err(
            "cello._runtime was not imported; import cello first",
        )
    })
}

/// Logs an error line through Python's `logging` (logger `cello`).
pub fn log_error(py: Python<'_>, text: &str) {
    if let Ok(rt) = get(py) {
        if rt.log_message.call1(py, (text,)).is_err() {
            eprintln!("cello: {text}");
        }
    } else {
        eprintln!("cello: {text}");
    }
}
