//! Calling a handler on the Python thread: sync handlers inline; coroutines stepped
//! eagerly with `PyIter_Send`, so one that finishes without suspending costs about a
//! sync call; one that suspends becomes an asyncio Task on the guest loop, and its
//! result comes back through a oneshot channel, all on the same thread.

use crate::convert;
use crate::request::{param_to_py, PyRequest};
use crate::resume::Resume;
use crate::scheduler::Scheduler;
use cello_http::Response;
use cello_middleware::forwarded::ClientInfo;
use cello_router::ParamValue;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tokio::sync::oneshot;

/// Where a suspended handler's outcome arrives.
type ResultReceiver = oneshot::Receiver<PyResult<Py<PyAny>>>;

/// One positional argument of a handler, decided once at registration.
pub enum Arg {
    /// The `Request`.
    Request,
    /// The path parameter with this name.
    Param(String),
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
    /// What to pass it, in order.
    pub args: Vec<Arg>,
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
}

impl PendingTask {
    /// Waits for the Task and converts its result.
    pub async fn finish(mut self, name: &str) -> Response {
        let result = match self.rx.take() {
            Some(rx) => rx.await,
            None => return convert::internal_error(),
        };
        self.task = None;
        Python::attach(|py| match result {
            Ok(Ok(v)) => convert::to_response(v.bind(py), name),
            Ok(Err(e)) => convert::from_exception(py, e, name),
            Err(_) => convert::internal_error(),
        })
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
    /// The body, read in full (within the limit).
    pub body: bytes::Bytes,
    /// The client.
    pub peer: Option<std::net::SocketAddr>,
}

/// Calls `route` for `req` and takes the first step.
pub fn start(py: Python<'_>, route: &Route, req: Incoming, scheduler: &Scheduler) -> Started {
    let args = match build_args(py, route, req) {
        Ok(a) => a,
        Err(e) => return Started::Done(convert::from_exception(py, e, &route.name)),
    };
    let result = match route.handler.bind(py).call1(args) {
        Ok(r) => r,
        Err(e) => return Started::Done(convert::from_exception(py, e, &route.name)),
    };
    if !route.is_async {
        return Started::Done(convert::to_response(&result, &route.name));
    }
    // The coroutine runs inside a real asyncio Task from its first step, started
    // eagerly (Python 3.12's eager_start; on 3.11 the Task's first step is taken
    // at once): current_task(), asyncio.timeout() and contextvars work before the
    // first await too. `Resume` hands the outcome back the moment the coroutine
    // finishes, so one that never suspends is answered right here.
    let (tx, mut rx) = oneshot::channel();
    let started = Bound::new(py, Resume::new(result.unbind(), tx))
        .and_then(|resume| scheduler.start_task(resume.as_any(), route.task_name.bind(py)));
    let task = match started {
        Ok(t) => t,
        Err(e) => return Started::Done(convert::from_exception(py, e, &route.name)),
    };
    match rx.try_recv() {
        // Whatever the step scheduled (a timer, a fire-and-forget task) has woken
        // the loop's driver already.
        Ok(Ok(v)) => Started::Done(convert::to_response(v.bind(py), &route.name)),
        Ok(Err(e)) => Started::Done(convert::from_exception(py, e, &route.name)),
        Err(oneshot::error::TryRecvError::Empty) => Started::Pending(PendingTask {
            rx: Some(rx),
            task: Some(task.unbind()),
        }),
        Err(oneshot::error::TryRecvError::Closed) => Started::Done(convert::internal_error()),
    }
}

fn build_args<'py>(py: Python<'py>, route: &Route, req: Incoming) -> PyResult<Bound<'py, PyTuple>> {
    // Path parameters are converted first: the Request object takes them over.
    let mut items: Vec<Option<Bound<'py, PyAny>>> = Vec::with_capacity(route.args.len());
    for arg in &route.args {
        items.push(match arg {
            Arg::Param(name) => Some(match req.params.iter().find(|(k, _)| k == name) {
                Some((_, v)) => param_to_py(py, v)?,
                None => py.None().into_bound(py),
            }),
            Arg::Request => None,
        });
    }
    let mut request: Option<Bound<'py, PyAny>> = None;
    if items.iter().any(Option::is_none) {
        let mut r = req;
        // Set by the `TrustedProxies` layer; an empty extension map makes this free.
        let forwarded = r.parts.extensions.remove::<ClientInfo>().map(Box::new);
        let obj = Bound::new(
            py,
            PyRequest {
                method: r.parts.method,
                uri: r.parts.uri,
                headers: r.parts.headers,
                params: r.params,
                body: r.body,
                peer: r.peer,
                forwarded,
            },
        )?;
        request = Some(obj.into_any());
    }
    PyTuple::new(
        py,
        items.into_iter().map(|item| {
            item.or_else(|| request.clone())
                .unwrap_or_else(|| py.None().into_bound(py))
        }),
    )
}
