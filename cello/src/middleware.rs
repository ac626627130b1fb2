//! [`Middleware`]: cello-middleware's layers as one list, configured at startup (by a
//! Rust app or from Python) and stacked around a service without boxing.
//!
//! [`App::layer`](crate::App::layer) takes any tower layer and boxes it, once per layer
//! per request; that is the price of an open set of layer types. The built-in layers
//! are a closed set, so [`Stack`] nests them in a type fixed in advance — [`DEPTH`]
//! levels of [`Level`], each one of the built-in layers or a pass-through — and a
//! request pays for an enum match per level instead of an allocation per layer. Each
//! kind may appear once (a second CORS or a second request id is a configuration
//! mistake), which is also what bounds the depth.
//!
//! ```
//! use cello::middleware::{Middleware, Stack};
//! use cello_middleware::{cors::CorsLayer, request_id::RequestIdLayer};
//!
//! let cors = CorsLayer::builder().allow_origins(["https://app.example"]).build().unwrap();
//! let stack = Stack::new(vec![Middleware::from(RequestIdLayer::new()), cors.into()]).unwrap();
//! assert_eq!(stack.len(), 2);
//!
//! // The same kind twice is refused, naming it.
//! let twice = Stack::new(vec![RequestIdLayer::new().into(), RequestIdLayer::new().into()]);
//! assert_eq!(twice.unwrap_err().to_string(), "request_id is listed twice");
//! ```

use cello_http::{Body, Request, Response};
use cello_middleware::access_log::{
    self, AccessLog, AccessLogLayer, AccessRecord, ChannelSink, Sink, StderrSink,
};
use cello_middleware::compression::{self, Compression, CompressionLayer};
use cello_middleware::cors::{self, Cors, CorsLayer};
use cello_middleware::forwarded::{TrustedProxies, TrustedProxiesLayer};
use cello_middleware::request_id::{self, RequestId, RequestIdLayer};
use cello_middleware::security_headers::{self, SecurityHeaders, SecurityHeadersLayer};
use cello_middleware::timeout::{self, Timeout, TimeoutLayer};
use cello_middleware::ConnectInfo;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// How many layers a [`Stack`] holds at most: one of each kind.
pub const DEPTH: usize = 7;

/// One configured built-in layer.
#[derive(Debug, Clone)]
pub enum Middleware {
    /// [`cello_middleware::cors`].
    Cors(CorsLayer),
    /// [`cello_middleware::compression`].
    Compression(CompressionLayer),
    /// [`cello_middleware::request_id`].
    RequestId(RequestIdLayer),
    /// [`cello_middleware::security_headers`].
    SecurityHeaders(SecurityHeadersLayer),
    /// [`cello_middleware::timeout`].
    Timeout(TimeoutLayer),
    /// [`cello_middleware::forwarded`].
    TrustedProxies(TrustedProxiesLayer),
    /// [`cello_middleware::access_log`].
    AccessLog(AccessLogLayer<LogSink>),
}

/// Where the access log's records go.
#[derive(Debug, Clone)]
pub enum LogSink {
    /// A line per request on stderr.
    Stderr(StderrSink),
    /// Batches, for a receiver that hands them on (Python's `logging`).
    Channel(ChannelSink),
}

impl Sink for LogSink {
    fn emit(&self, record: AccessRecord) {
        match self {
            LogSink::Stderr(s) => s.emit(record),
            LogSink::Channel(s) => s.emit(record),
        }
    }
}

impl Middleware {
    /// The kind's name, as errors and Python's `cello.middleware` spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            Middleware::Cors(_) => "cors",
            Middleware::Compression(_) => "compression",
            Middleware::RequestId(_) => "request_id",
            Middleware::SecurityHeaders(_) => "security_headers",
            Middleware::Timeout(_) => "timeout",
            Middleware::TrustedProxies(_) => "trusted_proxies",
            Middleware::AccessLog(_) => "access_log",
        }
    }
}

macro_rules! from_layer {
    ($($layer:ty => $variant:ident),*) => {$(
        impl From<$layer> for Middleware {
            fn from(layer: $layer) -> Self {
                Middleware::$variant(layer)
            }
        }
    )*};
}
from_layer!(CorsLayer => Cors, CompressionLayer => Compression, RequestIdLayer => RequestId,
    SecurityHeadersLayer => SecurityHeaders, TimeoutLayer => Timeout,
    TrustedProxiesLayer => TrustedProxies, AccessLogLayer<LogSink> => AccessLog);

