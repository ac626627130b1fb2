//! [`ClientInfo`]: what the trusted proxies said about the client, and [`ForwardedProto`].

use http::uri::Authority;
use std::net::SocketAddr;

/// The client as trusted proxies reported it: a request extension set by
/// [`TrustedProxies`](super::TrustedProxies).
///
/// It is there only when the request came from a trusted peer *and* at least one
/// forwarding header was honored; otherwise the connection's own peer, scheme and host
/// stand, and reading them costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInfo {
    /// The client's address. When the proxies named it: their address, with the port they
    /// gave or `0` (most send none). When they named no client (only a scheme or host):
    /// the connection's peer. `None` when they hid it on purpose (RFC 7239
    /// `for=unknown` or an obfuscated `for=_name`): the peer is a proxy, not the client,
    /// so it is not offered in its place.
    pub client: Option<SocketAddr>,
    /// The scheme the client used with the first proxy, when one was given and valid.
    pub scheme: Option<ForwardedProto>,
    /// The host the client asked the first proxy for, `host[:port]`, when one was given
    /// and valid.
    pub host: Option<Authority>,
}

impl ClientInfo {
    pub(super) fn new(
        client: Option<SocketAddr>,
        scheme: Option<ForwardedProto>,
        host: Option<Authority>,
    ) -> Self {
        Self {
            client,
            scheme,
            host,
        }
    }
}

/// A scheme a proxy may report: the four a web server serves. Anything else in
/// `X-Forwarded-Proto` or `proto=` is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardedProto {
    /// `http`
    Http,
    /// `https`
    Https,
    /// `ws`
    Ws,
    /// `wss`
    Wss,
}

impl ForwardedProto {
    /// Reads a scheme, ASCII case-insensitively (URI schemes are); `None` for any other.
    ///
    /// ```
    /// use cello_middleware::forwarded::ForwardedProto;
    ///
    /// assert_eq!(ForwardedProto::parse(b"HTTPS"), Some(ForwardedProto::Https));
    /// assert_eq!(ForwardedProto::parse(b"javascript"), None);
    /// ```
    pub fn parse(value: &[u8]) -> Option<Self> {
        let lower = |s: &[u8]| value.eq_ignore_ascii_case(s);
        if lower(b"http") {
            Some(Self::Http)
        } else if lower(b"https") {
            Some(Self::Https)
        } else if lower(b"ws") {
            Some(Self::Ws)
        } else if lower(b"wss") {
            Some(Self::Wss)
        } else {
            None
        }
    }

    /// The scheme in lowercase, e.g. `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }
}

impl std::fmt::Display for ForwardedProto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A forwarded host: a valid `host[:port]` authority without user info.
pub(super) fn parse_host(value: &[u8]) -> Option<Authority> {
    if value.is_empty() || value.contains(&b'@') {
        return None;
    }
    let authority = Authority::try_from(value).ok()?;
    (!authority.host().is_empty()).then_some(authority)
}
