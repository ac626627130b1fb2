//! Calling a handler on the Python thread: sync handlers inline; coroutines stepped
//! eagerly with `PyIter_Send`, so one that finishes without suspending costs about a
//! sync call; one that suspends becomes an asyncio Task on the guest loop, and its
//! result comes back through a oneshot channel, all on the same thread.

use crate::convert;
use crate::recovery::Recovery;
use crate::request::{param_to_py, PyRequest};
use crate::resume::Resume;
use crate::scheduler::Scheduler;
use cello_http::Response;
use cello_router::ParamValue;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Where a suspended handler's outcome arrives.
type ResultReceiver = oneshot::Receiver<PyResult<Py<PyAny>>>;

/// One positional argument of a handler, decided once at registration.
pub enum Arg {
    /// The `Request`.
    Request,
    /// The path parameter with this name.
    Param(String),
    /// A parameter read from text — the query string (`limit: int = 10`), a
    /// header, a cookie, a path segment or a form field — converted and checked in
    /// Rust.
    Text(crate::params::TextParam),
    /// The body, or one key of it (`item: Item`, `Body()`).
    Body(Box<crate::body::BodySpec>),
    /// A file part of a multipart form (`file: UploadFile`, `File()`).
    File(Box<crate::upload::FileParam>),
}

impl Arg {
    /// `None` → the request, `"name"` → a path parameter the router converted,
    /// `(name, type, required, default, choices, source, options)` → a text
    /// parameter, as `cello._signature.RouteSignature.engine_args` lists them.
    pub fn from_spec(spec: &Bound<'_, PyAny>, handler: &str) -> PyResult<Arg> {
        if spec.is_none() {
            return Ok(Arg::Request);
        }
        if let Ok(name) = spec.extract::<String>() {
            return Ok(Arg::Param(name));
        }
        if let Ok(body) = spec.cast::<pyo3::types::PyDict>() {
            if let Some(source) = body.get_item("source")? {
                if source.extract::<&str>()? == "file" {
                    return crate::upload::FileParam::from_spec(body, handler)
                        .map(|f| Arg::File(Box::new(f)));
                }
            }
            return crate::body::BodySpec::from_spec(body, handler).map(|b| Arg::Body(Box::new(b)));
        }
        crate::params::TextParam::from_spec(spec, handler).map(Arg::Text)
    }
}

/// A registered handler.
pub struct Route {
    /// The Python callable.
    pub handler: Py<PyAny>,
    /// Its qualified name, for logs.
    pub name: String,
    /// The same, as the name of its asyncio Tasks.
    pub task_name: Py<PyAny>,
    /// `async def`.
    pub is_async: bool,
    /// Some argument is converted and checked per request (a text or body
    /// parameter): decided at registration, so other routes skip that machinery.
    pub checked: bool,
    /// It may read a multipart form (it takes the request, a `Form()` or a file
    /// parameter): its multipart bodies are parsed and spooled; other routes read
    /// them as any body, within `max_body_size`.
    pub reads_form: bool,
    /// What to pass it, in order.
    pub args: Vec<Arg>,
    /// `status_code=`: the status of its answers that do not set their own.
    pub status: Option<http::StatusCode>,
    /// `stream_request=True`: the body is left unread for `req.stream()`.
    pub stream_body: bool,
}

/// What the first step of a handler gave.
pub enum Started {
    /// A response, ready now.
    Done(Response),
    /// A coroutine that suspended: its Task finishes on the guest loop.
    Pending(PendingTask),
}

/// A suspended handler. Dropping it (the client went away) cancels the Task.
pub struct PendingTask {
    rx: Option<ResultReceiver>,
    task: Option<Py<PyAny>>,
    on_error: OnError,
    /// An exception handler's name, for its logs (a route's is given to `finish`).
    label: Option<String>,
    /// The route's `status_code=`, for what the Task returns.
    status: Option<http::StatusCode>,
}

