//! One port, one listener per worker: `SO_REUSEPORT` among a server's own workers only.
//!
//! Each worker (a thread with its own runtime, or a forked process) accepts on its own
//! socket and the kernel spreads new connections over them, so nothing on the accept
//! path is shared between workers. `SO_REUSEPORT` is what allows several sockets on one
//! port, but it also lets any other process of the same user join silently, so it is
//! never set on a first bind: the first socket is bound without it, which fails with
//! "address already in use" when anything holds the port, and only then is the option
//! turned on for it and its siblings. A second server started the same way fails at
//! its own first bind. (A foreign process that sets `SO_REUSEPORT` itself can still
//! join once the option is on; that is the option's nature.)

use crate::listener::{bind_socket, bind_tcp, listen, TcpOptions};
use socket2::SockRef;
use std::io;
use std::net::SocketAddr;

/// Binds `count` listeners (at least one) on `addr`, one per worker, that share its
/// port. Fails with [`io::ErrorKind::AddrInUse`] when another socket holds the port.
/// With port 0 the kernel picks a free port and all listeners use it.
///
/// ```
/// use cello_net::{bind_tcp, bind_tcp_workers, TcpOptions};
///
/// let listeners = bind_tcp_workers("127.0.0.1:0".parse().unwrap(), &TcpOptions::default(), 2).unwrap();
/// let addr = listeners[0].local_addr().unwrap();
/// assert_eq!(listeners[1].local_addr().unwrap(), addr);
/// // Anyone else is refused the port.
/// let err = bind_tcp(addr, &TcpOptions::default()).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
/// ```
pub fn bind_tcp_workers(
    addr: SocketAddr,
    options: &TcpOptions,
    count: usize,
) -> io::Result<Vec<std::net::TcpListener>> {
    if count <= 1 {
        return Ok(vec![bind_tcp(addr, options)?]);
    }
    // The first bind proves the port is free (unless the caller asked for
    // `reuse_port`); from then on this socket holds it.
    let first = bind_socket(addr, options)?;
    #[cfg(unix)]
    SockRef::from(&first).set_reuse_port(true)?;
    let port = first
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("a TCP socket has no IP address"))?;
    let mut listeners = Vec::with_capacity(count);
    listeners.push(listen(first, options)?);
    let sibling = TcpOptions {
        reuse_port: true,
        ..options.clone()
    };
    for _ in 1..count {
        listeners.push(bind_tcp(port, &sibling)?);
    }
    Ok(listeners)
}
