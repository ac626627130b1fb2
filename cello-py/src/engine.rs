//! `Engine`: a Python app as a `cello::App` — Python handlers and constant routes as
//! its endpoints — served by the worker loop the Rust server runs, inside a runtime
//! that holds the GIL.

use crate::call::{self, Arg, Incoming, Route, Started};
use crate::convert;
use crate::guest_loop;
use crate::listener::{self, PyListener};
use crate::multipart::{SpoolBudget, UploadLimits};
use crate::recovery::{EngineError, Recovery};
use crate::scheduler::Scheduler;
use cello::{App, Constant, HandlerFuture, Rejection, RequestContext};
use cello_http::{Body, HttpConfig, Request, Response};
use cello_net::{ServeConfig, Shutdown};
use http_body::Body as _;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The routes of an app and the server that runs them, for one worker.
///
/// Routes are added while the app is set up; `serve` freezes the table (it is
/// immutable from then on) and serves until `stop` is called or SIGINT/SIGTERM
/// arrives.
#[pyclass(module = "cello._cello")]
pub struct Engine {
    app: Mutex<Option<App<Worker>>>,
    worker: Worker,
    shutdown: Shutdown,
    /// `set_error_handler`'s `find` and statuses.
    error_handler: Mutex<Option<(Py<PyAny>, Vec<u16>)>>,
}

/// The app's state: what the worker's handlers share, set when it starts serving (the
/// event loop's scheduler is known only then).
#[derive(Clone, Default)]
pub(crate) struct Worker(pub(crate) Arc<OnceLock<WorkerState>>);

pub(crate) struct WorkerState {
    pub(crate) scheduler: Py<Scheduler>,
    /// Multipart limits and the worker's in-memory spool budget.
    uploads: UploadLimits,
    /// `max_body_size`: a multipart body to a route that reads no form is held to it.
    max_body: u64,
    spool: SpoolBudget,
    /// The app's exception handlers; None (no cost) without them.
    recovery: Option<Arc<Recovery>>,
}

/// A Python handler as an endpoint of the `cello::App`.
#[derive(Clone)]
struct PyEndpoint {
    route: Arc<Route>,
    /// The pattern's parameter names, in the order the app passes their values.
    names: Arc<[String]>,
}

/// `PyEndpoint`'s argument list, for `cello::Handler`'s type parameter.
struct PyArgs;

impl cello::Handler<PyArgs, Worker> for PyEndpoint {
    fn call(&self, req: Request, ctx: RequestContext<Worker>) -> HandlerFuture {
        let params = named_params(&self.names, &ctx);
        Box::pin(handle(
            ctx.state().clone(),
            ctx.peer(),
            self.route.clone(),
            params,
            req,
        ))
    }

    /// A request with no body to read is handed to the handler here, not in a future:
    /// a synchronous handler's answer then needs no boxed future, and the request is
    /// not copied into one (~500 instructions a request, callgrind).
    fn call_now(
        &self,
        req: Request,
        ctx: RequestContext<Worker>,
    ) -> Result<Response, HandlerFuture> {
        if !self.route.stream_body && !req.body().is_end_stream() {
            return Err(self.call(req, ctx));
        }
        let Some(state) = ctx.state().0.get() else {
            // Unreachable: the worker's state is set before the server starts.
            return Ok(convert::internal_error());
        };
        let params = named_params(&self.names, &ctx);
        let (parts, body) = req.into_parts();
        answer_now(state, &self.route, ctx.peer(), params, parts, body)
    }
}