/// Where an exception on the way to a response goes.
pub enum OnError {
    /// The default answer: `HTTPException` gives its status, anything else a logged 500.
    Default,
    /// The app's exception handlers (`@app.exception_handler`), given this request.
    Recover(Arc<Recovery>, Py<PyAny>),
    /// An exception handler's own failure: a logged 500.
    Fail,
}

impl PendingTask {
    /// Waits for the Task and converts its result.
    pub async fn finish(mut self, name: &str) -> Response {
        let label = self.label.take();
        let name = label.as_deref().unwrap_or(name);
        let result = match self.rx.take() {
            Some(rx) => rx.await,
            None => return convert::internal_error(),
        };
        self.task = None;
        let on_error = std::mem::replace(&mut self.on_error, OnError::Default);
        let status = self.status;
        let started = Python::attach(|py| match result {
            Ok(Ok(v)) => answer(py, v.bind(py), name, status, on_error),
            Ok(Err(e)) => fail(py, e, name, on_error),
            Err(_) => Started::Done(convert::internal_error()),
        });
        match started {
            Started::Done(r) => r,
            // An async exception handler that suspended; its own errors are final.
            Started::Pending(p) => Box::pin(p.finish(name)).await,
        }
    }
}

/// A value on its way to a response: converted (with `status` unless it sets its
/// own), or, when it cannot be one and the app has exception handlers, handed to them.
pub fn answer(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
    status: Option<http::StatusCode>,
    on_error: OnError,
) -> Started {
    match on_error {
        OnError::Recover(recovery, request) => match convert::try_convert(value, name, status) {
            Ok(r) => Started::Done(r),
            Err(e) => recovery.handler_error(py, request.bind(py), e, name),
        },
        _ => Started::Done(convert::to_response(value, name, status)),
    }
}

/// An exception on the way to a response → the answer `on_error` says.
pub fn fail(py: Python<'_>, err: PyErr, name: &str, on_error: OnError) -> Started {
    match on_error {
        OnError::Default => Started::Done(convert::from_exception(py, err, name)),
        OnError::Recover(recovery, request) => {
            recovery.handler_error(py, request.bind(py), err, name)
        }
        OnError::Fail => Started::Done(convert::exception_handler_failed(py, err, name)),
    }
}

impl Drop for PendingTask {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            Python::attach(|py| {
                // Scheduling the cancellation wakes the loop's driver.
                let _ = task.call_method0(py, pyo3::intern!(py, "cancel"));
            });
        }
    }
}

