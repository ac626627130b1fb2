//! Serving over TLS (feature `tls`): the handshake (cello-net's [`TlsAcceptor`]) on the
//! worker's runtime before HTTP starts, the handshake's outcome ([`TlsInfo`]) in every
//! request's extensions, and certificates reloaded on SIGHUP.
//!
//! A TLS connection is a `cello_net::Stream::Tls` served by the same code as a plain
//! one; a plain connection pays one branch per connection for it.

use crate::config::HttpConfig;
use crate::{Request, Response};
use cello_net::{ServeConfig, Shutdown, Stream};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use tower_service::Service;

pub use cello_net::tls::{alpn, ClientAuth, TlsAcceptor, TlsError, TlsFiles, TlsInfo};

/// [`serve_worker`](crate::serve_worker), over TLS when `tls` is given: each
/// connection's handshake must complete within `http.header_read_timeout`; a client
/// sending plain HTTP is answered 400. Requests carry an `Arc<TlsInfo>` extension (ALPN,
/// TLS version, the client's certificate). With `signals`, SIGHUP reloads the
/// certificate files: new connections use them, and files that cannot be loaded keep
/// the ones in force (logged as an error).
pub async fn serve_worker_tls<M, S>(
    listener: impl Into<cello_net::StdListener>,
    http: HttpConfig,
    serve_cfg: ServeConfig,
    tls: Option<TlsAcceptor>,
    shutdown: Shutdown,
    signals: bool,
    make_service: M,
) -> io::Result<()>
where
    M: Fn(Option<SocketAddr>) -> S + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    crate::server::serve_worker_with(
        listener,
        http,
        serve_cfg,
        tls,
        shutdown,
        signals,
        make_service,
    )
    .await
}

/// The handshake for one connection: the TLS stream and what requests will carry, or
/// None when there is no TLS connection to serve.
pub(crate) async fn handshake(
    tls: &TlsAcceptor,
    stream: Stream,
    http: &HttpConfig,
) -> Option<(Stream, crate::adapter::ConnTls)> {
    let stream = tls.accept(stream, http.header_read_timeout).await?;
    let info = Arc::new(TlsInfo::of(&stream));
    Some((Stream::Tls(Box::new(stream)), Some(info)))
}

/// Reloads the certificates on every SIGHUP until shutdown.
pub(crate) fn reload_on_hangup(tls: Rc<TlsAcceptor>, shutdown: Shutdown) -> io::Result<()> {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::task::spawn_local(async move {
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
    });
    Ok(())
}
