//! The accept loop: connection limit, error back-off, graceful shutdown.

use crate::listener::Listener;
use crate::shutdown::Shutdown;
use crate::stream::{PeerAddr, Stream};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How the accept loop behaves.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Connections served at once by this loop; past it, new connections wait in the
    /// kernel's backlog (default 10,000).
    pub max_connections: usize,
    /// After shutdown fires, how long in-flight connections may take to finish before
    /// they are closed (default 30 s).
    pub shutdown_timeout: Duration,
    /// Pause after an accept error such as EMFILE, so the loop does not spin while the
    /// process is out of file descriptors (default 50 ms).
    pub accept_error_backoff: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(30),
            accept_error_backoff: Duration::from_millis(50),
        }
    }
}

/// Accepts connections until `shutdown` fires and runs `on_conn` for each on a local
/// task. Then stops accepting, waits up to `config.shutdown_timeout` for the
/// connections to finish (each gets `shutdown` to notice), and returns; connections
/// still open then are aborted (their tasks dropped, which closes them) before it
/// returns, even if the surrounding `LocalSet` keeps running.
///
/// Accept errors never end the loop: they are logged and followed by a short pause.
/// Must run inside a [`tokio::task::LocalSet`].
pub async fn serve<F, Fut>(listener: Listener, config: ServeConfig, shutdown: Shutdown, on_conn: F)
where
    F: Fn(Stream, PeerAddr, Shutdown) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut tasks = JoinSet::new();
    loop {
        // Reap finished connections so the set holds only live ones.
        while let Some(done) = tasks.try_join_next() {
            log_panic(done);
        }
        let permit = tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let fut = on_conn(stream, peer, shutdown.clone());
                tasks.spawn_local(async move {
                    fut.await;
                    drop(permit);
                });
            }
            Err(e) => {
                drop(permit);
                tracing::warn!(error = %e, "accept failed; backing off");
                tokio::time::sleep(config.accept_error_backoff).await;
            }
        }
    }
    drop(listener);
    let drain = async {
        while let Some(done) = tasks.join_next().await {
            log_panic(done);
        }
    };
    if tokio::time::timeout(config.shutdown_timeout, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = tasks.len(),
            "shutdown timeout reached; closing the connections still open"
        );
        // Aborts every task and waits until each is dropped, so their sockets are
        // closed when this returns.
        tasks.shutdown().await;
    }
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            tracing::error!(error = %e, "a connection task panicked");
        }
    }
}