/// The parts of a request the handler may need.
pub struct Incoming {
    /// The request head.
    pub parts: http::request::Parts,
    /// Converted path parameters.
    pub params: Vec<(String, ParamValue<'static>)>,
    /// The body, read in full (within the limit); empty for a multipart form.
    pub body: bytes::Bytes,
    /// A `multipart/form-data` body, parsed as it streamed in.
    pub form: Option<Box<crate::upload::Form>>,
    /// The client.
    pub peer: Option<std::net::SocketAddr>,
}

/// Calls `route` for `req` and takes the first step. With `recovery` (the app has
/// exception handlers) the request object is kept for them.
pub fn start(
    py: Python<'_>,
    route: &Route,
    req: Incoming,
    scheduler: &Scheduler,
    recovery: Option<&Arc<Recovery>>,
) -> Started {
    let (args, request, invalid) = match build_args(py, route, req, recovery.is_some()) {
        Ok(a) => a,
        Err(e) => return Started::Done(convert::from_exception(py, e, &route.name)),
    };
    let on_error = match (recovery, request) {
        (Some(r), Some(req)) => OnError::Recover(r.clone(), req.unbind()),
        _ => OnError::Default,
    };
    if let Some(invalid) = invalid {
        // The app's exception handlers see it as any HTTPException(422).
        return fail(py, invalid, &route.name, on_error);
    }
    let result = match route.handler.bind(py).call1(args) {
        Ok(r) => r,
        Err(e) => return fail(py, e, &route.name, on_error),
    };
    if !route.is_async {
        return answer(py, &result, &route.name, route.status, on_error);
    }
    run_coroutine(
        py,
        result,
        route.task_name.bind(py),
        &route.name,
        scheduler,
        route.status,
        on_error,
    )
}

/// Runs `coro` (a handler's, or an exception handler's) as an asyncio Task, stepped
/// at once; its outcome is answered with `status` (the route's `status_code=`) as
/// `on_error` says.
pub fn run_coroutine(
    py: Python<'_>,
    coro: Bound<'_, PyAny>,
    task_name: &Bound<'_, PyAny>,
    name: &str,
    scheduler: &Scheduler,
    status: Option<http::StatusCode>,
    on_error: OnError,
) -> Started {
    // The coroutine runs inside a real asyncio Task from its first step, started
    // eagerly (Python 3.12's eager_start; on 3.11 the Task's first step is taken
    // at once): current_task(), asyncio.timeout() and contextvars work before the
    // first await too. `Resume` hands the outcome back the moment the coroutine
    // finishes, so one that never suspends is answered right here.
    let (tx, mut rx) = oneshot::channel();
    let started = Bound::new(py, Resume::new(coro.unbind(), tx))
        .and_then(|resume| scheduler.start_task(resume.as_any(), task_name));
    let task = match started {
        Ok(t) => t,
        Err(e) => return fail(py, e, name, on_error),
    };
    match rx.try_recv() {
        // Whatever the step scheduled (a timer, a fire-and-forget task) has woken
        // the loop's driver already.
        Ok(Ok(v)) => answer(py, v.bind(py), name, status, on_error),
        Ok(Err(e)) => fail(py, e, name, on_error),
        Err(oneshot::error::TryRecvError::Empty) => Started::Pending(PendingTask {
            rx: Some(rx),
            task: Some(task.unbind()),
            label: matches!(on_error, OnError::Fail).then(|| name.to_owned()),
            on_error,
            status,
        }),
        Err(oneshot::error::TryRecvError::Closed) => Started::Done(convert::internal_error()),
    }
}

/// A handler's arguments, the request object when it was made (or `keep` asked for
/// it), and the error to answer instead when a parameter did not convert.
type Built<'py> = (
    Bound<'py, PyTuple>,
    Option<Bound<'py, PyAny>>,
    Option<PyErr>,
);

fn build_args<'py>(
    py: Python<'py>,
    route: &Route,
    req: Incoming,
    keep: bool,
) -> PyResult<Built<'py>> {
    if route.checked {
        return build_checked_args(py, route, req, keep);
    }
    // Most routes take only the request and path parameters: they pay nothing for
    // the text parameters' machinery (which copied the request once more, measured
    // on `/json`).
    let mut items: Vec<Option<Bound<'py, PyAny>>> = Vec::with_capacity(route.args.len());
    for arg in &route.args {
        items.push(match arg {
            Arg::Param(name) => Some(path_param(py, &req, name)?),
            _ => None,
        });
    }
    assemble(py, items, req, keep, None)
}