#[pymethods]
impl Engine {
    /// Registers a constant route: `value` (anything a handler may return) is turned
    /// into a response once, here, and every request gets a copy from Rust.
    fn add_const(&self, method: &str, pattern: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?}")))?;
        let res = convert::constant(value)?;
        let (parts, body) = res.into_parts();
        let body = convert::body_now(body)?;
        let answer = Constant::new(parts.status, parts.headers, body);
        self.with_app(|app| app.constant(method, pattern, answer))
    }

    /// Registers a native route: `capsule` is a `cello.native.v1` capsule (a
    /// cello-native handler from another extension module), checked here and kept
    /// alive with the app; its requests make no Python call.
    fn add_native(&self, method: &str, pattern: &str, capsule: &Bound<'_, PyAny>) -> PyResult<()> {
        let method_name = method.to_ascii_uppercase();
        let method = http::Method::from_bytes(method_name.as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?}")))?;
        let endpoint = crate::native::NativeEndpoint::new(&method_name, pattern, capsule)?;
        self.with_app(|app| app.sync_route(method, pattern, endpoint))
    }

    #[new]
    fn new() -> Self {
        let worker = Worker::default();
        Engine {
            app: Mutex::new(Some(App::with_state(worker.clone()))),
            worker,
            shutdown: Shutdown::new(),
            error_handler: Mutex::new(None),
        }
    }

    /// Hands errors to the app's exception handlers: `find(request, exc, route)`
    /// returns `(handler, name, is_async)` or None (the default answer). Exceptions from
    /// handlers always go to it; the engine's own errors (404, 405, 408, 413, 422) only
    /// for the statuses in `statuses`, as `HTTPException`.
    fn set_error_handler(&self, find: Py<PyAny>, statuses: Vec<u16>) -> PyResult<()> {
        *self
            .error_handler
            .lock()
            .map_err(|_| PyRuntimeError::new_err("error handler lock poisoned"))? =
            Some((find, statuses));
        Ok(())
    }

    /// Registers `handler` for `method` and `pattern` (e.g. `/users/{id:int}`).
    /// `args` lists what to pass, in order: `None` for the request, a name for a path
    /// parameter the router converts, `(name, type, required, default, choices, source,
    /// options)` for a parameter read from text (query, header, cookie, path; see
    /// `params.rs`), a dict for the body (see `body.rs`). `param_types` types the
    /// parameters the pattern leaves untyped (`{"id": "int"}`, read from the handler's
    /// annotations). `status` is the status of answers that do not set their own
    /// (`status_code=`; 200 when None). `stream_request`: the body is not read before
    /// the handler runs; `req.stream()` reads it. Conflicting routes raise `ValueError`
    /// naming both.
    #[pyo3(signature = (method, pattern, handler, name, is_async, args, param_types=None, status=None, stream_request=false))]
    #[allow(clippy::too_many_arguments)]
    fn add_route(
        &self,
        py: Python<'_>,
        method: &str,
        pattern: &str,
        handler: Py<PyAny>,
        name: String,
        is_async: bool,
        args: Vec<Bound<'_, PyAny>>,
        param_types: Option<Vec<(String, String)>>,
        status: Option<u16>,
        stream_request: bool,
    ) -> PyResult<()> {
        let status = status
            .map(|s| {
                crate::response::check_status(s).map_err(|e| {
                    PyValueError::new_err(format!("handler {name}: status_code={s}: {e}"))
                })
            })
            .transpose()?;
        let types = path_types(&name, &param_types)?;
        let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?}")))?;
        let args = args
            .iter()
            .map(|a| Arg::from_spec(a, &name))
            .collect::<PyResult<Vec<Arg>>>()?;
        let checked = args
            .iter()
            .any(|a| matches!(a, Arg::Text(_) | Arg::Body(_) | Arg::File(_)));
        let reads_form = args.iter().any(|a| match a {
            Arg::Request | Arg::File(_) => true,
            Arg::Text(t) => t.is_form(),
            _ => false,
        });
        let route = Route {
            handler,
            task_name: pyo3::types::PyString::new(py, &name).into_any().unbind(),
            name,
            is_async,
            checked,
            reads_form,
            args,
            status,
            stream_body: stream_request,
        };
        let names = cello_router::RouterBuilder::<()>::pattern_params(pattern)
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .into_iter()
            .map(|p| p.name)
            .collect();
        let endpoint = PyEndpoint {
            route: Arc::new(route),
            names,
        };
        self.with_app(|app| app.try_route(method, pattern, &types, endpoint))
    }

    /// Registers a WebSocket handler (`async def`) for `pattern`: `args` as for
    /// `add_route`, the request's places taken by `cls(request, conn)` (the
    /// `cello.websockets.WebSocket`). `max_size`: the largest message in bytes (1009
    /// past it); `ping_interval`/`ping_timeout` in seconds (None: no pings).
    #[pyo3(signature = (pattern, handler, name, args, cls, max_size, ping_interval=None, ping_timeout=None, param_types=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_websocket(
        &self,
        py: Python<'_>,
        pattern: &str,
        handler: Py<PyAny>,
        name: String,
        args: Vec<Bound<'_, PyAny>>,
        cls: Py<PyAny>,
        max_size: usize,
        ping_interval: Option<f64>,
        ping_timeout: Option<f64>,
        param_types: Option<Vec<(String, String)>>,
    ) -> PyResult<()> {
        let types = path_types(&name, &param_types)?;
        let args = args
            .iter()
            .map(|a| Arg::from_spec(a, &name))
            .collect::<PyResult<Vec<Arg>>>()?;
        let checked = args
            .iter()
            .any(|a| matches!(a, Arg::Text(_) | Arg::Body(_)));
        let route = Route {
            handler,
            task_name: pyo3::types::PyString::new(py, &name).into_any().unbind(),
            name,
            is_async: true,
            checked,
            // A handshake has no body.
            reads_form: false,
            args,
            status: None,
            stream_body: false,
        };
        let names = cello_router::RouterBuilder::<()>::pattern_params(pattern)
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .into_iter()
            .map(|p| p.name)
            .collect();
        let ping = match (ping_interval, ping_timeout) {
            (Some(i), t) if i > 0.0 => Some((secs(i), secs(t.unwrap_or(i)))),
            _ => None,
        };
        let endpoint = crate::websocket::WsEndpoint {
            route: Arc::new(route),
            names,
            class: Arc::new(cls),
            config: crate::websocket::WsConfig { max_size, ping },
        };
        // GET: the HTTP/1.1 handshake; CONNECT: HTTP/2's extended CONNECT (RFC 8441).
        self.with_app(|app| {
            app.try_route(http::Method::GET, pattern, &types, endpoint.clone())?;
            app.try_route(http::Method::CONNECT, pattern, &types, endpoint)
        })
    }

    /// Serves the files under `directory` at `prefix` (`app.mount(prefix,
    /// StaticFiles(directory=..., html=...))`), from Rust (cello-static's
    /// `ServeDir`). A directory that does not exist raises `RuntimeError`; a prefix
    /// that conflicts with a route, `ValueError`.
    fn mount_static(
        &self,
        prefix: &str,
        directory: std::path::PathBuf,
        html: bool,
    ) -> PyResult<()> {
        let dir = cello_static::ServeDir::new(&directory)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .html(html);
        self.with_app(|app| app.try_mount(prefix, dir))
    }

    /// Serves on `host:port` until stopped, or on `listener` (from `bind_listeners`)
    /// when given. A busy port raises `OSError` "address already in use". `event_loop`
    /// is the asyncio selector loop handlers run on (this thread's). `ready(port)` is
    /// called once listening (port 0 picks a free port). Limits, in bytes and seconds;
    /// one left out (None) keeps the engine's default (`cello_http::HttpConfig`,
    /// `cello_net::ServeConfig`). `redirect_slashes`: a 307 between `/a` and `/a/`
    /// when only the other one is routed (`cello::App::redirect_slashes`). Uploads
    /// (`multipart/form-data`): `max_upload_size` bounds the whole body in place of
    /// `max_body_size`; the rest are `crate::multipart::UploadLimits`' fields.
    #[pyo3(signature = (host, port, event_loop, ready=None, handle_signals=true, max_body_size=None, max_header_size=None, header_timeout=None, keep_alive_timeout=None, body_timeout=None, request_read_timeout=None, min_body_rate=None, write_timeout=None, max_connections=None, shutdown_timeout=None, listener=None, middleware=None, redirect_slashes=false, max_upload_size=None, max_files=None, max_fields=None, max_part_size=None, max_file_size=None, upload_spool_size=None, upload_spool_memory=None, upload_dir=None, limit_concurrency=None, root_path=None, supervisor_fd=None, max_requests=None, ssl_certfile=None, ssl_keyfile=None, ssl_keyfile_password=None, ssl_ca_certs=None, ssl_cert_reqs=None, http=None, h2_max_concurrent_streams=None, h2_initial_stream_window=None, h2_initial_connection_window=None, h2_max_header_list_size=None))]
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &self,
        py: Python<'_>,
        host: &str,
        port: u16,
        event_loop: Py<PyAny>,
        ready: Option<Py<PyAny>>,
        handle_signals: bool,
        max_body_size: Option<u64>,
        max_header_size: Option<usize>,
        header_timeout: Option<f64>,
        keep_alive_timeout: Option<f64>,
        body_timeout: Option<f64>,
        request_read_timeout: Option<f64>,
        min_body_rate: Option<u64>,
        write_timeout: Option<f64>,
        max_connections: Option<usize>,
        shutdown_timeout: Option<f64>,
        listener: Option<Bound<'_, PyListener>>,
        middleware: Option<Vec<(String, Bound<'_, pyo3::types::PyDict>)>>,
        redirect_slashes: bool,
        max_upload_size: Option<u64>,
        max_files: Option<usize>,
        max_fields: Option<usize>,
        max_part_size: Option<u64>,
        max_file_size: Option<u64>,
        upload_spool_size: Option<u64>,
        upload_spool_memory: Option<u64>,
        upload_dir: Option<std::path::PathBuf>,
        limit_concurrency: Option<usize>,
        root_path: Option<String>,
        supervisor_fd: Option<i32>,
        max_requests: Option<u64>,
        ssl_certfile: Option<std::path::PathBuf>,
        ssl_keyfile: Option<std::path::PathBuf>,
        ssl_keyfile_password: Option<String>,
        ssl_ca_certs: Option<std::path::PathBuf>,
        ssl_cert_reqs: Option<Py<PyAny>>,
        http: Option<Py<PyAny>>,
        h2_max_concurrent_streams: Option<u32>,
        h2_initial_stream_window: Option<u32>,
        h2_initial_connection_window: Option<u32>,
        h2_max_header_list_size: Option<u32>,
    ) -> PyResult<()> {
        // TLS files are read first: a bad one fails before anything else is set up.
        let tls_options = crate::tls::TlsOptions {
            certfile: ssl_certfile,
            keyfile: ssl_keyfile,
            keyfile_password: ssl_keyfile_password,
            ca_certs: ssl_ca_certs,
            cert_reqs: ssl_cert_reqs,
            http,
        };
        let tls = tls_options.acceptor(py)?;
        // Under a supervisor: heartbeats, and the notice that max_requests was reached.
        let reporter = supervisor_fd
            .map(crate::recycle::reporter)
            .transpose()?
            .map(std::rc::Rc::new);
        let mut uploads = UploadLimits::default();
        set(&mut uploads.max_files, max_files);
        set(&mut uploads.max_fields, max_fields);
        set(&mut uploads.max_part_size, max_part_size);
        uploads.max_file_size = max_file_size;
        set(&mut uploads.spool_size, upload_spool_size);
        set(&mut uploads.spool_memory, upload_spool_memory);
        uploads.dir = upload_dir;
        let (middleware, access_log) =
            crate::middleware::stack_from_specs(middleware.unwrap_or_default())?;
        let app = self
            .app
            .lock()
            .map_err(|_| PyRuntimeError::new_err("route table lock poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this engine is already serving"))?;
        let error_handler = self
            .error_handler
            .lock()
            .map_err(|_| PyRuntimeError::new_err("error handler lock poisoned"))?
            .take();
        let std_listener = match listener {
            Some(listener) => listener.get().take()?,
            None => listener::bind_one(host, port)?.into(),
        };
        let bound_port = match std_listener.local_addr() {
            Ok(cello_net::PeerAddr::Tcp(addr)) => addr.port(),
            Ok(cello_net::PeerAddr::Unix(_)) => 0,
            Err(e) => return Err(PyRuntimeError::new_err(e.to_string())),
        };
        let scheduler: Py<Scheduler> = event_loop
            .bind(py)
            .getattr("_cello_scheduler")
            .and_then(|s| Ok(s.cast_into::<Scheduler>()?.unbind()))
            .map_err(|_| {
                PyRuntimeError::new_err(
                    "the event loop has no cello scheduler; make it with cello._runtime.new_loop()",
                )
            })?;
        let selector_fd: i32 = event_loop
            .bind(py)
            .getattr("_selector")?
            .call_method0("fileno")?
            .extract()?;
        let answers_413 = error_handler
            .as_ref()
            .is_some_and(|(_, statuses)| statuses.contains(&413));
        // The app is complete and checked before the server says it is ready.
        let recovery = error_handler.map(|(find, statuses)| {
            Arc::new(Recovery::new(find, statuses, scheduler.clone_ref(py)))
        });
        let app = if recovery.is_some() {
            app.on_rejection(engine_error_answer)
        } else {
            app
        };
        let make = app
            .redirect_slashes(redirect_slashes)
            .middleware(middleware)
            .into_service()
            .map_err(|e| PyValueError::new_err(format!("App(middleware=...): {e}")))?;
        if self
            .worker
            .0
            .set(WorkerState {
                scheduler: scheduler.clone_ref(py),
                recovery,
                uploads,
                max_body: max_body_size.unwrap_or(HttpConfig::default().max_body_bytes),
                spool: SpoolBudget::default(),
            })
            .is_err()
        {
            return Err(PyRuntimeError::new_err("this engine is already serving"));
        }
        if let Some(ready) = ready {
            ready.call1(py, (bound_port,))?;
        }
        let mut http_config = HttpConfig::default();
        set(&mut http_config.max_body_bytes, max_body_size);
        http_config.max_multipart_body_bytes =
            Some(max_upload_size.unwrap_or(crate::multipart::DEFAULT_MAX_UPLOAD_SIZE));
        set(&mut http_config.max_header_bytes, max_header_size);
        set(
            &mut http_config.header_read_timeout,
            header_timeout.map(secs),
        );
        set(
            &mut http_config.keep_alive_timeout,
            keep_alive_timeout.map(secs),
        );
        set(&mut http_config.body_read_timeout, body_timeout.map(secs));
        set(
            &mut http_config.request_read_timeout,
            request_read_timeout.map(secs),
        );
        set(&mut http_config.min_body_rate, min_body_rate);
        set(&mut http_config.write_timeout, write_timeout.map(secs));
        tls_options.apply_versions(py, &mut http_config)?;
        set(
            &mut http_config.h2_max_concurrent_streams,
            h2_max_concurrent_streams,
        );
        set(
            &mut http_config.h2_initial_stream_window,
            h2_initial_stream_window,
        );
        set(
            &mut http_config.h2_initial_connection_window,
            h2_initial_connection_window,
        );
        http_config.h2_max_header_list_size = h2_max_header_list_size;
        // An app that answers 413 itself gets declared bodies over the limit too.
        if answers_413 {
            http_config.early_body_limit = false;
        }
        let mut serve_config = ServeConfig::default();
        set(&mut serve_config.max_connections, max_connections);
        set(
            &mut serve_config.shutdown_timeout,
            shutdown_timeout.map(secs),
        );
        let shutdown = self.shutdown.clone();
        let result = {
            crate::gil::run_holding_gil(async move {
                let driver = tokio::task::spawn_local(guest_loop::drive(scheduler, selector_fd));
                let access_log = access_log.map(|batches| {
                    let (stop, stopped) = tokio::sync::oneshot::channel();
                    let task =
                        tokio::task::spawn_local(crate::access_log::deliver(batches, stopped));
                    (stop, task)
                });
                // A stuck event loop stops the beats; the supervisor then kills it.
                let beats = reporter.clone().map(|r| {
                    tokio::task::spawn_local(async move {
                        loop {
                            r.beat();
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    })
                });
                // At `max_requests`, tell the supervisor and stop accepting.
                let recycle = max_requests.map(|n| {
                    let stop = shutdown.clone();
                    let reporter = reporter.clone();
                    crate::recycle::Recycle::new(n, move || {
                        if let Some(r) = &reporter {
                            r.recycling();
                        }
                        stop.trigger();
                    })
                });
                // The same worker loop as the Rust server's, on this runtime, for plain
                // and TLS. Without a limit, a root path or a request budget the app's
                // service is served as it is.
                let served = match crate::front::Front::new(limit_concurrency, root_path, recycle) {
                    Some(front) => {
                        cello_http::serve_worker_tls(
                            std_listener,
                            http_config,
                            serve_config,
                            tls,
                            shutdown,
                            handle_signals,
                            move |peer| front.wrap(make.service_for(peer)),
                        )
                        .await
                    }
                    None => {
                        cello_http::serve_worker_tls(
                            std_listener,
                            http_config,
                            serve_config,
                            tls,
                            shutdown,
                            handle_signals,
                            move |peer| make.service_for(peer),
                        )
                        .await
                    }
                };
                if let Some(beats) = beats {
                    beats.abort();
                }
                if let Some((stop, task)) = access_log {
                    // The last requests' records, then the task ends.
                    let _ = stop.send(());
                    let _ = task.await;
                }
                driver.abort();
                served
            })
        };
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) | Err(e) => Err(PyRuntimeError::new_err(e.to_string())),
        }
    }

    /// Stops a running `serve` gracefully (callable from any thread).
    fn stop(&self) {
        self.shutdown.trigger();
    }
}

