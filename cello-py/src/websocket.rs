//! WebSocket routes: the handshake (HTTP/1.1 upgrade or HTTP/2 extended CONNECT) waits
//! for the Python handler to accept (101; 200 over HTTP/2) or refuse (403); then the
//! handler's Task talks to the socket's pump (`cello::ws`) through [`PyWebSocketConn`],
//! each `receive`/`send` an asyncio Future settled from Rust. Frames never reach
//! Python: only whole, validated messages do.

use crate::awaitable::{awaitable, PyCompletion};
use crate::call::{self, Incoming, Route};
use crate::convert;
use crate::engine::Worker;
use crate::scheduler::Scheduler;
use cello::ws::{Closed, Message, Receiver, Sender, WebSocketUpgrade};
use cello::{HandlerFuture, RequestContext};
use cello_http::{Request, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A WebSocket route's settings (`App(ws_max_size=..., ws_ping_interval=...,
/// ws_ping_timeout=...)`).
#[derive(Clone, Copy, Debug)]
pub struct WsConfig {
    /// The largest message (bytes); past it, close 1009.
    pub max_size: usize,
    /// (interval, timeout) of keepalive pings; None: off.
    pub ping: Option<(Duration, Duration)>,
}

/// A Python WebSocket handler as an endpoint of the `cello::App`.
#[derive(Clone)]
pub struct WsEndpoint {
    pub(crate) route: Arc<Route>,
    pub(crate) names: Arc<[String]>,
    /// `cello.websockets.WebSocket`, called as `(request, conn)`.
    pub(crate) class: Arc<Py<PyAny>>,
    pub(crate) config: WsConfig,
}

/// `WsEndpoint`'s argument list, for `cello::Handler`'s type parameter.
pub struct WsArgs;

impl cello::Handler<WsArgs, Worker> for WsEndpoint {
    fn call(&self, req: Request, ctx: RequestContext<Worker>) -> HandlerFuture {
        let params = crate::engine::named_params(&self.names, &ctx);
        Box::pin(handshake(
            ctx.state().clone(),
            ctx.peer(),
            self.clone(),
            params,
            req,
        ))
    }
}

/// What `accept()` decided.
struct Accept {
    subprotocol: Option<String>,
    headers: HeaderMap,
    /// Told once the socket is open (or failed to open).
    opened: oneshot::Sender<()>,
}

/// What the Python object and the connection's Rust side share.
#[derive(Default)]
struct Shared {
    /// Until `accept()` (or `close()` before it, a refusal).
    accept: Option<oneshot::Sender<Accept>>,
    /// Once open.
    socket: Option<(Rc<tokio::sync::Mutex<Receiver>>, Sender)>,
    /// `accept()` was called, whether or not the socket opened.
    accepted: bool,
}

/// The native side of `cello.websockets.WebSocket`.
#[pyclass(name = "WebSocketConn", module = "cello._cello", unsendable)]
pub struct PyWebSocketConn {
    shared: Rc<RefCell<Shared>>,
    scheduler: Py<Scheduler>,
    offered: Vec<String>,
}

impl PyWebSocketConn {
    fn socket(&self) -> PyResult<Option<(Rc<tokio::sync::Mutex<Receiver>>, Sender)>> {
        let shared = self.shared.borrow();
        if !shared.accepted {
            return Err(PyRuntimeError::new_err(
                "the WebSocket is not connected: call `await ws.accept()` first",
            ));
        }
        Ok(shared.socket.clone())
    }

    fn send_message<'py>(&self, py: Python<'py>, msg: Message) -> PyResult<Bound<'py, PyAny>> {
        let socket = self.socket()?;
        let fut = async move {
            let outcome = match socket {
                Some((_, sender)) => sender.send(msg).await,
                None => Err(Closed {
                    code: 1006,
                    reason: String::new(),
                }),
            };
            Python::attach(|py| match outcome {
                Ok(()) => Ok(py.None()),
                Err(c) => Ok((c.code, c.reason).into_pyobject(py)?.into_any().unbind()),
            })
        };
        awaitable(py, &self.scheduler.bind(py).borrow(), fut)
    }
}

