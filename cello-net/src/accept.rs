//! The accept loop: connection limit, error back-off, graceful shutdown.

use crate::connection::{Connection, Registry};
use crate::listener::Listener;
use crate::shutdown::Shutdown;
use crate::stream::{PeerAddr, Stream};
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::task::AbortOnDropHandle;

/// How the accept loop behaves.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Connections served at once by this loop (default 10,000). A client arriving at
    /// the cap gets the place of the longest-idle connection, which is closed; when
    /// none is idle, new clients wait until a connection closes or turns idle.
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
/// connections to finish (each gets a [`Connection`] whose stop signal fires), and
/// returns; connections still open then are aborted (their tasks dropped, which closes
/// them) before it returns, even if the surrounding `LocalSet` keeps running.
///
/// When a client arrives at `config.max_connections`, the loop closes the connection
/// that has been idle longest (as its protocol marks it through
/// [`Connection::set_idle`]) to make room for it; when none is idle, that client waits
/// (accepted, not yet served) and the ones after it wait in the kernel's backlog, until
/// a connection closes or turns idle.
///
/// Accept errors never end the loop: they are logged and followed by a short pause.
/// Must run inside a [`tokio::task::LocalSet`].
pub async fn serve<F, Fut>(listener: Listener, config: ServeConfig, shutdown: Shutdown, on_conn: F)
where
    F: Fn(Stream, PeerAddr, Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    // The loop is a task of its own. A `LocalSet` polls the future it blocks on each
    // time any of its tasks is woken; as that future, the loop's `select!` (the
    // listener, the stop signal) was polled once per request of every connection
    // (~350 instructions a request, callgrind). The handle aborts the loop if this
    // future is dropped, as dropping the loop itself would.
    let looped = AbortOnDropHandle::new(tokio::task::spawn_local(accept_loop(
        listener, config, shutdown, on_conn,
    )));
    if let Err(e) = looped.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

async fn accept_loop<F, Fut>(
    listener: Listener,
    config: ServeConfig,
    shutdown: Shutdown,
    on_conn: F,
) where
    F: Fn(Stream, PeerAddr, Connection) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let registry = Rc::new(Registry::default());
    let mut tasks = JoinSet::new();
    'accept: loop {
        // Reap finished connections so the set holds only live ones.
        while let Some(done) = tasks.try_join_next() {
            log_panic(done);
        }
        let accepted = tokio::select! {
            biased;
            _ = shutdown.wait() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let permit = match limit.clone().try_acquire_owned() {
                    Ok(p) => p,
                    // At the cap, with a client waiting: reclaim the longest-idle
                    // connection (one at a time), or wait for one to close or turn idle.
                    Err(_) => {
                        let mut reclaimed = false;
                        loop {
                            if !reclaimed {
                                reclaimed = registry.reclaim_oldest_idle();
                            }
                            registry.set_waiting(true);
                            let got = tokio::select! {
                                biased;
                                _ = shutdown.wait() => break 'accept,
                                p = limit.clone().acquire_owned() => p.ok(),
                                _ = registry.idle_turned() => None,
                            };
                            registry.set_waiting(false);
                            if let Some(p) = got {
                                break p;
                            }
                        }
                    }
                };
                let (conn, registered) = registry.add(&shutdown);
                let fut = on_conn(stream, peer, conn);
                tasks.spawn_local(async move {
                    fut.await;
                    drop(registered);
                    drop(permit);
                });
            }
            Err(e) => {
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