/// The path parameters the router matched, by the names the app passes them as.
pub(crate) fn named_params(
    names: &[String],
    ctx: &RequestContext<Worker>,
) -> Vec<(String, cello_router::ParamValue<'static>)> {
    names
        .iter()
        .cloned()
        .zip(ctx.params().iter().cloned())
        .collect()
}

/// The declared types of a route's path parameters (`{id:int}`), by name.
fn path_types<'a>(
    handler: &str,
    param_types: &'a Option<Vec<(String, String)>>,
) -> PyResult<Vec<(&'a str, cello_router::ParamType)>> {
    let mut types = Vec::new();
    for (param, ty) in param_types.iter().flatten() {
        let ty = cello_router::ParamType::from_name(ty).ok_or_else(|| {
            PyValueError::new_err(format!(
                "handler {handler}: unknown type `{ty}` for path parameter `{param}`"
            ))
        })?;
        types.push((param.as_str(), ty));
    }
    Ok(types)
}

/// Overrides a default with what the user set.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

impl Engine {
    /// Adds to the app still being built; a route that does not fit raises
    /// `ValueError` naming it.
    fn with_app(
        &self,
        add: impl FnOnce(&mut App<Worker>) -> Result<(), cello_router::RouteError>,
    ) -> PyResult<()> {
        let mut guard = self
            .app
            .lock()
            .map_err(|_| PyRuntimeError::new_err("route table lock poisoned"))?;
        let app = guard.as_mut().ok_or_else(|| {
            PyRuntimeError::new_err("routes cannot be added once the app is serving")
        })?;
        add(app).map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::from_secs(3600))
}