#[pymethods]
impl PyWebSocketConn {
    /// The subprotocols the client offered, in its order.
    #[getter]
    fn subprotocols(&self) -> Vec<String> {
        self.offered.clone()
    }

    /// Accepts the handshake; the awaitable finishes once the socket is open.
    #[pyo3(signature = (subprotocol=None, headers=Vec::new()))]
    fn accept<'py>(
        &self,
        py: Python<'py>,
        subprotocol: Option<String>,
        headers: Vec<(String, String)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))?;
            let v = HeaderValue::from_str(&value).map_err(|_| {
                PyValueError::new_err(format!("invalid value for header {name}: {value:?}"))
            })?;
            map.append(n, v);
        }
        if let Some(p) = &subprotocol {
            HeaderValue::from_str(p)
                .map_err(|_| PyValueError::new_err(format!("invalid subprotocol {p:?}")))?;
        }
        let tx = {
            let mut shared = self.shared.borrow_mut();
            let tx = shared.accept.take().ok_or_else(|| {
                PyRuntimeError::new_err("accept() was already called (or the WebSocket was closed)")
            })?;
            shared.accepted = true;
            tx
        };
        let (opened, wait) = oneshot::channel();
        let _ = tx.send(Accept {
            subprotocol,
            headers: map,
            opened,
        });
        awaitable(py, &self.scheduler.bind(py).borrow(), async move {
            let _ = wait.await;
            Python::attach(|py| Ok(py.None()))
        })
    }

    /// The next message: `(0, str)`, `(1, bytes)`, or `(2, code, reason)` once closed.
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let socket = self.socket()?;
        let fut = async move {
            let got = match socket {
                Some((rx, _)) => rx.lock().await.recv().await,
                None => Err(Closed {
                    code: 1006,
                    reason: String::new(),
                }),
            };
            Python::attach(|py| {
                let out = match got {
                    Ok(Message::Text(t)) => (0, PyString::new(py, t.as_str())).into_pyobject(py)?,
                    Ok(Message::Binary(b)) => (1, PyBytes::new(py, &b)).into_pyobject(py)?,
                    Err(c) => (2, c.code, c.reason).into_pyobject(py)?,
                };
                Ok(out.into_any().unbind())
            })
        };
        awaitable(py, &self.scheduler.bind(py).borrow(), fut)
    }

    /// Sends a text message; the awaitable gives None, or `(code, reason)` when the
    /// connection is closed.
    fn send_text<'py>(&self, py: Python<'py>, text: String) -> PyResult<Bound<'py, PyAny>> {
        self.send_message(py, Message::Text(text.into()))
    }

    /// Sends a binary message (as `send_text`).
    fn send_bytes<'py>(&self, py: Python<'py>, data: Vec<u8>) -> PyResult<Bound<'py, PyAny>> {
        self.send_message(py, Message::Binary(data.into()))
    }

    /// Closes with `code` and `reason`; before `accept()`, refuses the handshake (403).
    #[pyo3(signature = (code=1000, reason=String::new()))]
    fn close<'py>(
        &self,
        py: Python<'py>,
        code: u16,
        reason: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let socket = {
            let mut shared = self.shared.borrow_mut();
            if !shared.accepted {
                // Dropping the sender refuses the handshake at once.
                shared.accept = None;
                None
            } else {
                shared.socket.clone()
            }
        };
        awaitable(py, &self.scheduler.bind(py).borrow(), async move {
            if let Some((_, sender)) = socket {
                sender.close(code, &reason).await;
            }
            Python::attach(|py| Ok(py.None()))
        })
    }
}

