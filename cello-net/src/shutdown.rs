//! The graceful-shutdown signal shared by the accept loop and every connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// A cloneable "stop now, gracefully" signal. The accept loop stops accepting when it
/// fires; connections finish the request in flight and close.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal (idempotent).
    pub fn trigger(&self) {
        self.0.cancel();
    }

    /// A signal that fires when this one does, and can also be fired alone (one
    /// connection's stop signal, a child of the server's).
    pub fn child(&self) -> Shutdown {
        Shutdown(self.0.child_token())
    }

    /// Whether the signal has fired.
    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes when the signal fires.
    pub async fn wait(&self) {
        self.0.cancelled().await
    }

    /// Like [`wait`](Self::wait), for a future polled on every wake of a long-lived
    /// task (a connection): once registered, a poll from the same task is an atomic
    /// load. (The token's own future locks its waiter list on every poll: ~360
    /// instructions per request on `/json`, benches/NOTES.md.)
    pub fn stopped(&self) -> Stopped {
        Stopped {
            token: self.0.clone(),
            wait: Box::pin(self.0.clone().cancelled_owned()),
            registered: None,
        }
    }
}

/// The future of [`Shutdown::stopped`].
pub struct Stopped {
    token: CancellationToken,
    wait: Pin<Box<WaitForCancellationFutureOwned>>,
    /// The waker the inner future holds; a poll with the same one can skip it.
    registered: Option<Waker>,
}

impl std::fmt::Debug for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopped")
            .field("fired", &self.token.is_cancelled())
            .finish()
    }
}

impl Future for Stopped {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.token.is_cancelled() {
            return Poll::Ready(());
        }
        if this
            .registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        let res = this.wait.as_mut().poll(cx);
        if res.is_pending() {
            this.registered = Some(cx.waker().clone());
        }
        res
    }
}

/// Spawns a local task that fires `shutdown` on SIGINT or SIGTERM. Must be called
/// inside a runtime with signal handling enabled.
pub fn shutdown_on_signals(shutdown: Shutdown) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::task::spawn_local(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down gracefully"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down gracefully"),
            _ = shutdown.wait() => return,
        }
        shutdown.trigger();
    });
    Ok(())
}
