//! What a handler returned, or raised, → an HTTP response.

use crate::json_encode;
use crate::response::{headers_from_py, PyResponse};
use crate::runtime;
use bytes::Bytes;
use cello_http::response::{json_bytes, with_type, APPLICATION_JSON, TEXT_PLAIN};
use cello_http::status::{self, InvalidStatus};
use cello_http::{Body, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};

const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// A handler's return value → response, with `status` (the route's `status_code=`)
/// unless the value sets its own. Unsupported types and encoding failures become a
/// logged 500 naming the handler.
pub fn to_response(
    value: &Bound<'_, PyAny>,
    handler: &str,
    status: Option<StatusCode>,
) -> Response {
    match try_to_response(value, handler) {
        Ok(mut r) => {
            if let Some(status) = status {
                with_status(value, &mut r, status);
            }
            r
        }
        Err(Problem::Unsupported(ty)) => {
            runtime::log_error(
                value.py(),
                &format!("handler `{handler}` returned an unsupported type `{ty}`; return dict, list, str, bytes, None, a model (dataclass, pydantic, msgspec), Response or a (body, status[, headers]) tuple"),
            );
            internal_error()
        }
        Err(Problem::Status(e)) => {
            runtime::log_error(
                value.py(),
                &format!("handler `{handler}` answered with an invalid status: {e}; answered 500"),
            );
            internal_error()
        }
        Err(Problem::Py(e)) => from_exception(value.py(), e, handler),
    }
}

/// A handler's return value → response, or the exception that says why it cannot be
/// one (an unsupported type is a `TypeError`, an invalid status a `ValueError`, both
/// naming the handler), for the app's exception handlers. `status` as for
/// `to_response`.
pub fn try_convert(
    value: &Bound<'_, PyAny>,
    handler: &str,
    status: Option<StatusCode>,
) -> PyResult<Response> {
    let mut r = try_to_response(value, handler).map_err(|p| p.into_err(handler))?;
    if let Some(status) = status {
        with_status(value, &mut r, status);
    }
    Ok(r)
}

/// The route's default status on a response made from plain data; a `Response` or a
/// `(body, status)` tuple keeps its own. Out of line: routes without `status_code=`
/// only test the `Option`.
#[inline(never)]
fn with_status(value: &Bound<'_, PyAny>, res: &mut Response, status: StatusCode) {
    if !value.is_instance_of::<PyResponse>()
        && !value.is_instance_of::<PyTuple>()
        && !value.is_instance_of::<crate::file_response::PyFileResponse>()
    {
        *res.status_mut() = status;
    }
}

/// `call_next`'s result in a Python middleware: what a handler returned, converted
/// exactly as the engine converts it, as a `cello.Response` (one is passed through).
/// What cannot be a response raises, naming the handler. `status` is the route's
/// `status_code=`.
#[pyfunction]
#[pyo3(signature = (value, handler, status=None))]
pub fn as_response(
    value: &Bound<'_, PyAny>,
    handler: &str,
    status: Option<u16>,
) -> PyResult<Py<PyAny>> {
    let py = value.py();
    if value.is_instance_of::<PyResponse>()
        || value.is_instance_of::<crate::file_response::PyFileResponse>()
    {
        // A file is sent by the engine, which knows the request's headers.
        return Ok(value.clone().unbind());
    }
    let status = status.map(crate::response::check_status).transpose()?;
    let (parts, body) = try_convert(value, handler, status)?.into_parts();
    let body = body_now(body)?;
    let mut headers = parts.headers;
    let content_type = match headers.remove(CONTENT_TYPE) {
        Some(v) => Some(
            v.to_str()
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?
                .to_owned(),
        ),
        None => None,
    };
    let body = if body.is_empty() && content_type.is_none() {
        py.None()
    } else {
        PyBytes::new(py, &body).into_any().unbind()
    };
    let headers = headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let res = PyResponse {
        body,
        status: parts.status.as_u16(),
        headers,
        content_type,
        background: None,
    };
    Ok(Bound::new(py, res)?.into_any().unbind())
}

/// The body of a response a handler can return: in memory, so it is read in one poll.
pub fn body_now(body: Body) -> PyResult<Bytes> {
    let mut read = std::pin::pin!(body.to_bytes());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::future::Future::poll(read.as_mut(), &mut cx) {
        std::task::Poll::Ready(Ok(b)) => Ok(b),
        std::task::Poll::Ready(Err(e)) => {
            Err(pyo3::exceptions::PyValueError::new_err(e.to_string()))
        }
        std::task::Poll::Pending => Err(pyo3::exceptions::PyValueError::new_err(
            "a response body must be known now, not a stream",
        )),
    }
}

