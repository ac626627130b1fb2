//! A whole server in one call: a listener and a runtime per worker thread.

use crate::config::HttpConfig;
use crate::connection::Http;
use crate::{Request, Response};
use cello_net::{
    bind_tcp_workers, run_local, serve, shutdown_on_signals, Listener, PeerAddr, ServeConfig,
    Shutdown, StdListener, TcpOptions,
};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_service::Service;

/// Serves a tower service on a TCP address with one current-thread runtime and one
/// listener per worker thread (thread-per-core), all on one port.
///
/// The workers' listeners come from [`cello_net::bind_tcp_workers`]: the first is
/// bound without `SO_REUSEPORT`, so a port that another process (or another `Server`)
/// holds fails with "address already in use", and the others join it with
/// `SO_REUSEPORT` so the kernel spreads connections over the threads.
#[derive(Debug, Clone)]
pub struct Server {
    addr: SocketAddr,
    workers: usize,
    runtime: Runtime,
    tcp: TcpOptions,
    serve: ServeConfig,
    http: HttpConfig,
    shutdown: Shutdown,
}

impl Server {
    /// A server for `addr` with one worker and default limits. Nothing is bound until
    /// [`Server::listen`] or [`Server::run`].
    pub fn bind(addr: SocketAddr) -> Self {
        Server {
            addr,
            workers: 1,
            runtime: Runtime(Arc::new(|worker| run_local(worker)?)),
            tcp: TcpOptions::default(),
            serve: ServeConfig::default(),
            http: HttpConfig::default(),
            shutdown: Shutdown::new(),
        }
    }

    /// Worker threads, each with its own runtime and listener.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Protocol limits and timeouts.
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.http = config;
        self
    }

    /// Accept-loop settings (connection limit, shutdown deadline).
    pub fn serve_config(mut self, config: ServeConfig) -> Self {
        self.serve = config;
        self
    }

    /// Listener socket options.
    pub fn tcp_options(mut self, options: TcpOptions) -> Self {
        self.tcp = options;
        self
    }

    /// How each worker thread runs its future: by default a current-thread tokio
    /// runtime with a `LocalSet` ([`cello_net::run_local`]). A hook may build the
    /// runtime differently, or drive it while holding something for the worker's
    /// lifetime, as the Python engine holds the GIL; it must give the future a
    /// `LocalSet`, since services need not be `Send`.
    pub fn runtime<R>(mut self, run: R) -> Self
    where
        R: Fn(WorkerFuture) -> io::Result<()> + Send + Sync + 'static,
    {
        self.runtime = Runtime(Arc::new(run));
        self
    }

    /// A handle that stops the server gracefully (SIGINT and SIGTERM do too).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Binds the workers' listeners now, so that a busy port fails here and the bound
    /// address (the port the kernel picked for port 0) is known before serving.
    pub fn listen(self) -> io::Result<Listening> {
        let listeners = bind_tcp_workers(self.addr, &self.tcp, self.workers)?;
        let local_addr = match listeners.first() {
            Some(l) => l.local_addr()?,
            None => return Err(io::Error::other("no listener was bound")),
        };
        Ok(Listening {
            server: self,
            listeners,
            local_addr,
        })
    }

    /// Binds and serves until shutdown: [`Server::listen`], then [`Listening::run`].
    pub fn run<M, S>(self, make_service: M) -> io::Result<()>
    where
        M: Fn() -> S + Send + Sync + 'static,
        S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    {
        self.listen()?.run(make_service)
    }
}

/// A [`Server`] whose listeners are bound, ready to [`run`](Listening::run).
#[derive(Debug)]
pub struct Listening {
    server: Server,
    listeners: Vec<std::net::TcpListener>,
    local_addr: SocketAddr,
}

impl Listening {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until shutdown. `make_service` runs once per worker thread and returns
    /// that thread's service, which need not be `Send`.
    pub fn run<M, S>(self, make_service: M) -> io::Result<()>
    where
        M: Fn() -> S + Send + Sync + 'static,
        S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    {
        self.run_per_connection(move || {
            let service = make_service();
            move |_peer| service.clone()
        })
    }

