//! Serving over TLS (feature `tls`): the handshake (cello-net's [`TlsAcceptor`]) on the
//! worker's runtime before HTTP starts, the handshake's outcome ([`TlsInfo`]) in every
//! request's extensions, and certificates reloaded on SIGHUP.
//!
//! Plain connections never pass through here: a TLS server is a different worker
//! function ([`serve_worker_tls`]), so plain HTTP pays nothing for TLS.

use crate::config::HttpConfig;
use crate::connection::Http;
use crate::{Request, Response};
use cello_net::{serve, shutdown_on_signals, Listener, PeerAddr, ServeConfig, Shutdown};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

pub use cello_net::tls::{alpn, ClientAuth, TlsAcceptor, TlsError, TlsFiles, TlsInfo};

/// [`serve_worker`](crate::serve_worker) over TLS: each connection's handshake must
/// complete within `http.header_read_timeout`; a client sending plain HTTP is answered
/// 400. Requests carry an `Arc<TlsInfo>` extension (ALPN, TLS version, the client's
/// certificate). With `signals`, SIGHUP reloads the certificate files: new
/// connections use them, and a file that cannot be loaded keeps the ones in force
/// (logged as an error).
pub async fn serve_worker_tls<M, S>(
    listener: std::net::TcpListener,
    http: HttpConfig,
    serve_cfg: ServeConfig,
    tls: TlsAcceptor,
    shutdown: Shutdown,
    signals: bool,
    make_service: M,
) -> io::Result<()>
where
    M: Fn(Option<SocketAddr>) -> S + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    let tls = Rc::new(tls);
    if signals {
        shutdown_on_signals(shutdown.clone())?;
        let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        tokio::task::spawn_local(reload_on_hangup(hangup, tls.clone(), shutdown.clone()));
    }
    let listener = Listener::from_std_tcp(listener)?;
    let http = Http::new(http);
    let deadline = http.config().header_read_timeout;
    serve(listener, serve_cfg, shutdown, move |stream, peer, conn| {
        let (http, tls) = (http.clone(), tls.clone());
        let peer = match peer {
            PeerAddr::Tcp(a) => Some(a),
            PeerAddr::Unix(_) => None,
        };
        let inner = make_service(peer);
        async move {
            let Some(stream) = tls.accept(stream, deadline).await else {
                return;
            };
            let info = Arc::new(TlsInfo::of(&stream));
            http.serve_connection(stream, WithTls { inner, info }, conn)
                .await
        }
    })
    .await;
    Ok(())
}

async fn reload_on_hangup(
    mut hangup: tokio::signal::unix::Signal,
    tls: Rc<TlsAcceptor>,
    shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            got = hangup.recv() => {
                if got.is_none() {
                    return;
                }
                // Logged and reported by the acceptor; the old config stays on error.
                let _ = tls.reload();
            }
        }
    }
}

/// A connection's service, with the handshake's outcome put in each request.
#[derive(Clone)]
struct WithTls<S> {
    inner: S,
    info: Arc<TlsInfo>,
}

impl<S> Service<Request> for WithTls<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        req.extensions_mut().insert(self.info.clone());
        self.inner.call(req)
    }
}