/// A value given to `app.const(...)` → the response it always answers with; what a
/// handler could not return raises here, at registration.
pub fn constant(value: &Bound<'_, PyAny>) -> PyResult<Response> {
    if let Ok(r) = value.cast::<PyResponse>() {
        if r.borrow().background.is_some() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "a constant route cannot have background tasks: it never runs Python per request; use a handler",
            ));
        }
    }
    match try_to_response(value, "app.const") {
        Ok(r) => Ok(r),
        Err(Problem::Unsupported(ty)) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "a constant route cannot answer with `{ty}`; give dict, list, str, bytes, None, Response or a (body, status[, headers]) tuple"
        ))),
        Err(Problem::Status(e)) => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "a constant route has an invalid status: {e}"
        ))),
        Err(Problem::Py(e)) => Err(e),
    }
}

enum Problem {
    Unsupported(String),
    /// A status no response may have (1xx, past 599).
    Status(InvalidStatus),
    Py(PyErr),
}

impl Problem {
    fn into_err(self, handler: &str) -> PyErr {
        match self {
            Problem::Unsupported(ty) => pyo3::exceptions::PyTypeError::new_err(format!(
                "handler `{handler}` returned an unsupported type `{ty}`; return dict, list, str, bytes, None, a model (dataclass, pydantic, msgspec), Response or a (body, status[, headers]) tuple"
            )),
            Problem::Status(e) => pyo3::exceptions::PyValueError::new_err(format!(
                "handler `{handler}` answered with an invalid status: {e}"
            )),
            Problem::Py(e) => e,
        }
    }
}

impl From<PyErr> for Problem {
    fn from(e: PyErr) -> Self {
        Problem::Py(e)
    }
}

fn try_to_response(value: &Bound<'_, PyAny>, handler: &str) -> Result<Response, Problem> {
    if value.is_exact_instance_of::<PyDict>() || value.is_exact_instance_of::<PyList>() {
        let mut buf = Vec::with_capacity(64);
        json_encode::encode(value, &mut buf)?;
        return Ok(json_bytes(StatusCode::OK, buf));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(with_type(
            StatusCode::OK,
            TEXT_PLAIN,
            Bytes::copy_from_slice(s.to_str()?.as_bytes()),
        ));
    }
    if value.is_none() {
        return Ok(cello_http::IntoResponse::into_response(
            StatusCode::NO_CONTENT,
        ));
    }
    if let Ok(r) = value.cast::<PyResponse>() {
        return from_response(value, &r.borrow(), handler);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(with_type(
            StatusCode::OK,
            OCTET_STREAM,
            Bytes::copy_from_slice(b.as_bytes()),
        ));
    }
    if let Ok(t) = value.cast::<PyTuple>() {
        return from_tuple(t, handler);
    }
    if let Ok(f) = value.cast::<crate::file_response::PyFileResponse>() {
        return Ok(f.borrow().to_response());
    }
    if value.is_instance_of::<PyDict>() || value.is_instance_of::<PyList>() {
        let mut buf = Vec::with_capacity(64);
        json_encode::encode(value, &mut buf)?;
        return Ok(json_bytes(StatusCode::OK, buf));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(with_type(StatusCode::OK, OCTET_STREAM, b.to_vec()));
    }
    // Last, so plain data never pays for the lookups: dataclasses, pydantic models,
    // msgspec Structs, enums.
    if let Some(body) = json_encode::encode_model(value)? {
        return Ok(json_bytes(StatusCode::OK, body));
    }
    Err(Problem::Unsupported(
        value
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into()),
    ))
}

fn from_tuple(t: &Bound<'_, PyTuple>, handler: &str) -> Result<Response, Problem> {
    let n = t.len();
    if !(2..=3).contains(&n) {
        return Err(Problem::Unsupported(format!("tuple of {n} items")));
    }
    let mut res = try_to_response(&t.get_item(0)?, handler)?;
    let status: u16 = t.get_item(1)?.extract()?;
    *res.status_mut() = status::check(status).map_err(Problem::Status)?;
    if n == 3 {
        let item = t.get_item(2)?;
        for (k, v) in headers_from_py(Some(&item))? {
            res.headers_mut().append(k, v);
        }
    }
    Ok(res)
}

fn from_response(
    value: &Bound<'_, PyAny>,
    r: &PyResponse,
    handler: &str,
) -> Result<Response, Problem> {
    let py = value.py();
    let py_body = r.body.bind(py).clone();
    let (body, default_type): (Body, Option<HeaderValue>) = if py_body.is_none() {
        (Body::empty(), None)
    } else if let Ok(b) = py_body.cast::<PyBytes>() {
        (
            Body::full(Bytes::copy_from_slice(b.as_bytes())),
            Some(OCTET_STREAM),
        )
    } else if let Ok(s) = py_body.cast::<PyString>() {
        let ct = if r.content_type.as_deref() == Some("application/json") {
            APPLICATION_JSON
        } else {
            TEXT_PLAIN
        };
        if ct == APPLICATION_JSON {
            let mut buf = Vec::new();
            json_encode::encode(&py_body, &mut buf)?;
            (Body::full(buf), Some(ct))
        } else {
            (
                Body::full(Bytes::copy_from_slice(s.to_str()?.as_bytes())),
                Some(ct),
            )
        }
    } else if is_stream(&py_body)? {
        (stream_body(value, &py_body, handler)?, None)
    } else {
        let mut buf = Vec::with_capacity(64);
        json_encode::encode(&py_body, &mut buf)?;
        (Body::full(buf), Some(APPLICATION_JSON))
    };
    let body = match &r.background {
        Some(bg) => Body::new(crate::background::AfterBody::new(body, bg.clone_ref(py))),
        None => body,
    };
    let mut res = Response::new(body);
    // Checked when it was set; checked again as the one rule for every path.
    *res.status_mut() = status::check(r.status).map_err(Problem::Status)?;
    let ct = match &r.content_type {
        Some(ct) => HeaderValue::from_str(ct).ok(),
        None => default_type,
    };
    if let Some(ct) = ct {
        res.headers_mut().insert(CONTENT_TYPE, ct);
    }
    for (k, v) in &r.headers {
        res.headers_mut().append(k.clone(), v.clone());
    }
    Ok(res)
}