/// The handshake of one WebSocket request: the handler runs until it accepts (101),
/// refuses or returns without accepting (403), or raises (its `HTTPException`'s
/// status, else a logged 500). A request that is not a handshake gets 404, as a
/// Starlette app answers HTTP requests to a WebSocket route.
async fn handshake(
    worker: Worker,
    peer: Option<SocketAddr>,
    endpoint: WsEndpoint,
    params: Vec<(String, cello_router::ParamValue<'static>)>,
    req: Request,
) -> Response {
    let Some(state) = worker.0.get() else {
        return convert::internal_error();
    };
    let (mut parts, _body) = req.into_parts();
    let upgrade = match WebSocketUpgrade::from_parts(&mut parts) {
        Ok(u) => u
            .max_message_size(endpoint.config.max_size)
            .ping(endpoint.config.ping),
        Err(e) => {
            tracing::debug!(reason = %e, "a plain request to a WebSocket route; answered 404");
            return cello::detail(StatusCode::NOT_FOUND, "Not Found");
        }
    };
    let (accept_tx, accept_rx) = oneshot::channel();
    let shared = Rc::new(RefCell::new(Shared {
        accept: Some(accept_tx),
        ..Shared::default()
    }));
    let route = endpoint.route.clone();
    let started = Python::attach(|py| -> PyResult<Result<PyCompletion, Response>> {
        let conn = Bound::new(
            py,
            PyWebSocketConn {
                shared: shared.clone(),
                scheduler: state.scheduler.clone_ref(py),
                offered: upgrade.protocols().to_vec(),
            },
        )?;
        let incoming = Incoming {
            parts,
            params,
            body: bytes::Bytes::new(),
            form: None,
            peer,
        };
        let class = endpoint.class.bind(py);
        let args = match call::websocket_args(py, &route, incoming, |request| {
            class.call1((request, &conn))
        })? {
            Ok(args) => args,
            Err(invalid) => return Ok(Err(convert::from_exception(py, invalid, &route.name))),
        };
        let coro = route.handler.bind(py).call1(args)?;
        let scheduler = state.scheduler.bind(py).borrow();
        Ok(Ok(PyCompletion::start(
            &scheduler,
            &coro,
            route.task_name.bind(py),
        )?))
    });
    let mut task = match started {
        Ok(Ok(task)) => task,
        Ok(Err(res)) => return res,
        Err(e) => return Python::attach(|py| convert::from_exception(py, e, &route.name)),
    };
    tokio::select! {
        accepted = accept_rx => match accepted {
            Ok(accept) => open(upgrade, accept, shared, task, route),
            // close() before accept(): refused.
            Err(_) => refused(),
        },
        outcome = &mut task => match outcome {
            Ok(_) => refused(),
            Err(e) => Python::attach(|py| convert::from_exception(py, e, &route.name)),
        },
    }
}

fn refused() -> Response {
    cello::detail(StatusCode::FORBIDDEN, "WebSocket handshake refused")
}

/// Answers 101 (200 over HTTP/2) and, in a task of the worker, opens the socket and waits for the
/// handler; a handler that returns leaves the socket closed with 1000 if it did not
/// close it, one that raises with 1011 (the traceback is logged).
fn open(
    upgrade: WebSocketUpgrade,
    accept: Accept,
    shared: Rc<RefCell<Shared>>,
    task: PyCompletion,
    route: Arc<Route>,
) -> Response {
    let Accept {
        subprotocol,
        headers,
        opened,
    } = accept;
    let (res, socket) = match upgrade.accept(subprotocol.as_deref(), headers) {
        Ok(pair) => pair,
        // Checked by accept() already.
        Err(_) => return convert::internal_error(),
    };
    tokio::task::spawn_local(async move {
        let socket = socket.await;
        let sender = socket.map(|s| {
            let (rx, tx) = s.split();
            shared.borrow_mut().socket = Some((Rc::new(tokio::sync::Mutex::new(rx)), tx.clone()));
            tx
        });
        let _ = opened.send(());
        let outcome = task.await;
        // The Python object may outlive the handler (kept by the app): let go of the
        // socket so that it closes.
        shared.borrow_mut().socket = None;
        let Some(sender) = sender else { return };
        match outcome {
            Ok(_) => sender.close(1000, "").await,
            Err(e) => {
                Python::attach(|py| drop(convert::from_exception(py, e, &route.name)));
                sender.close(1011, "").await;
            }
        }
    });
    res
}
