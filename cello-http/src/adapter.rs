//! The bridge from hyper's service to a tower service over Cello's types: request
//! limits that need no handler, panics and unsendable statuses turned into 500s, the
//! `Server` header.

use crate::body::Body;
use crate::body_timeout::BodyTimeouts;
use crate::config::HttpConfig;
use crate::framing::Verdicts;
use crate::response::{close, plain};
use crate::{Request, Response};
use futures_util::future::Either;
use http::header::{CONNECTION, SERVER};
use http::{HeaderValue, StatusCode};
use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use tower_service::Service;

/// The TLS handshake's outcome, put in each request of a TLS connection (feature `tls`).
#[cfg(feature = "tls")]
pub(crate) type ConnTls = Option<std::sync::Arc<cello_net::tls::TlsInfo>>;
/// Without the `tls` feature there is nothing to put in requests.
#[cfg(not(feature = "tls"))]
pub(crate) type ConnTls = ();

/// Out of line: inserting it in place cost plain requests an extra copy of the head
/// (measured with callgrind).
#[cfg(feature = "tls")]
#[inline(never)]
fn add_tls_info(extensions: &mut http::Extensions, state: &ConnState) {
    if let Some(info) = &state.tls {
        extensions.insert(info.clone());
    }
}

/// What the request-level checks and the idle timer share with one connection.
pub(crate) struct ConnState {
    /// On a TLS connection, what each request carries as an `Arc<TlsInfo>` extension.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) tls: ConnTls,
    pub(crate) in_flight: Cell<usize>,
    pub(crate) max_body_bytes: u64,
    /// `HttpConfig::max_multipart_body_bytes`, or `max_body_bytes` when unset.
    pub(crate) max_multipart_body_bytes: u64,
    /// `HttpConfig::early_body_limit`.
    pub(crate) early_body_limit: bool,
    /// `HttpConfig::http1`: off, HTTP/1 requests are refused (an HTTP/2-only server).
    pub(crate) http1: bool,
    pub(crate) body_timeouts: BodyTimeouts,
    /// The accept loop's view of this connection: idle marks, the stop signal.
    pub(crate) net: cello_net::Connection,
    /// Shutting down: HTTP/1 responses from now on carry `Connection: close`.
    pub(crate) closing: Cell<bool>,
    /// Since when a write has been waiting for the client to read (no progress).
    pub(crate) write_blocked_since: Cell<Option<std::time::Instant>>,
    pub(crate) server: HeaderValue,
    /// The framing tracker's refusal, matched to requests as hyper hands them over.
    pub(crate) verdicts: Verdicts,
    /// I/O operations that moved bytes (the idle timer compares it tick to tick).
    pub(crate) activity: Cell<u64>,
    /// When the head of the next request started to arrive (cleared once it is parsed).
    pub(crate) head_since: Cell<Option<std::time::Instant>>,
    /// A service answered an upgrade request with 101: the connection is its now.
    pub(crate) upgraded: Cell<bool>,
    /// Notified when the io of an upgraded connection is dropped.
    pub(crate) upgraded_io_gone: tokio::sync::Notify,
}

impl ConnState {
    pub(crate) fn new(config: &HttpConfig, net: cello_net::Connection, tls: ConnTls) -> Self {
        ConnState {
            tls,
            in_flight: Cell::new(0),
            max_body_bytes: config.max_body_bytes,
            max_multipart_body_bytes: config
                .max_multipart_body_bytes
                .unwrap_or(config.max_body_bytes),
            early_body_limit: config.early_body_limit,
            http1: config.http1,
            body_timeouts: BodyTimeouts {
                between_reads: config.body_read_timeout,
                whole_request: config.request_read_timeout,
                min_rate: config.min_body_rate,
            },
            net,
            closing: Cell::new(false),
            write_blocked_since: Cell::new(None),
            server: config.server_header.clone(),
            verdicts: Verdicts::default(),
            activity: Cell::new(0),
            head_since: Cell::new(None),
            upgraded: Cell::new(false),
            upgraded_io_gone: tokio::sync::Notify::new(),
        }
    }
}

/// hyper's per-connection service.
pub(crate) struct Adapter<S> {
    pub(crate) inner: RefCell<S>,
    pub(crate) state: Rc<ConnState>,
}

struct InFlight(Rc<ConnState>);
impl Drop for InFlight {
    fn drop(&mut self) {
        let state = &self.0;
        let left = state.in_flight.get().saturating_sub(1);
        state.in_flight.set(left);
        if left == 0 && state.head_since.get().is_none() {
            state.net.set_idle();
        }
    }
}

