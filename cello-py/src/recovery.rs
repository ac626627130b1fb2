//! `@app.exception_handler`: an error on its way to a response goes to the app's
//! Python exception handler for it, when the app registered one.
//!
//! Three kinds of error get there: an exception a handler (or a Python middleware)
//! raised, a value a handler returned that cannot be a response, and an error the
//! engine answers by itself — the router's 404, 405 and 422 and a body over the limit
//! (413) or too slow (408). The last kind is handed over only for the statuses Python
//! asked for (`Recovery::wants`), as an `HTTPException`; an app without exception
//! handlers has no `Recovery` and answers exactly as before.
//!
//! Which Python handler matches is decided in Python (`cello._exception_handlers`):
//! Rust calls its `find(request, exc, route)` and runs what it returns, sync or async.

use crate::call::{self, Incoming, OnError, Started};
use crate::convert;
use crate::request::PyRequest;
use crate::runtime;
use crate::scheduler::Scheduler;
use cello_http::Response;
use http::StatusCode;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::net::SocketAddr;

/// An error the engine answers without a handler: the `cello` crate's
/// [`Rejection`](cello::Rejection), whose status, text and headers are defined there
/// once for Rust and Python apps alike.
pub struct EngineError(pub cello::Rejection);

impl EngineError {
    /// Its status.
    pub fn status(&self) -> StatusCode {
        self.0.status()
    }

    /// The default answer: `{"detail": ...}` with its status and headers.
    pub fn response(self) -> Response {
        cello_http::IntoResponse::into_response(self.0)
    }
}

/// The app's exception handlers, as the engine calls them.
pub struct Recovery {
    /// `find(request, exc, route) -> (handler, name, is_async) | None`.
    find: Py<PyAny>,
    /// The engine's own errors Python wants to answer.
    statuses: Vec<u16>,
    scheduler: Py<Scheduler>,
}

impl Recovery {
    /// Exception handlers found by `find`, for the engine errors in `statuses`.
    pub fn new(find: Py<PyAny>, statuses: Vec<u16>, scheduler: Py<Scheduler>) -> Self {
        Recovery {
            find,
            statuses,
            scheduler,
        }
    }

    /// Whether an engine error with `status` goes to Python.
    pub fn wants(&self, status: StatusCode) -> bool {
        self.statuses.contains(&status.as_u16())
    }

    /// An exception from route `route` → the app's handler for it, else the default
    /// answer (`HTTPException`'s status, or a logged 500).
    pub fn handler_error(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        err: PyErr,
        route: &str,
    ) -> Started {
        // `into_value` sets `__traceback__` on the value (CPython < 3.12 keeps it apart).
        let exc = err.clone_ref(py).into_value(py).into_bound(py);
        match self.start(py, request, &exc, route) {
            Some(started) => started,
            None => Started::Done(convert::from_exception(py, err, route)),
        }
    }

    /// An engine error → the app's handler for its status, given the request (without
    /// its body) and an `HTTPException(status, detail, headers)`; else the default.
    /// The error's headers are kept unless the handler's response sets them.
    pub async fn engine_error(
        &self,
        parts: http::request::Parts,
        peer: Option<SocketAddr>,
        err: EngineError,
    ) -> Response {
        let started = Python::attach(|py| {
            let exc = match http_exception(py, &err) {
                Ok(exc) => exc,
                Err(e) => {
                    return Some(Started::Done(convert::exception_handler_failed(
                        py,
                        e,
                        "the HTTPException for an engine error",
                    )))
                }
            };
            let request = PyRequest::new(Incoming {
                parts,
                params: Vec::new(),
                body: bytes::Bytes::new(),
                form: None,
                peer,
            });
            match Bound::new(py, request) {
                Ok(request) => self.start(py, request.as_any(), &exc, ""),
                Err(e) => Some(Started::Done(convert::exception_handler_failed(
                    py,
                    e,
                    "the request for an engine error",
                ))),
            }
        });
        let mut res = match started {
            None => return err.response(),
            Some(Started::Done(r)) => r,
            Some(Started::Pending(p)) => p.finish("").await,
        };
        for (k, v) in &err.0.headers() {
            if !res.headers().contains_key(k) {
                res.headers_mut().insert(k.clone(), v.clone());
            }
        }
        res
    }

    /// Finds the handler for `exc` and takes its first step; None when the app has
    /// none for it. Whatever goes wrong from here is a logged 500.
    fn start(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        route: &str,
    ) -> Option<Started> {
        let failed = |e: PyErr, what: &str| {
            Some(Started::Done(convert::exception_handler_failed(
                py, e, what,
            )))
        };
        let found = match self.find.bind(py).call1((request, exc, route)) {
            Ok(found) if found.is_none() => return None,
            Ok(found) => found,
            Err(e) => return failed(e, "the exception handler lookup"),
        };
        let (handler, name, is_async): (Bound<'_, PyAny>, String, bool) = match found.extract() {
            Ok(t) => t,
            Err(e) => return failed(e, "the exception handler lookup"),
        };
        let label = format!("{name} (exception handler)");
        let result = match handler.call1((request, exc)) {
            Ok(r) => r,
            Err(e) => return failed(e, &label),
        };
        if !is_async {
            return Some(call::answer(py, &result, &label, None, OnError::Fail));
        }
        let task_name = PyString::new(py, &label);
        let scheduler = self.scheduler.bind(py).borrow();
        Some(call::run_coroutine(
            py,
            result,
            task_name.as_any(),
            &label,
            &scheduler,
            None,
            OnError::Fail,
        ))
    }
}

/// `HTTPException(status, detail, headers)` for an engine error.
fn http_exception<'py>(py: Python<'py>, err: &EngineError) -> PyResult<Bound<'py, PyAny>> {
    let headers = PyDict::new(py);
    for (k, v) in &err.0.headers() {
        headers.set_item(k.as_str(), String::from_utf8_lossy(v.as_bytes()))?;
    }
    let detail = match err.0.invalid_param() {
        // FastAPI's validation error, as the engine answers it without a handler.
        Some(p) => {
            let item = PyDict::new(py);
            item.set_item("type", p.kind)?;
            item.set_item("loc", ("path", p.name))?;
            item.set_item("msg", p.msg)?;
            item.set_item("input", p.input)?;
            pyo3::types::PyList::new(py, [item])?.into_any()
        }
        None => pyo3::types::PyString::new(py, &err.0.to_string()).into_any(),
    };
    runtime::get(py)?
        .http_exception
        .bind(py)
        .call1((err.status().as_u16(), detail, headers))
}
