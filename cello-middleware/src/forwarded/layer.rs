//! [`TrustedProxiesLayer`]: whom to trust and which headers to read, and the [`Layer`]
//! that builds [`TrustedProxies`].

use super::trusted::Trusted;
use super::{rfc7239, x_forwarded, ClientInfo, TrustedProxies, TrustedProxiesError};
use http::HeaderMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_layer::Layer;

/// Believes `X-Forwarded-For/Proto/Host` (and, when turned on, `Forwarded`) only from
/// the peers it is given, and puts what they say in a [`ClientInfo`] extension.
///
/// Cloning is cheap: the settings are shared. See the [module docs](super) for the rules
/// and an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct TrustedProxiesLayer {
    config: Arc<Config>,
}

#[derive(Debug, Clone)]
pub(super) struct Config {
    trusted: Trusted,
    x_forwarded: bool,
    forwarded: bool,
    host: bool,
}

impl TrustedProxiesLayer {
    /// Trust the peers in `trusted`: IP addresses (`127.0.0.1`, `::1`), CIDR networks
    /// (`10.0.0.0/8`, `fd00::/8`), or `*` for every peer. `X-Forwarded-*` is read,
    /// `Forwarded` is not (see [`forwarded`](Self::forwarded)).
    ///
    /// # Errors
    ///
    /// [`TrustedProxiesError::InvalidAddress`] for an entry that is none of these (host
    /// names are not resolved).
    pub fn new<I, T>(trusted: I) -> Result<Self, TrustedProxiesError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        Ok(Self {
            config: Arc::new(Config {
                trusted: Trusted::parse(trusted)?,
                x_forwarded: true,
                forwarded: false,
                host: false,
            }),
        })
    }

    /// Read `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` (default on).
    pub fn x_forwarded(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.config).x_forwarded = on;
        self
    }

    /// Read RFC 7239 `Forwarded` (default off). When both are on and a request has a
    /// usable `Forwarded`, it wins. Turn on only the headers your proxy sets or strips:
    /// one it passes through untouched is whatever the client wrote.
    pub fn forwarded(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.config).forwarded = on;
        self
    }

    /// Whether the forwarded host (`X-Forwarded-Host`, or `host=` in `Forwarded`)
    /// becomes the request's host. Off by default: common proxies (nginx among them)
    /// do not set `X-Forwarded-Host` but pass a client's through, which would let any
    /// client choose the host the app builds URLs from. Turn it on when your proxy
    /// sets (or strips) it, as werkzeug's `ProxyFix(x_host=1)`.
    pub fn host(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.config).host = on;
        self
    }

    pub(super) fn shared(&self) -> Arc<Config> {
        Arc::clone(&self.config)
    }
}

impl Config {
    /// What the trusted headers say about a request from `peer`; `None` when the peer is
    /// not trusted or they say nothing usable.
    pub(super) fn resolve(
        &self,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
    ) -> Option<ClientInfo> {
        let trusted_peer = match peer {
            Some(addr) => self.trusted.contains(addr.ip()),
            // No peer address (a Unix socket, or no `ConnectInfo`): only `*` trusts it.
            None => self.trusted.is_any(),
        };
        if !trusted_peer {
            return None;
        }
        let mut info = None;
        if self.forwarded {
            info = rfc7239::resolve(headers, &self.trusted, peer);
        }
        if info.is_none() && self.x_forwarded {
            info = x_forwarded::resolve(headers, &self.trusted, peer);
        }
        let mut info = info?;
        if !self.host {
            info.host = None;
            if info.scheme.is_none() && info.client == peer {
                // Nothing but a host was forwarded, and it is not honored.
                return None;
            }
        }
        Some(info)
    }
}

impl<S> Layer<S> for TrustedProxiesLayer {
    type Service = TrustedProxies<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TrustedProxies::new(inner, self)
    }
}
