//! [`serve`]: run an [`App`] on a TCP address, one current-thread runtime and one
//! listener per worker thread (cello-http's [`Server`]).

use crate::{App, MakeService};
use cello_http::{HttpConfig, Server};
use cello_net::{ServeConfig, Shutdown, TcpOptions};
use std::io;
use std::net::SocketAddr;

/// Serves `app` on `addr` when [`Serve::run`] is called; set workers, limits and
/// timeouts on the way. Defaults are cello-http's and cello-net's, in one place each.
pub fn serve<S: Clone + Send + Sync + 'static>(addr: SocketAddr, app: App<S>) -> Serve<S> {
    Serve {
        server: Server::bind(addr),
        app,
    }
}

/// A server about to run; see [`serve`].
#[derive(Debug)]
pub struct Serve<S> {
    server: Server,
    app: App<S>,
}

impl<S: Clone + Send + Sync + 'static> Serve<S> {
    /// Worker threads, each with its own runtime and listener (default 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.server = self.server.workers(n);
        self
    }

    /// Protocol limits and timeouts.
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.server = self.server.http_config(config);
        self
    }

    /// The connection cap and the shutdown deadline.
    pub fn serve_config(mut self, config: ServeConfig) -> Self {
        self.server = self.server.serve_config(config);
        self
    }

    /// Listener socket options.
    pub fn tcp_options(mut self, options: TcpOptions) -> Self {
        self.server = self.server.tcp_options(options);
        self
    }

    /// How each worker thread runs: the hook gets the worker's future and must run it
    /// to the end on a current-thread runtime with a `LocalSet` (the default is
    /// [`cello_net::run_local`]). A host that needs its own runtime — one that holds a
    /// lock for the worker's lifetime, or runs tasks of its own beside the server —
    /// supplies it here.
    ///
    /// ```
    /// use cello::{serve, App};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let workers_run = Arc::new(AtomicUsize::new(0));
    /// let count = workers_run.clone();
    /// let server = serve("127.0.0.1:0".parse().unwrap(), App::new().get("/", || async { "hi" }))
    ///     .workers(2)
    ///     .runtime(move |worker| {
    ///         count.fetch_add(1, Ordering::SeqCst);
    ///         let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    ///         tokio::task::LocalSet::new().block_on(&rt, worker)
    ///     });
    /// server.shutdown_handle().trigger(); // stop at once: this example only starts it
    /// server.run().unwrap();
    /// assert_eq!(workers_run.load(Ordering::SeqCst), 2);
    /// ```
    pub fn runtime<R>(mut self, run: R) -> Self
    where
        R: Fn(cello_http::WorkerFuture) -> io::Result<()> + Send + Sync + 'static,
    {
        self.server = self.server.runtime(run);
        self
    }

    /// A handle that stops the server gracefully (SIGINT and SIGTERM do too).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.server.shutdown_handle()
    }

    /// Freezes the routes, binds, and serves until shutdown. A route that did not fit
    /// the table is an `InvalidInput` error naming it, before anything is bound; a
    /// busy port is "address already in use".
    pub fn run(self) -> io::Result<()> {
        self.listen()?.run()
    }

    /// Freezes the routes and binds, without serving yet: the bound address is known
    /// (port 0 picks one) and a busy port fails here.
    pub fn listen(self) -> io::Result<Listening<S>> {
        let make = self
            .app
            .into_service()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(Listening {
            listening: self.server.listen()?,
            make,
        })
    }
}

/// A bound server about to serve; see [`Serve::listen`].
#[derive(Debug)]
pub struct Listening<S> {
    listening: cello_http::Listening,
    make: MakeService<S>,
}

impl<S: Clone + Send + Sync + 'static> Listening<S> {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listening.local_addr()
    }

    /// Serves until shutdown: each connection gets its service with the client's
    /// address ([`MakeService::service_for`]).
    pub fn run(self) -> io::Result<()> {
        let make = std::sync::Arc::new(self.make);
        self.listening.run_per_connection(move || {
            let make = make.clone();
            move |peer| make.service_for(peer)
        })
    }
}
