#![doc = include_str!("../README.md")]

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
pub use listener::{bind_tcp, bind_unix, Listener, StdListener, TcpOptions};
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