/// A request for a Python handler: its body read, the handler called, its answer.
async fn handle(
    worker: Worker,
    peer: Option<SocketAddr>,
    route: Arc<Route>,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    req: Request,
) -> Response {
    let Some(state) = worker.0.get() else {
        // Unreachable: the worker's state is set before the server starts.
        return convert::internal_error();
    };
    match begin(state, peer, &route, params, req) {
        Ok(res) => res,
        Err(rest) => rest.await,
    }
}

/// What is left of a request once the handler has been called, when it is not the
/// answer yet: a body to read, a Task to wait for, a file to send.
type Rest<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + 'a>>;

/// Everything of [`handle`] that does not wait: the answer, or the rest as a boxed
/// future. So [`handle`]'s own future holds only its arguments and that box, and
/// stays under malloc's 1,032-byte per-thread cache (measured: with the body read,
/// the multipart path and the file answer awaited inline it was 1,224 bytes, one
/// slow allocation per request); the requests that wait pay for their own state.
fn begin<'a>(
    state: &'a WorkerState,
    peer: Option<SocketAddr>,
    route: &'a Arc<Route>,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    req: Request,
) -> Result<Response, Rest<'a>> {
    let (parts, body) = req.into_parts();
    if !route.stream_body && !body.is_end_stream() {
        let kept = crate::file_response::Kept::capture(&parts);
        return Err(Box::pin(read_then_call(
            state, peer, route, params, parts, body, kept,
        )));
    }
    answer_now(state, route, peer, params, parts, body)
}

