//! `Listener`: a bound TCP socket made before the workers exist.
//!
//! `App.run` binds here before anything else, so a busy port fails at once (no
//! startup hook has run, no worker has forked) with `OSError` "address already in
//! use" naming the address. With several workers, the supervisor binds one listener
//! per worker on one port (`cello_net::bind_tcp_workers`: `SO_REUSEPORT` only among
//! them) and keeps them open; each forked worker serves on its own, and a worker that
//! is restarted takes over the same socket, so connections waiting in its queue are
//! not lost.

use cello_net::{bind_tcp, bind_tcp_workers, TcpOptions};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Mutex;

/// A bound, listening TCP socket, handed to `Engine.serve(listener=...)`.
#[pyclass(name = "Listener", module = "cello._cello", frozen)]
pub struct PyListener {
    socket: Mutex<Option<std::net::TcpListener>>,
    addr: SocketAddr,
}

#[pymethods]
impl PyListener {
    /// The host (IP address) it listens on.
    #[getter]
    fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port it listens on (the one the kernel picked, for port 0).
    #[getter]
    fn port(&self) -> u16 {
        self.addr.port()
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

    /// The listening socket inherited as file descriptor `fd` (a worker spawned by
    /// the supervisor gets its number in `CELLO_LISTEN_FD`). It becomes
    /// close-on-exec, so processes the app starts do not hold the port.
    #[staticmethod]
    fn from_fd(fd: i32) -> PyResult<PyListener> {
        use std::os::fd::FromRawFd;
        // SAFETY: fcntl on a descriptor number; an invalid one is an error, not UB.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(PyOSError::new_err(format!(
                "file descriptor {fd} is not open: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: the descriptor is open and was handed to this process to own.
        let socket = unsafe { std::net::TcpListener::from_raw_fd(fd) };
        let addr = socket.local_addr().map_err(|e| {
            PyOSError::new_err(format!(
                "file descriptor {fd} is not a listening TCP socket: {e}"
            ))
        })?;
        Ok(PyListener {
            socket: Mutex::new(Some(socket)),
            addr,
        })
    }
}

impl PyListener {
    /// Takes the socket out to serve on it: the worker's copy closes when it stops
    /// serving (a forked worker takes its own copy; the supervisor keeps its own).
    pub fn take(&self) -> PyResult<std::net::TcpListener> {
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

/// Binds `count` listeners (one per worker) on `host:port`, all on one port. A port
/// that another process holds raises `OSError` (errno `EADDRINUSE`) whose message
/// says "address already in use" and names the address.
#[pyfunction]
#[pyo3(signature = (host, port, count=1))]
pub fn bind_listeners(host: &str, port: u16, count: usize) -> PyResult<Vec<PyListener>> {
    let addr = resolve(host, port)?;
    let sockets = bind_tcp_workers(addr, &TcpOptions::default(), count).map_err(os_error)?;
    sockets
        .into_iter()
        .map(|s| {
            let addr = s.local_addr().map_err(os_error)?;
            Ok(PyListener {
                socket: Mutex::new(Some(s)),
                addr,
            })
        })
        .collect()
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
        _ => None,
    });
    match code {
        Some(code) => PyOSError::new_err((code, e.to_string())),
        None => PyOSError::new_err(e.to_string()),
    }
}