/// Why a middleware list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackError {
    /// The same kind appears twice.
    Repeated(&'static str),
    /// More layers than [`DEPTH`].
    TooDeep(usize),
}

impl std::fmt::Display for StackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StackError::Repeated(kind) => write!(f, "{kind} is listed twice"),
            StackError::TooDeep(n) => write!(f, "{n} layers; at most {DEPTH} fit"),
        }
    }
}

impl std::error::Error for StackError {}

/// A checked middleware list, outermost first (it sees the request first and the
/// response last, as in Starlette).
#[derive(Debug, Clone, Default)]
pub struct Stack(Vec<Middleware>);

impl Stack {
    /// Checks `list`: each kind at most once.
    /// The access log reads request ids from the header the request id layer writes,
    /// when both are in the list.
    pub fn new(mut list: Vec<Middleware>) -> Result<Self, StackError> {
        for (i, m) in list.iter().enumerate() {
            if list[..i].iter().any(|o| o.kind() == m.kind()) {
                return Err(StackError::Repeated(m.kind()));
            }
        }
        if list.len() > DEPTH {
            // Unreachable while each kind has its level; a new kind needs a new level.
            return Err(StackError::TooDeep(list.len()));
        }
        let id_header = list.iter().find_map(|m| match m {
            Middleware::RequestId(l) => Some(l.name().clone()),
            _ => None,
        });
        if let Some(name) = id_header {
            for m in &mut list {
                if let Middleware::AccessLog(l) = m {
                    *l = l.clone().request_id_header(name.clone());
                }
            }
        }
        Ok(Stack(list))
    }

    /// How many layers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a layer reads the client's socket address
    /// ([`ConnectInfo`](cello_middleware::ConnectInfo)): only then is it put in each
    /// request's extensions (whose first insert allocates).
    pub fn needs_peer(&self) -> bool {
        self.0
            .iter()
            .any(|m| matches!(m, Middleware::TrustedProxies(_) | Middleware::AccessLog(_)))
    }

    /// `inner` inside the layers: `inner` itself when there are none. `peer` is the
    /// connection's client, for the layers that need it.
    pub fn wrap<S>(&self, inner: S, peer: Option<SocketAddr>) -> Stacked<S> {
        if self.0.is_empty() {
            return Stacked::Plain(inner);
        }
        let peer = peer.filter(|_| self.needs_peer()).map(ConnectInfo);
        // Level k from the inside holds the k-th layer from the end of the list.
        let at = |k: usize| self.0.len().checked_sub(k + 1).map(|i| &self.0[i]);
        let l1 = level(at(0), inner);
        if self.0.len() == 1 {
            return Stacked::L1(l1, peer);
        }
        let l2 = level(at(1), l1);
        if self.0.len() == 2 {
            return Stacked::L2(l2, peer);
        }
        let l3 = level(at(2), l2);
        if self.0.len() == 3 {
            return Stacked::L3(l3, peer);
        }
        let l4 = level(at(3), l3);
        if self.0.len() == 4 {
            return Stacked::L4(l4, peer);
        }
        let l5 = level(at(4), l4);
        if self.0.len() == 5 {
            return Stacked::L5(l5, peer);
        }
        let l6 = level(at(5), l5);
        if self.0.len() == 6 {
            return Stacked::L6(l6, peer);
        }
        Stacked::L7(level(at(6), l6), peer)
    }
}

type L2<S> = Level<Level<S>>;
type L3<S> = Level<L2<S>>;
type L4<S> = Level<L3<S>>;
type L5<S> = Level<L4<S>>;
type L6<S> = Level<L5<S>>;
type L7<S> = Level<L6<S>>;

/// A service inside its [`Stack`]: as it is when the stack is empty, else nested in
/// exactly as many [`Level`]s as there are layers (a fixed depth would make every
/// request move and allocate the unused levels' futures too). Each carries the
/// client's address when a layer needs it.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "cloned per connection: boxing the levels would allocate per connection"
)]
#[allow(missing_docs, reason = "Ln: n levels")]
pub enum Stacked<S> {
    /// No middleware: the service itself.
    Plain(S),
    L1(Level<S>, Option<ConnectInfo>),
    L2(L2<S>, Option<ConnectInfo>),
    L3(L3<S>, Option<ConnectInfo>),
    L4(L4<S>, Option<ConnectInfo>),
    L5(L5<S>, Option<ConnectInfo>),
    L6(L6<S>, Option<ConnectInfo>),
    L7(L7<S>, Option<ConnectInfo>),
}

