//! `Listener`: a bound TCP socket made before the workers exist.
//!
//! `App.run` binds here before anything else, so a busy port fails at once (no
//! startup hook has run, no worker has forked) with `OSError` "address already in
//! use" naming the address. With several workers, the supervisor binds one listener
//! per worker on one port (`cello_net::bind_tcp_workers`: `SO_REUSEPORT` only among
//! them) and keeps them open; each forked worker serves on its own, and a worker that
//! is restarted takes over the same socket, so connections waiting in its queue are
//! not lost.
//!
//! A Unix domain socket (`bind_unix_listener`, `--uds`) or an inherited socket
//! (`listener_from_fd`, `--fd`) is one listener that every worker serves on: the
//! kernel hands each connection to one of the workers waiting in `accept`.

use cello_net::{bind_tcp, bind_tcp_workers, bind_unix, PeerAddr, StdListener, TcpOptions};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Mutex;

/// A bound, listening socket (TCP or Unix), handed to `Engine.serve(listener=...)`.
#[pyclass(name = "Listener", module = "cello._cello", frozen)]
pub struct PyListener {
    socket: Mutex<Option<StdListener>>,
    addr: PeerAddr,
}

#[pymethods]
impl PyListener {
    /// The host (IP address) it listens on; for a Unix socket, its path.
    #[getter]
    fn host(&self) -> String {
        match &self.addr {
            PeerAddr::Tcp(a) => a.ip().to_string(),
            PeerAddr::Unix(p) => p
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        }
    }

    /// The port it listens on (the one the kernel picked, for port 0); 0 for a Unix
    /// socket.
    #[getter]
    fn port(&self) -> u16 {
        match &self.addr {
            PeerAddr::Tcp(a) => a.port(),
            PeerAddr::Unix(_) => 0,
        }
    }

    /// The socket file's path for a Unix socket, else None.
    #[getter]
    fn path(&self) -> Option<String> {
        match &self.addr {
            PeerAddr::Tcp(_) => None,
            PeerAddr::Unix(p) => p.as_ref().map(|p| p.display().to_string()),
        }
    }

    /// Where it listens, as a URL for logs: `http://127.0.0.1:8000`, `unix:/run/app.sock`.
    #[getter]
    fn url(&self) -> String {
        match &self.addr {
            PeerAddr::Tcp(a) => format!("http://{a}"),
            unix => unix.to_string(),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Listener {}>", self.addr)
    }

    /// The socket's file descriptor (for a spawned worker to inherit).
    fn fileno(&self) -> PyResult<i32> {
        use std::os::fd::AsRawFd;
        let socket = self
            .socket
            .lock()
            .map_err(|_| PyRuntimeError::new_err("listener lock poisoned"))?;
        socket
            .as_ref()
            .map(|s| s.as_raw_fd())
            .ok_or_else(|| PyRuntimeError::new_err("the listener is already in use by an engine"))
    }
}

impl PyListener {
    /// Takes the socket out to serve on it: the worker's copy closes when it stops
    /// serving (a forked worker takes its own copy; the supervisor keeps its own).
    pub fn take(&self) -> PyResult<StdListener> {
        self.socket
            .lock()
            .map_err(|_| PyRuntimeError::new_err("listener lock poisoned"))?
            .take()
            .ok_or_else(|| {
                PyRuntimeError::new_err(format!(
                    "the listener on {} is already in use by an engine",
                    self.addr
                ))
            })
    }
}

/// Binds `count` listeners (one per worker) on `host:port`, all on one port, each
/// with a queue of `backlog` connections not yet accepted. A port that another
/// process holds raises `OSError` (errno `EADDRINUSE`) whose message says "address
/// already in use" and names the address.
#[pyfunction]
#[pyo3(signature = (host, port, count=1, backlog=None))]
pub fn bind_listeners(
    host: &str,
    port: u16,
    count: usize,
    backlog: Option<u32>,
) -> PyResult<Vec<PyListener>> {
    let addr = resolve(host, port)?;
    let mut options = TcpOptions::default();
    if let Some(backlog) = backlog {
        options.backlog = backlog;
    }
    let sockets = bind_tcp_workers(addr, &options, count).map_err(os_error)?;
    sockets
        .into_iter()
        .map(|s| PyListener::new(StdListener::Tcp(s)))
        .collect()
}

/// Binds a Unix domain socket at `path` (`--uds`): a stale socket file is replaced,
/// one a live server holds is `OSError` "address already in use"; the file is made
/// `0o666` (as uvicorn does). The caller removes it after serving.
#[pyfunction]
#[pyo3(signature = (path, backlog=None))]
pub fn bind_unix_listener(path: std::path::PathBuf, backlog: Option<u32>) -> PyResult<PyListener> {
    let backlog = backlog.unwrap_or(TcpOptions::default().backlog);
    PyListener::new(StdListener::Unix(
        bind_unix(&path, backlog).map_err(os_error)?,
    ))
}

/// Takes over the listening socket inherited as file descriptor `fd` (`--fd`: systemd
/// socket activation, a process manager; a worker spawned by the supervisor, which
/// gets its number in `CELLO_LISTEN_FD`); `OSError` saying what `fd` is when it is
/// not a listening TCP or Unix stream socket. It becomes close-on-exec.
#[pyfunction]
pub fn listener_from_fd(fd: i32) -> PyResult<PyListener> {
    PyListener::new(StdListener::from_fd(fd).map_err(os_error)?)
}

impl PyListener {
    fn new(socket: StdListener) -> PyResult<Self> {
        let addr = socket.local_addr().map_err(os_error)?;
        Ok(PyListener {
            socket: Mutex::new(Some(socket)),
            addr,
        })
    }
}

/// Binds one listener for `Engine.serve(host, port)` when no listener was given.
pub fn bind_one(host: &str, port: u16) -> PyResult<std::net::TcpListener> {
    bind_tcp(resolve(host, port)?, &TcpOptions::default()).map_err(os_error)
}

/// `host:port` as a socket address: an IP literal, or the first address a name
/// resolves to.
fn resolve(host: &str, port: u16) -> PyResult<SocketAddr> {
    format!("{host}:{port}")
        .parse()
        .or_else(|_| {
            (host, port)
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or(())
        })
        .map_err(|_| PyValueError::new_err(format!("cannot resolve {host}:{port}")))
}

/// An `OSError` carrying the errno (`e.errno == errno.EADDRINUSE`) and the message.
fn os_error(e: std::io::Error) -> PyErr {
    use std::io::ErrorKind;
    // cello-net rewords bind errors, which keeps their kind but not their errno.
    let code = e.raw_os_error().or(match e.kind() {
        ErrorKind::AddrInUse => Some(libc::EADDRINUSE),
        ErrorKind::AddrNotAvailable => Some(libc::EADDRNOTAVAIL),
        ErrorKind::PermissionDenied => Some(libc::EACCES),
        ErrorKind::InvalidInput => Some(libc::EINVAL),
        _ => None,
    });
    match code {
        Some(code) => PyOSError::new_err((code, e.to_string())),
        None => PyOSError::new_err(e.to_string()),
    }
}