/// [`build_args`] for a route with text or body parameters: each converted and
/// checked, every failure gathered into one 422.
#[inline(never)]
fn build_checked_args<'py>(
    py: Python<'py>,
    route: &Route,
    req: Incoming,
    keep: bool,
) -> PyResult<Built<'py>> {
    let mut items: Vec<Option<Bound<'py, PyAny>>> = Vec::with_capacity(route.args.len());
    let multipart = req.form.as_deref();
    let mut sources = crate::sources::Sources::new(
        &req.parts,
        &req.params,
        &req.body,
        multipart.map(|f| f.fields.as_slice()),
    );
    let mut errors = crate::validation::Errors::default();
    // The body is read once, by its first parameter; a refusal (415, 400) wins.
    let mut body = None;
    let mut refused = None;
    let mut form_checked = false;
    // Body failures are listed after the others', as FastAPI lists them.
    let mut body_errors = crate::validation::Errors::default();
    for arg in &route.args {
        items.push(match arg {
            Arg::Param(name) => Some(path_param(py, &req, name)?),
            Arg::Text(param) => {
                if param.is_form() && !form_checked && multipart.is_none() {
                    form_checked = true;
                    if refused.is_none() {
                        refused = crate::body::form_refusal(py, &req.parts, &req.body)?;
                    }
                }
                Some(param.convert(py, &mut sources, &mut errors)?)
            }
            Arg::File(param) => {
                if !form_checked && multipart.is_none() {
                    form_checked = true;
                    if refused.is_none() {
                        refused = crate::body::form_refusal(py, &req.parts, &req.body)?;
                    }
                }
                Some(param.pick(py, multipart, &mut errors)?)
            }
            Arg::Body(_) if multipart.is_some() => {
                if refused.is_none() {
                    refused = crate::body::json_refusal(py, &req.parts)?;
                }
                Some(py.None().into_bound(py))
            }
            Arg::Body(spec) => {
                if body.is_none() {
                    body = Some(spec.read(
                        py,
                        &req.parts,
                        &req.body,
                        &mut body_errors,
                        &mut refused,
                    )?);
                }
                match &body {
                    Some(read) => Some(spec.pick(py, read)?),
                    None => Some(py.None().into_bound(py)),
                }
            }
            Arg::Request => None,
        });
    }
    drop(sources);
    errors.append(body_errors);
    let invalid = match refused {
        Some(r) => Some(r),
        None => errors.into_exception(py)?,
    };
    assemble(py, items, req, keep, invalid)
}

/// A WebSocket handler's arguments: as a route's, with the object `make(request)`
/// gives (the `WebSocket`) wherever the request would go; `Err` is the 422 to answer
/// when a parameter did not convert.
pub fn websocket_args<'py>(
    py: Python<'py>,
    route: &Route,
    req: Incoming,
    make: impl FnOnce(Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Result<Bound<'py, PyTuple>, PyErr>> {
    let (args, request, invalid) = build_args(py, route, req, true)?;
    if let Some(invalid) = invalid {
        return Ok(Err(invalid));
    }
    let Some(request) = request else {
        return Ok(Ok(args));
    };
    let ws = make(request.clone())?;
    let args = PyTuple::new(
        py,
        args.iter()
            .map(|a| if a.is(&request) { ws.clone() } else { a }),
    )?;
    Ok(Ok(args))
}

/// A path parameter the router converted.
fn path_param<'py>(py: Python<'py>, req: &Incoming, name: &str) -> PyResult<Bound<'py, PyAny>> {
    match req.params.iter().find(|(k, _)| k == name) {
        Some((_, v)) => param_to_py(py, v),
        None => Ok(py.None().into_bound(py)),
    }
}

/// The arguments in order, the request standing in for each `None`; or, when
/// `invalid`, no arguments and the 422.
#[inline(always)]
fn assemble<'py>(
    py: Python<'py>,
    items: Vec<Option<Bound<'py, PyAny>>>,
    req: Incoming,
    keep: bool,
    invalid: Option<PyErr>,
) -> PyResult<Built<'py>> {
    // Path parameters were converted first: the Request object takes them over.
    let mut request: Option<Bound<'py, PyAny>> = None;
    if keep || items.iter().any(Option::is_none) {
        request = Some(Bound::new(py, PyRequest::new(req))?.into_any());
    }
    if invalid.is_some() {
        return Ok((PyTuple::empty(py), request, invalid));
    }
    let args = PyTuple::new(
        py,
        items.into_iter().map(|item| {
            item.or_else(|| request.clone())
                .unwrap_or_else(|| py.None().into_bound(py))
        }),
    )?;
    Ok((args, if keep { request } else { None }, None))
}