/// An iterator (sync or async) as a body: a streamed response. A dict or list is
/// data (JSON), never a stream.
fn is_stream(body: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = body.py();
    if body.is_instance_of::<PyDict>() || body.is_instance_of::<PyList>() {
        return Ok(false);
    }
    Ok(body.hasattr(pyo3::intern!(py, "__anext__"))?
        || body.hasattr(pyo3::intern!(py, "__next__"))?)
}

/// A response whose body is an iterator: pulled as the connection asks
/// (`stream_body.rs`). An `EventSourceResponse` sets `_cello_ping` to
/// `(seconds, comment bytes)` for its keep-alive comments.
#[inline(never)]
fn stream_body(
    response: &Bound<'_, PyAny>,
    iterator: &Bound<'_, PyAny>,
    handler: &str,
) -> PyResult<Body> {
    let py = response.py();
    let ping = match response.getattr_opt(pyo3::intern!(py, "_cello_ping"))? {
        Some(p) if !p.is_none() => {
            let (secs, frame): (f64, Vec<u8>) = p.extract()?;
            Some((
                std::time::Duration::try_from_secs_f64(secs).map_err(|e| {
                    pyo3::exceptions::PyValueError::new_err(format!("ping interval {secs}: {e}"))
                })?,
                Bytes::from(frame),
            ))
        }
        _ => None,
    };
    let body = crate::stream_body::PyStreamBody::new(iterator, handler, ping)?;
    Ok(Body::new(body))
}

/// `{"detail": "Internal Server Error"}` with 500.
pub fn internal_error() -> Response {
    json_bytes(
        StatusCode::INTERNAL_SERVER_ERROR,
        &br#"{"detail":"Internal Server Error"}"#[..],
    )
}

/// An exception from a handler → response: `HTTPException` gives its status and
/// `{"detail": ...}`; anything else is logged with its traceback and becomes a 500.
pub fn from_exception(py: Python<'_>, err: PyErr, handler: &str) -> Response {
    if let Ok(rt) = runtime::get(py) {
        if err.is_instance(py, rt.http_exception.bind(py)) {
            match http_exception_response(err.value(py)) {
                Ok(r) => return r,
                Err(Problem::Status(e)) => {
                    runtime::log_error(
                        py,
                        &format!("handler `{handler}` raised HTTPException with an invalid status: {e}; answered 500"),
                    );
                    return internal_error();
                }
                // Logged below, with its traceback.
                Err(_) => {}
            }
        }
    }
    log_exception(py, err, handler);
    internal_error()
}

/// An exception handler (`@app.exception_handler`) that raised: its traceback is
/// logged and the answer is a generic 500, whatever it raised.
pub fn exception_handler_failed(py: Python<'_>, err: PyErr, name: &str) -> Response {
    log_exception(py, err, name);
    internal_error()
}

/// Logs `err` with its traceback, naming `handler` (logger `cello`).
pub(crate) fn log_exception(py: Python<'_>, err: PyErr, handler: &str) {
    if let Ok(rt) = runtime::get(py) {
        // `into_value` sets `__traceback__` on the value (CPython < 3.12 keeps it
        // apart), so the log shows where the handler failed.
        let exc = err.clone_ref(py).into_value(py);
        if rt.log_exception.call1(py, (handler, exc)).is_err() {
            err.print(py);
        }
    } else {
        err.print(py);
    }
}

fn http_exception_response(exc: &Bound<'_, PyAny>) -> Result<Response, Problem> {
    let py = exc.py();
    let status: u16 = exc.getattr(pyo3::intern!(py, "status_code"))?.extract()?;
    let status = status::check(status).map_err(Problem::Status)?;
    let d = exc.getattr(pyo3::intern!(py, "detail"))?;
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(b"{\"detail\":");
    json_encode::encode(&d, &mut buf)?;
    buf.push(b'}');
    let mut res = json_bytes(status, buf);
    let headers = exc.getattr(pyo3::intern!(py, "headers"))?;
    for (k, v) in headers_from_py(Some(&headers))? {
        res.headers_mut().append(k, v);
    }
    Ok(res)
}