    /// Serves until shutdown, with a service per connection: `make_worker` runs once
    /// per worker thread and returns what makes that thread's connections' services
    /// from each client's address.
    pub fn run_per_connection<M, F, S>(self, make_worker: M) -> io::Result<()>
    where
        M: Fn() -> F + Send + Sync + 'static,
        F: Fn(Option<SocketAddr>) -> S + 'static,
        S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    {
        let Listening {
            server, listeners, ..
        } = self;
        let make_worker = Arc::new(make_worker);
        let mut threads = Vec::new();
        let mut first = None;
        for (i, listener) in listeners.into_iter().enumerate() {
            let worker = {
                let make_worker = make_worker.clone();
                let (http, serve_cfg, shutdown, runtime) = (
                    server.http.clone(),
                    server.serve.clone(),
                    server.shutdown.clone(),
                    server.runtime.0.clone(),
                );
                move || {
                    let per_connection = make_worker();
                    runtime(Box::pin(serve_worker(
                        listener,
                        http,
                        serve_cfg,
                        shutdown,
                        i == 0,
                        per_connection,
                    )))
                }
            };
            if i == 0 {
                first = Some(worker);
            } else {
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("cello-worker-{i}"))
                        .spawn(worker)?,
                );
            }
        }
        let result = first.map_or(Ok(()), |w| w());
        for t in threads {
            let _ = t.join();
        }
        result
    }
}

/// The future a worker thread runs: its accept loop, to the end.
pub type WorkerFuture = std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<()>>>>;

/// The hook of [`Server::runtime`].
#[derive(Clone)]
struct Runtime(Arc<dyn Fn(WorkerFuture) -> io::Result<()> + Send + Sync>);

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

/// One worker: serves `listener` until `shutdown` (and SIGINT/SIGTERM when `signals`),
/// each connection with the service `make_service` makes for its client's address
/// (None on a Unix socket). `listener` is TCP or a Unix domain socket.
/// Runs on the current thread's runtime, inside a `LocalSet`. [`Server`] runs one per
/// thread; the Python engine runs one per process, inside its GIL-holding runtime.
pub async fn serve_worker<M, S>(
    listener: impl Into<StdListener>,
    http: HttpConfig,
    serve_cfg: ServeConfig,
    shutdown: Shutdown,
    signals: bool,
    make_service: M,
) -> io::Result<()>
where
    M: Fn(Option<SocketAddr>) -> S + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    serve_worker_with(
        listener,
        http,
        serve_cfg,
        None,
        shutdown,
        signals,
        make_service,
    )
    .await
}

/// What a TLS worker accepts with; nothing can be one without the `tls` feature.
#[cfg(feature = "tls")]
pub(crate) type Acceptor = cello_net::tls::TlsAcceptor;
/// What a TLS worker accepts with; nothing can be one without the `tls` feature.
#[cfg(not(feature = "tls"))]
pub(crate) enum Acceptor {}

/// [`serve_worker`], and with `tls` its HTTPS form (`crate::tls`): one function, so
/// that the protocol code is compiled once for both (see `cello_net::Stream::Tls`).
pub(crate) async fn serve_worker_with<M, S>(
    listener: impl Into<StdListener>,
    http: HttpConfig,
    serve_cfg: ServeConfig,
    tls: Option<Acceptor>,
    shutdown: Shutdown,
    signals: bool,
    make_service: M,
) -> io::Result<()>
where
    M: Fn(Option<SocketAddr>) -> S + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    if signals {
        shutdown_on_signals(shutdown.clone())?;
    }
    let tls = tls.map(std::rc::Rc::new);
    #[cfg(feature = "tls")]
    if let (true, Some(tls)) = (signals, &tls) {
        crate::tls::reload_on_hangup(tls.clone(), shutdown.clone())?;
    }
    let listener = Listener::from_std(listener.into())?;
    let http = Http::new(http);
    serve(
        listener,
        serve_cfg,
        shutdown,
        move |stream, peer, shutdown| {
            let (http, tls) = (http.clone(), tls.clone());
            let peer = match peer {
                PeerAddr::Tcp(a) => Some(a),
                PeerAddr::Unix(_) => None,
            };
            let service = make_service(peer);
            async move {
                let (stream, info) = match tls {
                    None => (stream, Default::default()),
                    #[cfg(feature = "tls")]
                    // Boxed: the handshake's state (kilobytes) would otherwise
                    // make every connection's task bigger, plain ones too.
                    Some(tls) => {
                        match Box::pin(crate::tls::handshake(&tls, stream, http.config())).await {
                            Some(done) => done,
                            None => return,
                        }
                    }
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match *never {},
                };
                http.serve_with(stream, service, shutdown, info).await
            }
        },
    )
    .await;
    Ok(())
}
