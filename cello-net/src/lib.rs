//! Listeners, the accept loop, connection limits and graceful shutdown.
//!
//! This crate knows sockets and nothing of HTTP. It is built for the
//! thread-per-core model Cello uses everywhere: every worker runs its own
//! current-thread tokio runtime with its own listener on the shared port
//! ([`bind_tcp_workers`]: `SO_REUSEPORT` among the server's own workers only), so the
//! kernel balances connections and nothing on the request path is shared between
//! threads.
//! Connection tasks are spawned with [`tokio::task::spawn_local`], which is why
//! [`serve`] must run inside a [`tokio::task::LocalSet`]; [`run_local`] sets one up.
//!
//! ```
//! use cello_net::{bind_tcp, serve, run_local, Listener, ServeConfig, Shutdown, TcpOptions};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let std_listener = bind_tcp("127.0.0.1:0".parse().unwrap(), &TcpOptions::default()).unwrap();
//! let addr = std_listener.local_addr().unwrap();
//! let shutdown = Shutdown::new();
//! let reply = run_local(async move {
//!     let listener = Listener::from_std_tcp(std_listener).unwrap();
//!     let stop = shutdown.clone();
//!     let server = tokio::task::spawn_local(serve(listener, ServeConfig::default(), shutdown,
//!         |mut stream, _peer, _shutdown| async move {
//!             let _ = stream.write_all(b"hi").await;
//!         }));
//!     let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
//!     let mut buf = Vec::new();
//!     client.read_to_end(&mut buf).await.unwrap();
//!     stop.trigger();
//!     server.await.unwrap();
//!     buf
//! })
//! .unwrap();
//! assert_eq!(reply, b"hi");
//! ```

mod accept;
mod connection;
mod listener;
mod reuse_port;
mod shutdown;
mod stream;
#[cfg(feature = "tls")]
pub mod tls;

pub use accept::{serve, ServeConfig};
pub use connection::Connection;
pub use listener::{bind_tcp, bind_unix, Listener, TcpOptions};
pub use reuse_port::bind_tcp_workers;
pub use shutdown::{shutdown_on_signals, Shutdown, Stopped};
pub use stream::{PeerAddr, Stream};

/// Runs `fut` to completion on a new current-thread runtime inside a `LocalSet`, the
/// setting [`serve`] needs. One call per worker thread.
pub fn run_local<F: std::future::Future>(fut: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    Ok(local.block_on(&rt, fut))
}