impl<S> hyper::service::Service<http::Request<hyper::body::Incoming>> for Adapter<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    type Response = Response;
    type Error = Infallible;
    // A future of its own type rather than a boxed `async` block: hyper keeps it in
    // the connection's one slot, so a request allocates nothing here and its answer is
    // not moved between the block's locals (measured with callgrind).
    type Future = Answer<S::Future>;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let state = &self.state;
        state.head_since.set(None);
        state.in_flight.set(state.in_flight.get() + 1);
        state.net.set_busy();
        let guard = InFlight(state.clone());
        let (mut parts, incoming) = req.into_parts();
        let (limit, setting) = body_limit(&parts, &incoming, state);

        if let Some(early) = reject_early(&parts, &incoming, state, limit, setting) {
            return Answer {
                call: Call::Early { res: Some(early) },
                guard,
                upgradable: false,
                h1: false,
                oversized: false,
            };
        }

        let h1 = parts.version < http::Version::HTTP_2;
        // hyper gives an HTTP/1.1 request with `Upgrade` (or a CONNECT) a way to take
        // the connection over; only such a request may be answered with 101.
        let upgradable = !parts.extensions.is_empty()
            && parts
                .extensions
                .get::<hyper::upgrade::OnUpgrade>()
                .is_some();
        if upgradable {
            // What takes the connection over (a WebSocket) hears the server stop
            // through this and closes (1001) instead of being cut off.
            parts.extensions.insert(state.net.shutdown().clone());
        }
        #[cfg(feature = "tls")]
        if state.tls.is_some() {
            add_tls_info(&mut parts.extensions, state);
        }
        // Without the early 413, a declared body over the limit fails at its first read
        // and is never read from the connection, which therefore closes.
        let oversized = !state.early_body_limit && declared_over_limit(&incoming, limit);
        let body = if oversized {
            drop(incoming);
            Body::failed(crate::error::Error::body_too_large_for(limit, setting))
        } else {
            Body::incoming(incoming, limit, state.body_timeouts)
        };
        let req = Request::from_parts(parts, body);
        // Called now, not when first polled: the connection's own service is called in
        // place rather than cloned per request.
        let call = match std::panic::catch_unwind(AssertUnwindSafe(|| start(&self.inner, req))) {
            Ok(fut) => Call::Running { fut },
            Err(panic) => Call::Panicked {
                payload: Some(panic),
            },
        };
        Answer {
            call,
            guard,
            upgradable,
            h1,
            oversized,
        }
    }
}

pin_project_lite::pin_project! {
    /// The adapter's future: the service's answer (or an early one, or a 500 for a
    /// panic), with the `Server` header and, on HTTP/1 when the connection is closing,
    /// `Connection: close`. Counts as in flight until dropped.
    pub struct Answer<F> {
        #[pin]
        call: Call<F>,
        guard: InFlight,
        upgradable: bool,
        h1: bool,
        // The declared body was over the limit and is not read: the connection closes.
        oversized: bool,
    }
}

pin_project_lite::pin_project! {
    #[project = CallProj]
    enum Call<F> {
        Early { res: Option<Response> },
        Running { #[pin] fut: Either<F, ReadyThenCall> },
        Panicked { payload: Option<Box<dyn std::any::Any + Send>> },
    }
}

impl<F> Future for Answer<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let state = &this.guard.0;
        let mut res = match this.call.project() {
            CallProj::Early { res } => {
                let Some(mut res) = res.take() else {
                    return Poll::Pending; // polled after it answered
                };
                res.headers_mut().insert(SERVER, state.server.clone());
                return Poll::Ready(Ok(res));
            }
            CallProj::Running { fut } => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Ok(res))) => res,
                    Ok(Poll::Ready(Err(never))) => match never {},
                    Err(panic) => panicked(panic),
                }
            }
            CallProj::Panicked { payload } => match payload.take() {
                Some(panic) => panicked(panic),
                None => return Poll::Pending, // polled after it answered
            },
        };
        if *this.upgradable && res.status() == StatusCode::SWITCHING_PROTOCOLS {
            state.upgraded.set(true);
        } else {
            crate::status::conform(&mut res);
        }
        res.headers_mut().insert(SERVER, state.server.clone());
        // Checked now, not at the call: the server may have started closing meanwhile.
        if *this.h1 && (state.closing.get() || *this.oversized) {
            res.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        Poll::Ready(Ok(res))
    }
}

/// A handler's panic, logged, as the 500 the client gets.
#[cold]
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    tracing::error!(panic = %what, "handler panicked; answered 500");
    plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// The service's answer to `req`: called at once when the service is ready (Cello's
