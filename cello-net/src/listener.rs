//! Binding listeners with the socket options a server needs.

use crate::stream::{PeerAddr, Stream};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::path::Path;

/// Options for a TCP listener.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// `SO_REUSEADDR`: rebind at once after a restart, past connections left in
    /// `TIME_WAIT` (default on). It never lets two listeners share a port.
    pub reuse_address: bool,
    /// `SO_REUSEPORT`: lets other sockets of the same user bind this port too, and the
    /// kernel balances connections between them. Off by default, so that a server
    /// started on a busy port fails with "address already in use" instead of quietly
    /// sharing the port with whoever holds it. [`bind_tcp_workers`] turns it on among
    /// one server's own workers.
    pub reuse_port: bool,
    /// `TCP_NODELAY` on every accepted connection: responses leave at once instead of
    /// waiting for Nagle's algorithm (default on).
    pub nodelay: bool,
    /// Length of the kernel's queue of connections not yet accepted (default 1024).
    pub backlog: u32,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            reuse_address: true,
            reuse_port: false,
            nodelay: true,
            backlog: 1024,
        }
    }
}

/// Binds a non-blocking TCP listener with `options`. It is a std listener so that it
/// can be made before any runtime exists (e.g. before worker processes fork); turn it
/// into a [`Listener`] with [`Listener::from_std_tcp`] inside the runtime.
///
/// A port another socket holds fails with [`io::ErrorKind::AddrInUse`] and a message
/// naming the address (unless both sockets set [`TcpOptions::reuse_port`]).
pub fn bind_tcp(addr: SocketAddr, options: &TcpOptions) -> io::Result<std::net::TcpListener> {
    let socket = bind_socket(addr, options)?;
    listen(socket, options)
}

/// A bound, not yet listening, socket with `options` set.
pub(crate) fn bind_socket(addr: SocketAddr, options: &TcpOptions) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(options.reuse_address)?;
    #[cfg(unix)]
    socket.set_reuse_port(options.reuse_port)?;
    // Accepted sockets inherit it on Linux; `Listener::from_std_tcp` reads it back so
    // every platform gets what was asked for.
    socket.set_tcp_nodelay(options.nodelay)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into()).map_err(|e| bind_error(addr, e))?;
    Ok(socket)
}

/// Starts listening on a bound socket.
pub(crate) fn listen(socket: Socket, options: &TcpOptions) -> io::Result<std::net::TcpListener> {
    let backlog = i32::try_from(options.backlog).unwrap_or(i32::MAX);
    socket.listen(backlog)?;
    Ok(socket.into())
}

/// The bind error, saying which address and, for a busy port, what to do.
fn bind_error(addr: SocketAddr, e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::AddrInUse {
        io::Error::new(
            e.kind(),
            format!(
                "cannot listen on {addr}: address already in use \
                 (another process is listening on this port; stop it or choose another port)"
            ),
        )
    } else {
        io::Error::new(e.kind(), format!("cannot bind {addr}: {e}"))
    }
}

/// Binds a non-blocking Unix-domain-socket listener at `path` with a queue of
/// `backlog` connections. A socket file left by an earlier run is removed first; one a
/// live server still listens on is "address already in use", as a TCP port would be.
/// The file is made readable and writable by every local user (`0o666`, as uvicorn
/// does): restrict who may connect with the permissions of its directory.
pub fn bind_unix(path: &Path, backlog: u32) -> io::Result<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "cannot listen on unix:{}: address already in use \
                         (another process is listening on this socket; stop it or choose another path)",
                        path.display()
                    ),
                ));
            }
            std::fs::remove_file(path)?;
        }
    }
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    let addr = socket2::SockAddr::unix(path)?;
    socket.bind(&addr).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot bind unix:{}: {e}", path.display()),
        )
    })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// A listening socket made before any runtime exists: TCP or a Unix domain socket.
#[derive(Debug)]
pub enum StdListener {
    /// TCP.
    Tcp(std::net::TcpListener),
    /// A Unix domain socket.
    Unix(std::os::unix::net::UnixListener),
}

impl From<std::net::TcpListener> for StdListener {
    fn from(l: std::net::TcpListener) -> Self {
        StdListener::Tcp(l)
    }
}

impl From<std::os::unix::net::UnixListener> for StdListener {
    fn from(l: std::os::unix::net::UnixListener) -> Self {
        StdListener::Unix(l)
    }
}

impl std::os::fd::AsRawFd for StdListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            StdListener::Tcp(l) => l.as_raw_fd(),
            StdListener::Unix(l) => l.as_raw_fd(),
        }
    }
}

