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

/// Binds a non-blocking Unix-domain-socket listener at `path`, removing a stale socket
/// file left by an earlier run.
pub fn bind_unix(path: &Path) -> io::Result<std::os::unix::net::UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_socket() {
            std::fs::remove_file(path)?;
        }
    }
    let listener = std::os::unix::net::UnixListener::bind(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {}: {e}", path.display())))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
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