fn level<S>(m: Option<&Middleware>, inner: S) -> Level<S> {
    match m {
        None => Level::Pass(inner),
        Some(Middleware::Cors(l)) => Level::Cors(l.layer(inner)),
        Some(Middleware::Compression(l)) => Level::Compression(l.layer(inner)),
        Some(Middleware::RequestId(l)) => Level::RequestId(l.layer(inner)),
        Some(Middleware::SecurityHeaders(l)) => Level::SecurityHeaders(l.layer(inner)),
        Some(Middleware::Timeout(l)) => Level::Timeout(l.layer(inner)),
        Some(Middleware::TrustedProxies(l)) => Level::TrustedProxies(l.layer(inner)),
        Some(Middleware::AccessLog(l)) => Level::AccessLog(l.layer(inner)),
    }
}

/// One level of a [`Stack`]: a built-in layer around `S`, or `S` itself.
#[derive(Clone, Debug)]
pub enum Level<S> {
    /// No layer at this level.
    Pass(S),
    /// CORS.
    Cors(Cors<S>),
    /// Compression; its body is boxed into [`Body`].
    Compression(Compression<S>),
    /// Request id.
    RequestId(RequestId<S>),
    /// Security headers.
    SecurityHeaders(SecurityHeaders<S>),
    /// Timeout.
    Timeout(Timeout<S>),
    /// Trusted proxies.
    TrustedProxies(TrustedProxies<S>),
    /// Access log; its body is boxed into [`Body`].
    AccessLog(AccessLog<S, LogSink>),
}

impl<S> Service<Request> for Level<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LevelFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self {
            Level::Pass(s) => s.poll_ready(cx),
            Level::Cors(s) => s.poll_ready(cx),
            Level::Compression(s) => s.poll_ready(cx),
            Level::RequestId(s) => s.poll_ready(cx),
            Level::SecurityHeaders(s) => s.poll_ready(cx),
            Level::Timeout(s) => s.poll_ready(cx),
            Level::TrustedProxies(s) => s.poll_ready(cx),
            Level::AccessLog(s) => s.poll_ready(cx),
        }
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self {
            Level::Pass(s) => LevelFuture::Pass { f: s.call(req) },
            Level::Cors(s) => LevelFuture::Cors { f: s.call(req) },
            Level::Compression(s) => LevelFuture::Compression { f: s.call(req) },
            Level::RequestId(s) => LevelFuture::RequestId { f: s.call(req) },
            Level::SecurityHeaders(s) => LevelFuture::SecurityHeaders { f: s.call(req) },
            Level::Timeout(s) => LevelFuture::Timeout { f: s.call(req) },
            Level::TrustedProxies(s) => LevelFuture::Pass { f: s.call(req) },
            Level::AccessLog(s) => LevelFuture::AccessLog { f: s.call(req) },
        }
    }
}

