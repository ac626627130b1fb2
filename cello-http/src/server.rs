//! A whole server in one call: a listener and a runtime per worker thread.

use crate::config::HttpConfig;
use crate::connection::Http;
use crate::{Request, Response};
use cello_net::{
    bind_tcp_workers, run_local, serve, shutdown_on_signals, Listener, ServeConfig, Shutdown,
    TcpOptions,
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
        let Listening {
            server, listeners, ..
        } = self;
        let make_service = Arc::new(make_service);
        let mut threads = Vec::new();
        let mut first = None;
        for (i, listener) in listeners.into_iter().enumerate() {
            let worker = {
                let make_service = make_service.clone();
                let (http, serve_cfg, shutdown) = (
                    server.http.clone(),
                    server.serve.clone(),
                    server.shutdown.clone(),
                );
                move || run_worker(listener, make_service(), http, serve_cfg, shutdown, i == 0)
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

fn run_worker<S>(
    listener: std::net::TcpListener,
    service: S,
    http: HttpConfig,
    serve_cfg: ServeConfig,
    shutdown: Shutdown,
    signals: bool,
) -> io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    run_local(async move {
        if signals {
            shutdown_on_signals(shutdown.clone())?;
        }
        let listener = Listener::from_std_tcp(listener)?;
        let http = Http::new(http);
        serve(
            listener,
            serve_cfg,
            shutdown,
            move |stream, _peer, shutdown| {
                let http = http.clone();
                let service = service.clone();
                async move { http.serve_connection(stream, service, shutdown).await }
            },
        )
        .await;
        Ok(())
    })?
}
