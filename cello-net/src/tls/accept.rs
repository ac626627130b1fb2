//! The handshake for one accepted connection, and the config it uses.

use super::load::{TlsError, TlsFiles};
use crate::stream::Stream;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::ServerConfig;

/// A connection after its TLS handshake.
pub type TlsStream = tokio_rustls::server::TlsStream<Stream>;

/// What the handshake settled, for the requests on the connection to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The ALPN protocol agreed on (`h2`, `http/1.1`), if any.
    pub alpn: Option<Vec<u8>>,
    /// The client's leaf certificate (DER), when it showed one (client auth).
    pub client_cert: Option<Vec<u8>>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: &'static str,
}

impl TlsInfo {
    /// The handshake's outcome for `stream`.
    pub fn of(stream: &TlsStream) -> Self {
        let conn = stream.get_ref().1;
        TlsInfo {
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            client_cert: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec()),
            version: match conn.protocol_version() {
                Some(tokio_rustls::rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                _ => "TLSv1.3",
            },
        }
    }
}

/// The first byte of a TLS record carrying a handshake (a ClientHello).
const HANDSHAKE: u8 = 0x16;

/// The answer to plain HTTP sent to the TLS port.
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 49\r\n\
connection: close\r\n\
\r\n\
This port speaks HTTPS: use https:// to connect.\n";

/// What [`TlsAcceptor::on_reload`] is told.
type ReloadReport = dyn Fn(&Result<(), TlsError>);

/// One worker's TLS acceptor: the config in force, swapped by [`TlsAcceptor::reload`].
pub struct TlsAcceptor {
    files: TlsFiles,
    pub(in crate::tls) config: RefCell<Arc<ServerConfig>>,
    report: Option<Box<ReloadReport>>,
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl TlsAcceptor {
    /// An acceptor for `config`, loaded from `files` (which reloads read again).
    pub fn new(files: TlsFiles, config: Arc<ServerConfig>) -> Self {
        TlsAcceptor {
            files,
            config: RefCell::new(config),
            report: None,
        }
    }

    /// Also tells `report` how each [`TlsAcceptor::reload`] went (besides the
    /// `tracing` event): a host with its own logging (Python's) hears it there.
    pub fn on_reload(mut self, report: impl Fn(&Result<(), TlsError>) + 'static) -> Self {
        self.report = Some(Box::new(report));
        self
    }

    /// Reads the files again and uses the new config for the connections accepted
    /// from now on. On error the config in force stays, and the error is returned.
    /// Either way it is logged (`tracing`) and reported to the `on_reload` hook.
    pub fn reload(&self) -> Result<(), TlsError> {
        let result = self.files.load().map(|config| {
            *self.config.borrow_mut() = config;
        });
        match &result {
            Ok(()) => tracing::info!("TLS certificates reloaded"),
            Err(e) => {
                tracing::error!("TLS certificates not reloaded, keeping the ones in force: {e}")
            }
        }
        if let Some(report) = &self.report {
            report(&result);
        }
        result
    }

    /// Runs the handshake on `stream`, which must complete within `deadline`. A client
    /// whose first byte is not a TLS handshake (plain HTTP to the TLS port) is answered
    /// 400 "This port speaks HTTPS" and closed. None when there is no TLS connection
    /// to serve (the reason is logged at debug level).
    pub async fn accept(&self, stream: Stream, deadline: Duration) -> Option<TlsStream> {
        let config = self.config.borrow().clone();
        let handshake = async move {
            let mut stream = stream;
            if first_byte(&stream).await? != HANDSHAKE {
                answer_plain(&mut stream).await;
                return None;
            }
            match tokio_rustls::TlsAcceptor::from(config).accept(stream).await {
                Ok(tls) => Some(tls),
                Err(e) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    None
                }
            }
        };
        match tokio::time::timeout(deadline, handshake).await {
            Ok(tls) => tls,
            Err(_) => {
                tracing::debug!("TLS handshake not complete within the header timeout; closing");
                None
            }
        }
    }
}

/// The first byte the client sent, left in the socket; None if it left first.
async fn first_byte(stream: &Stream) -> Option<u8> {
    let mut byte = [0u8; 1];
    match stream {
        Stream::Tcp(s) => match s.peek(&mut byte).await {
            Ok(1) => Some(byte[0]),
            _ => None,
        },
        // Unix sockets cannot peek here; they are taken to speak TLS.
        Stream::Unix(_) => Some(HANDSHAKE),
        // Already TLS (never handed to the acceptor).
        Stream::Tls(_) => None,
    }
}

/// Reads what the client sent (so closing does not reset the connection and lose the
/// answer), answers 400, and closes.
async fn answer_plain(stream: &mut Stream) {
    tracing::debug!("plain HTTP on the TLS port; answering 400");
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).await;
    if stream.write_all(PLAIN_HTTP_ANSWER).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    // Drain until the client closes, briefly, so its unread bytes cause no reset.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}