/// Calls the handler for a request without a body to read (or one it streams): its
/// answer, or what is left to wait for (a Task, a file to send) as a future that owns
/// what it needs.
fn answer_now(
    state: &WorkerState,
    route: &Arc<Route>,
    peer: Option<SocketAddr>,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    mut parts: http::request::Parts,
    body: Body,
) -> Result<Response, HandlerFuture> {
    let kept = crate::file_response::Kept::capture(&parts);
    if route.stream_body {
        parts
            .extensions
            .insert(crate::request_stream::StreamedBody::new(body));
    }
    match start(state, route, parts, params, peer) {
        Ok(res) if !crate::file_response::is_pending(&res) => Ok(res),
        Ok(res) => Err(Box::pin(crate::file_response::send(res, kept))),
        Err(pending) => {
            let route = route.clone();
            Err(Box::pin(async move { finish(pending, &route, kept).await }))
        }
    }
}

/// Waits for a suspended handler, then sends the file it answered with, if any.
async fn finish(
    pending: call::PendingTask,
    route: &Route,
    kept: crate::file_response::Kept,
) -> Response {
    let res = pending.finish(&route.name).await;
    if crate::file_response::is_pending(&res) {
        return crate::file_response::send(res, kept).await;
    }
    res
}

/// Calls the handler for a request without a body (or one it streams): its answer,
/// or the Task to wait for.
fn start(
    state: &WorkerState,
    route: &Route,
    parts: http::request::Parts,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    peer: Option<SocketAddr>,
) -> Result<Response, call::PendingTask> {
    let incoming = Incoming {
        parts,
        params,
        body: bytes::Bytes::new(),
        form: None,
        peer,
    };
    start_with(state, route, incoming)
}