impl StdListener {
    /// Takes over a listening socket inherited as file descriptor `fd` (systemd socket
    /// activation, a process manager): a TCP or Unix stream socket that is already
    /// bound and listening. Anything else is `InvalidInput`, saying what `fd` is.
    pub fn from_fd(fd: std::os::fd::RawFd) -> io::Result<Self> {
        use std::os::fd::{BorrowedFd, FromRawFd};
        let not = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("file descriptor {fd} {what}; pass a listening TCP or Unix stream socket"),
            )
        };
        if fd < 0 {
            return Err(not("is negative"));
        }
        {
            // SAFETY: only borrowed to ask the kernel what it is; an fd that is not
            // open makes these calls fail with EBADF, which is reported.
            let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
            let sock = SockRef::from(&borrowed);
            let kind = sock
                .r#type()
                .map_err(|e| not(&format!("is not a socket ({e})")))?;
            if kind != Type::STREAM {
                return Err(not("is not a stream socket"));
            }
            if !sock.is_listener()? {
                return Err(not("is not listening (call listen() on it first)"));
            }
            let domain = sock.domain()?;
            if domain != Domain::UNIX && domain != Domain::IPV4 && domain != Domain::IPV6 {
                return Err(not("is neither TCP nor a Unix socket"));
            }
        }
        // SAFETY: `fd` is an open listening stream socket (checked above) that the
        // caller hands over: from here on this listener owns and closes it.
        let socket = unsafe { Socket::from_raw_fd(fd) };
        socket.set_nonblocking(true)?;
        // Processes the app starts must not hold the port.
        socket.set_cloexec(true)?;
        Ok(if socket.domain()? == Domain::UNIX {
            StdListener::Unix(socket.into())
        } else {
            StdListener::Tcp(socket.into())
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<PeerAddr> {
        match self {
            StdListener::Tcp(l) => l.local_addr().map(PeerAddr::Tcp),
            StdListener::Unix(l) => Ok(PeerAddr::Unix(
                l.local_addr()?.as_pathname().map(Path::to_path_buf),
            )),
        }
    }
}

/// A listener the accept loop can drive.
#[derive(Debug)]
pub enum Listener {
    /// TCP, with whether to set `TCP_NODELAY` on accepted streams.
    Tcp(tokio::net::TcpListener, bool),
    /// A Unix domain socket.
    Unix(tokio::net::UnixListener),
}

impl Listener {
    /// Registers a std TCP listener (from [`bind_tcp`]) with the current runtime.
    ///
    /// Accepted connections get `TCP_NODELAY` when the listener has it, which is how
    /// [`bind_tcp`] passes on [`TcpOptions::nodelay`]. A listener made elsewhere (an
    /// inherited fd) can have it set with `socket2` first.
    pub fn from_std_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let nodelay = SockRef::from(&listener).tcp_nodelay()?;
        Ok(Listener::Tcp(
            tokio::net::TcpListener::from_std(listener)?,
            nodelay,
        ))
    }

    /// Registers a std Unix listener (from [`bind_unix`]) with the current runtime.
    pub fn from_std_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Listener::Unix(tokio::net::UnixListener::from_std(
            listener,
        )?))
    }

    /// Registers either kind of std listener with the current runtime.
    pub fn from_std(listener: StdListener) -> io::Result<Self> {
        match listener {
            StdListener::Tcp(l) => Self::from_std_tcp(l),
            StdListener::Unix(l) => Self::from_std_unix(l),
        }
    }

    /// The local address, for logs ("listening on ...").
    pub fn local_addr(&self) -> io::Result<PeerAddr> {
        match self {
            Listener::Tcp(l, _) => l.local_addr().map(PeerAddr::Tcp),
            Listener::Unix(l) => Ok(PeerAddr::Unix(
                l.local_addr()?.as_pathname().map(Path::to_path_buf),
            )),
        }
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<(Stream, PeerAddr)> {
        match self {
            Listener::Tcp(l, nodelay) => {
                let (s, peer) = l.accept().await?;
                if *nodelay {
                    // Not inherited from the listener on every platform; one syscall per
                    // connection, not per request.
                    let _ = s.set_nodelay(true);
                }
                Ok((Stream::Tcp(s), PeerAddr::Tcp(peer)))
            }
            Listener::Unix(l) => {
                let (s, peer) = l.accept().await?;
                let path = peer.as_pathname().map(Path::to_path_buf);
                Ok((Stream::Unix(s), PeerAddr::Unix(path)))
            }
        }
    }
}
