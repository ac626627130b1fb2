//! `cello._cello`: the one native module of the `cello` package.
//!
//! It is the only crate that knows Python. Per worker, all Python work happens on
//! one thread: the tokio current-thread runtime runs on the thread that called
//! `Engine.serve`, handlers are called inline, coroutines are stepped eagerly, and a
//! coroutine that suspends continues on an asyncio loop driven from that same thread
//! (see `guest_loop`). JSON is encoded and decoded here, straight between Python
//! objects and bytes.

/// The Rust side's allocator (see `alloc`).
#[global_allocator]
static ALLOCATOR: alloc::Mimalloc = alloc::Mimalloc;

mod access_log;
mod alloc;
mod awaitable;
mod background;
mod body;
mod call;
mod constraints;
mod convert;
mod dates;
mod engine;
mod file_response;
mod front;
mod gil;
mod guest_loop;
mod json_decode;
mod json_encode;
mod listener;
mod middleware;
mod model;
mod model_check;
mod multipart;
mod native;
mod params;
mod recovery;
mod recycle;
mod request;
mod request_stream;
mod response;
mod resume;
mod runtime;
mod scheduler;
mod sources;
mod stream_body;
mod supervise;
mod tls;
mod upload;
mod validation;
mod websocket;

use pyo3::prelude::*;

/// Encodes `obj` (dict, list, str, int, float, bool, None, nested) as JSON bytes.
#[pyfunction]
fn json_dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let mut buf = Vec::with_capacity(128);
    json_encode::encode(obj, &mut buf)?;
    Ok(pyo3::types::PyBytes::new(py, &buf))
}

/// Decodes JSON from bytes or str into Python objects. Invalid JSON raises
/// `ValueError` naming the byte position.
#[pyfunction]
fn json_loads<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let decoded = if let Ok(s) = data.cast::<pyo3::types::PyString>() {
        json_decode::decode(py, s.to_str()?.as_bytes())
    } else if let Ok(b) = data.cast::<pyo3::types::PyBytes>() {
        json_decode::decode(py, b.as_bytes())
    } else {
        json_decode::decode(py, &data.extract::<Vec<u8>>()?)
    };
    decoded.map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// The parameters of a route pattern, read by the router's own parser (the one parser
/// of the grammar): `(name, declared type or None, is catch-all)` in order.
/// A malformed pattern raises `ValueError`.
#[pyfunction]
fn route_params(pattern: &str) -> PyResult<Vec<(String, Option<&'static str>, bool)>> {
    let params = cello_router::RouterBuilder::<()>::pattern_params(pattern)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(params
        .into_iter()
        .map(|p| (p.name, p.declared.map(|t| t.name()), p.catch_all))
        .collect())
}

/// A route pattern as an OpenAPI path template (`/users/{id:int}` → `/users/{id}`),
/// by the router's own parser. A malformed pattern raises `ValueError`.
#[pyfunction]
fn route_template(pattern: &str) -> PyResult<String> {
    cello_router::RouterBuilder::<()>::pattern_template(pattern)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// `text` read as a `datetime.datetime` (`datetime=True`) or a `datetime.date`, as
/// pydantic's lax mode reads it: `(True, value)`, or `(False, (type, msg, ctx))`
/// with pydantic's error (for response models, `_response_model.py`).
#[pyfunction]
fn parse_date<'py>(
    py: Python<'py>,
    text: &str,
    datetime: bool,
) -> PyResult<(bool, Bound<'py, PyAny>)> {
    let parsed = if datetime {
        dates::datetime(py, text)?
    } else {
        dates::date(py, text)?
    };
    match parsed {
        Ok(value) => Ok((true, value)),
        Err((kind, msg, ctx)) => {
            let failure = (kind, msg.into_owned(), ctx).into_pyobject(py)?.into_any();
            Ok((false, failure))
        }
    }
}

/// `text` read as a UUID, as pydantic reads one (hyphenated, simple, braced or
/// `urn:uuid:`): `(True, its 128-bit value)`, or `(False, the parser's words)`.
#[pyfunction]
fn parse_uuid<'py>(py: Python<'py>, text: &str) -> PyResult<(bool, Bound<'py, PyAny>)> {
    Ok(match uuid::Uuid::parse_str(text) {
        Ok(u) => (true, u.as_u128().into_pyobject(py)?.into_any()),
        Err(e) => (false, e.to_string().into_pyobject(py)?.into_any()),
    })
}

// `gil_used = true`: on a free-threaded CPython, importing the module turns the GIL
// back on. pyo3 0.28+ defaults to `false`, which would claim that every structure the
// module shares between threads is safe without the GIL; that audit is not done
// (docs/workers.md lists what it covers). `PYTHON_GIL=0` overrides it, for measuring.
#[pymodule(gil_used = true)]
mod _cello {
    #[pymodule_export]
    use super::convert::as_response;
    #[pymodule_export]
    use super::engine::Engine;
    #[pymodule_export]
    use super::file_response::PyFileResponse;
    #[pymodule_export]
    use super::json_dumps;
    #[pymodule_export]
    use super::json_loads;
    #[pymodule_export]
    use super::listener::{bind_listeners, bind_unix_listener, listener_from_fd, PyListener};
    #[pymodule_export]
    use super::native::check_native;
    #[pymodule_export]
    use super::parse_date;
    #[pymodule_export]
    use super::parse_uuid;
    #[pymodule_export]
    use super::request::PyRequest;
    #[pymodule_export]
    use super::request_stream::PyRequestStream;
    #[pymodule_export]
    use super::response::PyResponse;
    #[pymodule_export]
    use super::route_params;
    #[pymodule_export]
    use super::route_template;
    #[pymodule_export]
    use super::runtime::_install_runtime;
    #[pymodule_export]
    use super::scheduler::{install_scheduler, Handle, Scheduler};
    #[pymodule_export]
    use super::supervise::{supervise, worker_init};
    #[pymodule_export]
    use super::tls::check_tls;
    #[pymodule_export]
    use super::websocket::PyWebSocketConn;
}