/// Calls the handler: its answer, or the Task to wait for.
fn start_with(
    state: &WorkerState,
    route: &Route,
    incoming: Incoming,
) -> Result<Response, call::PendingTask> {
    let started = Python::attach(|py| {
        let scheduler = state.scheduler.bind(py).borrow();
        call::start(py, route, incoming, &scheduler, state.recovery.as_ref())
    });
    match started {
        Started::Done(r) => Ok(r),
        Started::Pending(p) => Err(p),
    }
}

/// [`handle`] for a request with a body: read whole (or, for `multipart/form-data`,
/// parsed as it arrives), then the handler called.
async fn read_then_call(
    state: &WorkerState,
    peer: Option<SocketAddr>,
    route: &Route,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    parts: http::request::Parts,
    body: Body,
    kept: crate::file_response::Kept,
) -> Response {
    if let Some(boundary) = multipart_boundary(&parts) {
        // Its own future: other bodies carry none of its state.
        let multipart = Box::pin(handle_multipart(
            state, peer, route, params, parts, body, boundary,
        ));
        let res = multipart.await;
        if crate::file_response::is_pending(&res) {
            return crate::file_response::send(res, kept).await;
        }
        return res;
    }
    let body = match body_bytes(body).await {
        Ok(b) => b,
        Err(e) => return engine_error(state, parts, peer, e).await,
    };
    let incoming = Incoming {
        parts,
        params,
        body,
        form: None,
        peer,
    };
    match start_with(state, route, incoming) {
        Ok(res) if !crate::file_response::is_pending(&res) => res,
        Ok(res) => crate::file_response::send(res, kept).await,
        Err(pending) => Box::pin(finish(pending, route, kept)).await,
    }
}