/// always are), else once it is (that rare path boxes, to keep the common one small).
fn start<S>(svc: &RefCell<S>, req: Request) -> Either<S::Future, ReadyThenCall>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
{
    let mut cx = Context::from_waker(Waker::noop());
    // Borrowed only for these two synchronous calls; no one else holds it across an
    // await, and a service does not call its own connection's adapter.
    let Ok(mut ready) = svc.try_borrow_mut() else {
        tracing::error!("connection service called while in use; answered 500");
        let res = plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        return Either::Right(Box::pin(std::future::ready(Ok(res))));
    };
    match ready.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => Either::Left(ready.call(req)),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => {
            // The service that was asked now waits (a layer such as a concurrency limit
            // queued it for a permit, and only it will be woken); a fresh clone takes
            // its place for the next request.
            let fresh = ready.clone();
            let asked = std::mem::replace(&mut *ready, fresh);
            drop(ready);
            later(asked, req)
        }
    }
}

/// A service that is not ready now: a clone of it waits until it is.
fn later<S>(mut svc: S, req: Request) -> Either<S::Future, ReadyThenCall>
where
    S: Service<Request, Response = Response, Error = Infallible> + 'static,
{
    Either::Right(Box::pin(async move {
        std::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
        svc.call(req).await
    }))
}

type ReadyThenCall = Pin<Box<dyn Future<Output = Result<Response, Infallible>>>>;

/// Answers that need no handler: framing the server will not guess about (see
/// framing/), a missing, repeated or invalid Host (host.rs), and a declared body over
/// the limit.
fn reject_early(
    parts: &http::request::Parts,
    incoming: &hyper::body::Incoming,
    state: &ConnState,
    max_body: u64,
    setting: &'static str,
) -> Option<Response> {
    // First: it counts every request, to match the tracker's verdict to its request.
    if let Some(reject) = state.verdicts.next_request() {
        return Some(reject.response());
    }
    if !state.http1 && parts.version < http::Version::HTTP_2 {
        return Some(close(plain(
            StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            "this server speaks HTTP/2 only; connect with HTTP/2 (or start it with http=auto)",
        )));
    }
    if let Err(e) = crate::host::check(parts.version, &parts.uri, &parts.headers) {
        return Some(close(plain(StatusCode::BAD_REQUEST, e.to_string())));
    }
    if state.early_body_limit && declared_over_limit(incoming, max_body) {
        let msg = crate::error::Error::body_too_large_for(max_body, setting).to_string();
        return Some(close(plain(StatusCode::PAYLOAD_TOO_LARGE, msg)));
    }
    None
}

/// The body limit for this request and the setting that raises it:
/// `max_multipart_body_bytes` (`max_upload_size`) for a `multipart/form-data` body
/// when it differs, else `max_body_bytes`. Requests without a body (and servers
/// without an upload limit) skip the header lookup.
fn body_limit(
    parts: &http::request::Parts,
    incoming: &hyper::body::Incoming,
    state: &ConnState,
) -> (u64, &'static str) {
    use http_body::Body as _;
    let plain = (state.max_body_bytes, "max_body_size");
    if state.max_multipart_body_bytes == state.max_body_bytes || incoming.is_end_stream() {
        return plain;
    }
    let multipart = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| is_multipart_form(v.as_bytes()));
    if multipart {
        (state.max_multipart_body_bytes, "max_upload_size")
    } else {
        plain
    }
}

/// Whether a Content-Type is `multipart/form-data` (any case, any parameters).
pub fn is_multipart_form(content_type: &[u8]) -> bool {
    const MIME: &[u8] = b"multipart/form-data";
    content_type.len() >= MIME.len()
        && content_type[..MIME.len()].eq_ignore_ascii_case(MIME)
        && matches!(
            content_type.get(MIME.len()),
            None | Some(b';' | b' ' | b'\t')
        )
}

/// Whether the request declares a `Content-Length` over `max_body`: hyper has read
/// it already (HTTP/1 and HTTP/2), and gives it as the body's exact size.
fn declared_over_limit(incoming: &hyper::body::Incoming, max_body: u64) -> bool {
    use http_body::Body as _;
    incoming
        .size_hint()
        .exact()
        .is_some_and(|declared| declared > max_body)
}

#[cfg(test)]
mod multipart_tests {
    use super::is_multipart_form;

    #[test]
    fn multipart_form_is_recognized_in_any_case_with_or_without_parameters() {
        assert!(is_multipart_form(b"multipart/form-data; boundary=x"));
        assert!(is_multipart_form(b"Multipart/Form-Data"));
        assert!(!is_multipart_form(b"multipart/form-datax"));
        assert!(!is_multipart_form(b"multipart/mixed; boundary=x"));
        assert!(!is_multipart_form(b"application/json"));
    }
}
