//! [`WebSocketUpgrade`]: the extractor that checks a WebSocket handshake (RFC 6455
//! §4.2) and answers it with `101 Switching Protocols`, or an HTTP/2 extended CONNECT
//! (RFC 8441) answered with `200`.

use super::socket::{Config, WebSocket};
use crate::extract::FromRequestParts;
use crate::rejection::detail;
use crate::RequestContext;
use cello_http::{Body, IntoResponse, Response};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use hyper::upgrade::OnUpgrade;
use std::future::Future;

/// A WebSocket handshake, checked: answer it with [`on_upgrade`](Self::on_upgrade)
/// (or [`accept`](Self::accept)) to switch the connection to WebSocket frames.
///
/// HTTP/1.1 `GET` requests with `Upgrade: websocket`, `Connection: upgrade`,
/// `Sec-WebSocket-Version: 13` and a `Sec-WebSocket-Key` get one, and HTTP/2 `CONNECT`
/// requests with `:protocol = websocket` and `Sec-WebSocket-Version: 13` (RFC 8441:
/// no key); any other request is refused with 426 ([`NotWebSocket`]).
pub struct WebSocketUpgrade {
    /// `Sec-WebSocket-Key`; None over HTTP/2 (the answer is 200, no accept key).
    key: Option<HeaderValue>,
    offered: Vec<String>,
    on_upgrade: OnUpgrade,
    config: Config,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("offered", &self.offered)
            .field("config", &self.config)
            .finish()
    }
}

/// A request to a WebSocket route that is not a WebSocket handshake: 426.
#[derive(Debug)]
pub struct NotWebSocket(&'static str);

impl std::fmt::Display for NotWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for NotWebSocket {}

impl IntoResponse for NotWebSocket {
    fn into_response(self) -> Response {
        let mut res = detail(StatusCode::UPGRADE_REQUIRED, self.0);
        res.headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        res
    }
}

fn has_token(headers: &HeaderMap, name: http::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

impl WebSocketUpgrade {
    /// Checks `parts` as a WebSocket handshake and takes the connection's upgrade.
    pub fn from_parts(parts: &mut Parts) -> Result<Self, NotWebSocket> {
        let key = if parts.version == http::Version::HTTP_2 {
            // RFC 8441 §4: the stream is the socket; the version is checked below.
            let protocol = parts.extensions.get::<hyper::ext::Protocol>();
            if parts.method != Method::CONNECT
                || !protocol.is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"))
            {
                return Err(NotWebSocket(
                    "over HTTP/2 a WebSocket is an extended CONNECT with `:protocol: websocket` (RFC 8441)",
                ));
            }
            None
        } else {
            if parts.method != Method::GET {
                return Err(NotWebSocket("a WebSocket handshake is a GET request"));
            }
            if parts.version != http::Version::HTTP_11 {
                return Err(NotWebSocket("WebSockets need HTTP/1.1 or HTTP/2"));
            }
            if !has_token(&parts.headers, UPGRADE, "websocket")
                || !has_token(&parts.headers, CONNECTION, "upgrade")
            {
                return Err(NotWebSocket(
                    "this route speaks WebSocket: send `Upgrade: websocket` and `Connection: upgrade`",
                ));
            }
            let Some(key) = parts.headers.get(SEC_WEBSOCKET_KEY).cloned() else {
                return Err(NotWebSocket("Sec-WebSocket-Key is missing"));
            };
            Some(key)
        };
        if parts
            .headers
            .get(SEC_WEBSOCKET_VERSION)
            .map(|v| v.as_bytes())
            != Some(b"13")
        {
            return Err(NotWebSocket("Sec-WebSocket-Version must be 13"));
        }
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(NotWebSocket(
                "this connection cannot be upgraded (it is already upgraded)",
            ));
        };
        let offered = parts
            .headers
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|s| s.split(','))
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let config = Config {
            stop: parts.extensions.remove::<cello_net::Shutdown>(),
            ..Config::default()
        };
        Ok(WebSocketUpgrade {
            key,
            offered,
            on_upgrade,
            config,
        })
    }

    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order.
    pub fn protocols(&self) -> &[String] {
        &self.offered
    }

    /// The largest message accepted (default 16 MiB); a larger one closes with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// A ping every `interval`; no answer within `timeout` closes with 1011 (both
    /// default to 20 s, as uvicorn). `None` turns pings off.
    pub fn ping(mut self, every: Option<(std::time::Duration, std::time::Duration)>) -> Self {
        self.config.ping = every;
        self
    }

    /// Accepts the handshake: the response to return from the handler (101; 200 over
    /// HTTP/2, without `Sec-WebSocket-Accept`), with `subprotocol` chosen and `headers`
    /// added, and the [`WebSocket`] it opens once the response is out. Must be polled
    /// on the connection's worker thread.
    pub fn accept(
        self,
        subprotocol: Option<&str>,
        headers: HeaderMap,
    ) -> Result<(Response, impl Future<Output = Option<WebSocket>>), http::header::InvalidHeaderValue>
    {
        let mut res = Response::new(Body::empty());
        let upgrade_status = self.key.is_some();
        let h = res.headers_mut();
        h.extend(headers);
        if let Some(key) = &self.key {
            h.insert(UPGRADE, HeaderValue::from_static("websocket"));
            h.insert(CONNECTION, HeaderValue::from_static("upgrade"));
            let accept =
                tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            h.insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&accept)?);
        }
        if let Some(p) = subprotocol {
            h.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_str(p)?);
        }
        if upgrade_status {
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        }
        let (on_upgrade, config) = (self.on_upgrade, self.config);
        let opened = async move {
            match on_upgrade.await {
                Ok(upgraded) => Some(WebSocket::open(upgraded, config).await),
                Err(e) => {
                    tracing::debug!(error = %e, "WebSocket upgrade failed");
                    None
                }
            }
        };
        Ok((res, opened))
    }

    /// Accepts the handshake and runs `callback` with the socket once the 101 (200) is out,
    /// as a task of this worker. Choose a subprotocol with
    /// [`on_upgrade_with`](Self::on_upgrade_with).
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.on_upgrade_with(None, callback)
    }

    /// [`on_upgrade`](Self::on_upgrade), answering with `subprotocol`.
    pub fn on_upgrade_with<F, Fut>(self, subprotocol: Option<&str>, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        match self.accept(subprotocol, HeaderMap::new()) {
            Ok((res, opened)) => {
                tokio::task::spawn_local(async move {
                    if let Some(socket) = opened.await {
                        callback(socket).await;
                    }
                });
                res
            }
            Err(_) => detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the WebSocket subprotocol is not a valid header value",
            ),
        }
    }
}

impl<S> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = NotWebSocket;
    fn from_request_parts(
        parts: &mut Parts,
        _: &RequestContext<S>,
    ) -> Result<Self, Self::Rejection> {
        WebSocketUpgrade::from_parts(parts)
    }
}