/// [`handle`] for a `multipart/form-data` request: a route that can read a form
/// gets it parsed and spooled (its uploads closed once the response has been sent,
/// or when this future is dropped: the client left); any other reads the body whole.
#[allow(clippy::too_many_arguments)]
async fn handle_multipart(
    state: &WorkerState,
    peer: Option<SocketAddr>,
    route: &Route,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    parts: http::request::Parts,
    body: Body,
    boundary: Result<String, cello::Rejection>,
) -> Response {
    let read = if route.reads_form {
        read_form(state, boundary, body).await
    } else {
        body_within(body, state.max_body).await
    };
    let (body, form, uploads) = match read {
        Ok(Read::Form(f, u)) => (bytes::Bytes::new(), Some(Box::new(f)), Some(u)),
        Ok(Read::Bytes(b)) => (b, None, None),
        Err(e) => return engine_error(state, parts, peer, e).await,
    };
    let incoming = Incoming {
        parts,
        params,
        body,
        form,
        peer,
    };
    let res = match start_with(state, route, incoming) {
        Ok(res) => res,
        Err(pending) => pending.finish(&route.name).await,
    };
    match uploads {
        Some(uploads) => crate::upload::close_after(res, uploads),
        None => res,
    }
}

/// The boundary of a `multipart/form-data` request (or the 400 for one without);
/// None for any other body.
fn multipart_boundary(parts: &http::request::Parts) -> Option<Result<String, cello::Rejection>> {
    let ct = parts.headers.get(http::header::CONTENT_TYPE)?.as_bytes();
    cello_http::is_multipart_form(ct).then(|| crate::multipart::boundary(ct))
}

