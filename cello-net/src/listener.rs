//! Binding listeners with the socket options a server needs.

use crate::stream::{PeerAddr, Stream};
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::path::Path;

/// Options for a TCP listener.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// `SO_REUSEADDR`: rebind at once after a restart (default on).
    pub reuse_address: bool,
    /// `SO_REUSEPORT`: several workers bind the same port and the kernel balances
    /// connections between them (default on).
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
            reuse_port: true,
            nodelay: true,
            backlog: 1024,
        }
    }
}

/// Binds a non-blocking TCP listener with `options`. It is a std listener so that it
/// can be made before any runtime exists (e.g. before worker processes fork); turn it
/// into a [`Listener`] with [`Listener::from_std_tcp`] inside the runtime.
pub fn bind_tcp(addr: SocketAddr, options: &TcpOptions) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(options.reuse_address)?;
    #[cfg(unix)]
    socket.set_reuse_port(options.reuse_port)?;
    socket.set_tcp_nodelay(options.nodelay)?;
    socket.set_nonblocking(true)?;
    socket
        .bind(&addr.into())
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
    let backlog = i32::try_from(options.backlog).unwrap_or(i32::MAX);
    socket.listen(backlog)?;
    Ok(socket.into())
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
    pub fn from_std_tcp(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Listener::Tcp(
            tokio::net::TcpListener::from_std(listener)?,
            true,
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
