//! The graceful-shutdown signal shared by the accept loop and every connection.

use tokio_util::sync::CancellationToken;

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