/// A multipart body read and spooled, then handed to Python.
async fn read_form(
    state: &WorkerState,
    boundary: Result<String, cello::Rejection>,
    body: Body,
) -> Result<Read, EngineError> {
    let boundary = boundary.map_err(EngineError)?;
    let parts = crate::multipart::read_form(body, boundary, &state.uploads, &state.spool)
        .await
        .map_err(EngineError)?;
    let (form, uploads) =
        Python::attach(|py| crate::upload::to_python(py, parts)).map_err(|e| {
            Python::attach(|py| {
                crate::runtime::log_error(py, &format!("could not build the form: {e}"))
            });
            EngineError(cello::Rejection::Multipart {
                status: http::StatusCode::INTERNAL_SERVER_ERROR,
                message: "Internal Server Error".to_owned(),
            })
        })?;
    Ok(Read::Form(form, uploads))
}

/// An error the engine answers itself: by the app's exception handler when it asked
/// for this status, else `{"detail": ...}`.
async fn engine_error(
    state: &WorkerState,
    parts: http::request::Parts,
    peer: Option<SocketAddr>,
    err: EngineError,
) -> Response {
    match &state.recovery {
        Some(recovery) if recovery.wants(err.status()) => {
            recovery.engine_error(parts, peer, err).await
        }
        _ => err.response(),
    }
}

async fn body_bytes(body: Body) -> Result<bytes::Bytes, EngineError> {
    body.to_bytes()
        .await
        .map_err(|e| EngineError(cello::Rejection::Body(e)))
}

/// What a multipart request's body gave.
enum Read {
    /// The parsed form, for a route that reads one.
    Form(crate::upload::Form, crate::upload::Uploads),
    /// The bytes, for one that does not.
    Bytes(bytes::Bytes),
}

/// A multipart body to a route that reads no form: read whole, as any body, held to
/// `max_body_size` (its own limit, `max_upload_size`, is for parsed uploads).
async fn body_within(body: Body, max_body: u64) -> Result<Read, EngineError> {
    use http_body_util::BodyExt as _;
    let limited =
        http_body_util::Limited::new(body, usize::try_from(max_body).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(collected) => Ok(Read::Bytes(collected.to_bytes())),
        Err(e) => Err(EngineError(match e.downcast::<cello_http::Error>() {
            Ok(body) => cello::Rejection::Body(*body),
            Err(_) => cello::Rejection::Multipart {
                status: http::StatusCode::PAYLOAD_TOO_LARGE,
                message: format!(
                    "request body exceeds the {max_body}-byte limit; raise `max_body_size` \
                     (this route reads no form, so its multipart bodies are held to it)"
                ),
            },
        })),
    }
}

/// The app's answer to a router error (404, 405, 422) when it registered an exception
/// handler for that status; else the rejection is handed back for the default answer.
fn engine_error_answer(
    rejection: Rejection,
    parts: http::request::Parts,
    ctx: &RequestContext<Worker>,
) -> Result<HandlerFuture, Rejection> {
    let wanted = ctx
        .state()
        .0
        .get()
        .and_then(|s| s.recovery.as_ref())
        .is_some_and(|r| r.wants(rejection.status()));
    if !wanted {
        return Err(rejection);
    }
    let (worker, peer) = (ctx.state().clone(), ctx.peer());
    Ok(Box::pin(async move {
        match worker.0.get() {
            Some(state) => engine_error(state, parts, peer, EngineError(rejection)).await,
            None => convert::internal_error(),
        }
    }))
}