pin_project! {
    /// The future of a [`Level`]: the variant's layer future (`f`) around the inner one.
    #[project = LevelProj]
    #[allow(missing_docs)]
    pub enum LevelFuture<F> {
        /// No layer.
        Pass { #[pin] f: F },
        /// CORS.
        Cors { #[pin] f: cors::ResponseFuture<F> },
        /// Compression.
        Compression { #[pin] f: compression::ResponseFuture<F> },
        /// Request id.
        RequestId { #[pin] f: request_id::ResponseFuture<F> },
        /// Security headers.
        SecurityHeaders { #[pin] f: security_headers::ResponseFuture<F> },
        /// Timeout.
        Timeout { #[pin] f: timeout::ResponseFuture<F> },
        /// Access log.
        AccessLog { #[pin] f: access_log::ResponseFuture<F, LogSink> },
    }
}

impl<F> Future for LevelFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LevelProj::Pass { f } => f.poll(cx),
            LevelProj::Cors { f } => f.poll(cx),
            LevelProj::Compression { f } => f.poll(cx).map_ok(|res| res.map(Body::new)),
            LevelProj::RequestId { f } => f.poll(cx),
            LevelProj::SecurityHeaders { f } => f.poll(cx),
            LevelProj::Timeout { f } => f.poll(cx),
            LevelProj::AccessLog { f } => f.poll(cx).map_ok(|res| res.map(Body::new)),
        }
    }
}

impl<S> Service<Request> for Stacked<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = StackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self {
            Stacked::Plain(s) => s.poll_ready(cx),
            Stacked::L1(s, _) => s.poll_ready(cx),
            Stacked::L2(s, _) => s.poll_ready(cx),
            Stacked::L3(s, _) => s.poll_ready(cx),
            Stacked::L4(s, _) => s.poll_ready(cx),
            Stacked::L5(s, _) => s.poll_ready(cx),
            Stacked::L6(s, _) => s.poll_ready(cx),
            Stacked::L7(s, _) => s.poll_ready(cx),
        }
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let peer = match self {
            Stacked::Plain(s) => return StackedFuture::Plain { f: s.call(req) },
            Stacked::L1(_, p)
            | Stacked::L2(_, p)
            | Stacked::L3(_, p)
            | Stacked::L4(_, p)
            | Stacked::L5(_, p)
            | Stacked::L6(_, p)
            | Stacked::L7(_, p) => *p,
        };
        if let Some(peer) = peer {
            req.extensions_mut().insert(peer);
        }
        // One box for the whole stack, sized for the levels there are.
        let f: Pin<Box<dyn Future<Output = Result<Response, Infallible>>>> = match self {
            Stacked::Plain(_) => unreachable!("answered above"),
            Stacked::L1(s, _) => Box::pin(s.call(req)),
            Stacked::L2(s, _) => Box::pin(s.call(req)),
            Stacked::L3(s, _) => Box::pin(s.call(req)),
            Stacked::L4(s, _) => Box::pin(s.call(req)),
            Stacked::L5(s, _) => Box::pin(s.call(req)),
            Stacked::L6(s, _) => Box::pin(s.call(req)),
            Stacked::L7(s, _) => Box::pin(s.call(req)),
        };
        StackedFuture::Layered { f }
    }
}

pin_project! {
    /// The future of a [`Stacked`] service (`f`: the service's or the levels' future).
    #[project = StackedProj]
    #[allow(missing_docs)]
    pub enum StackedFuture<F> {
        /// No middleware.
        Plain { #[pin] f: F },
        /// Inside the levels: boxed once (not once per layer), so that the future of
        /// a service with no middleware stays small.
        Layered { f: Pin<Box<dyn Future<Output = Result<Response, Infallible>>>> },
    }
}

impl<F> Future for StackedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            StackedProj::Plain { f } => f.poll(cx),
            StackedProj::Layered { f } => f.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;

    #[test]
    fn one_of_each_kind_fits_in_the_levels() {
        let all: Vec<Middleware> = vec![
            CorsLayer::builder()
                .allow_any_origin()
                .build()
                .unwrap()
                .into(),
            CompressionLayer::new().into(),
            RequestIdLayer::new().into(),
            SecurityHeadersLayer::builder().build().unwrap().into(),
            TimeoutLayer::new(std::time::Duration::from_secs(1)).into(),
            TrustedProxiesLayer::new(["127.0.0.1"]).unwrap().into(),
            AccessLogLayer::new(LogSink::Stderr(StderrSink)).into(),
        ];
        assert_eq!(all.len(), DEPTH);
        assert_eq!(Stack::new(all).unwrap().len(), DEPTH);
    }

    /// A CORS preflight is answered by the CORS layer: the request id layer sees it
    /// only when it is outside (listed first).
    async fn preflight_has_request_id(list: Vec<Middleware>) -> bool {
        use tower::ServiceExt;
        let handler = tower::service_fn(|_req: Request| async {
            Ok::<_, Infallible>(Response::new(Body::from("handler")))
        });
        let svc = Stack::new(list).unwrap().wrap(handler, None);
        let req = http::Request::builder()
            .method("OPTIONS")
            .uri("/")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .body(Body::default())
            .unwrap();
        let res = svc.oneshot(req).await.unwrap();
        assert_eq!(res.status(), http::StatusCode::NO_CONTENT);
        res.headers().contains_key("x-request-id")
    }

    #[tokio::test]
    async fn the_first_middleware_listed_is_the_outermost() {
        let cors = || -> Middleware {
            CorsLayer::builder()
                .allow_origins(["https://app.example"])
                .build()
                .unwrap()
                .into()
        };
        let rid = || -> Middleware { RequestIdLayer::new().into() };
        assert!(preflight_has_request_id(vec![rid(), cors()]).await);
        assert!(!preflight_has_request_id(vec![cors(), rid()]).await);
        // Deeper stacks keep the order too.
        let timeout =
            || -> Middleware { TimeoutLayer::new(std::time::Duration::from_secs(5)).into() };
        assert!(preflight_has_request_id(vec![timeout(), rid(), security_headers(), cors()]).await);
        assert!(!preflight_has_request_id(vec![timeout(), cors(), rid()]).await);
    }

    fn security_headers() -> Middleware {
        SecurityHeadersLayer::builder().build().unwrap().into()
    }
}
