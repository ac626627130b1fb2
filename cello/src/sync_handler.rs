//! [`SyncHandler`]: an endpoint that answers at once from the whole request, with no
//! future of its own — what a handler written outside Rust's async world needs (Cello's
//! Python package serves `cello-native` handlers from other extension modules through
//! it).

use crate::handler::{ErasedHandler, HandlerFuture};
use crate::rejection::Rejection;
use crate::RequestContext;
use cello_http::{IntoResponse, Request, Response};
use cello_router::{ParamValue, Params};
use http_body::Body as _;
use std::sync::Arc;

/// A synchronous endpoint: reads a [`SyncRequest`], returns the response.
///
/// A request without a body is answered inside the route lookup, as a
/// [`Constant`](crate::Constant) is: no future is boxed. A request with a body is read
/// whole first (up to the body limit; 413 past it), then answered.
///
/// ```
/// use cello::{App, Response, SyncHandler, SyncRequest};
/// use tower::ServiceExt;
///
/// struct Hello;
/// impl SyncHandler for Hello {
///     fn respond(&self, req: &SyncRequest<'_>) -> Response {
///         let name = req.params().next().and_then(|(_, v)| v.as_str()).unwrap_or("?");
///         Response::new(cello::Body::full(format!("hello {name}")))
///     }
/// }
///
/// let mut app = App::new();
/// app.sync_route(http::Method::GET, "/hello/{name}", Hello)?;
/// let service = app.into_service()?.service();
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let res = runtime.block_on(async {
///     let req = http::Request::get("/hello/ada").body(cello::Body::empty())?;
///     Ok::<_, Box<dyn std::error::Error>>(service.oneshot(req).await?)
/// })?;
/// assert_eq!(res.status(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SyncHandler: Send + Sync + 'static {
    /// Answers `req`.
    fn respond(&self, req: &SyncRequest<'_>) -> Response;
}

/// The request a [`SyncHandler`] answers: its head, path parameters and whole body,
/// borrowed for the call.
#[derive(Debug, Clone, Copy)]
pub struct SyncRequest<'a> {
    method: &'a http::Method,
    uri: &'a http::Uri,
    headers: &'a http::HeaderMap,
    names: &'a [Box<str>],
    values: &'a [ParamValue<'a>],
    body: &'a [u8],
}

impl<'a> SyncRequest<'a> {
    /// The method.
    pub fn method(&self) -> &'a http::Method {
        self.method
    }

    /// The URI (path and query as sent).
    pub fn uri(&self) -> &'a http::Uri {
        self.uri
    }

    /// The headers.
    pub fn headers(&self) -> &'a http::HeaderMap {
        self.headers
    }

    /// The path parameters, `(name, value)` in pattern order, converted to their
    /// declared types.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a ParamValue<'a>)> + 'a {
        self.names.iter().map(|n| &**n).zip(self.values)
    }

    /// The whole body (empty when the request has none).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// A [`SyncHandler`] in the route table, with its pattern's parameter names.
pub(crate) struct SyncEndpoint<H> {
    inner: Arc<Inner<H>>,
}

struct Inner<H> {
    handler: H,
    names: Box<[Box<str>]>,
}

impl<H: SyncHandler> SyncEndpoint<H> {
    pub(crate) fn new(handler: H, names: Box<[Box<str>]>) -> Self {
        SyncEndpoint {
            inner: Arc::new(Inner { handler, names }),
        }
    }
}

impl<H: SyncHandler> Inner<H> {
    fn respond(
        &self,
        head: &http::request::Parts,
        values: &[ParamValue<'_>],
        body: &[u8],
    ) -> Response {
        self.handler.respond(&SyncRequest {
            method: &head.method,
            uri: &head.uri,
            headers: &head.headers,
            names: &self.names,
            values,
            body,
        })
    }
}

impl<H: SyncHandler, S: 'static> ErasedHandler<S> for SyncEndpoint<H> {
    fn call(&self, req: Request, ctx: RequestContext<S>) -> HandlerFuture {
        let inner = self.inner.clone();
        Box::pin(async move {
            let (head, body) = req.into_parts();
            match body.to_bytes().await {
                Ok(body) => inner.respond(&head, ctx.params(), &body),
                Err(e) => Rejection::from(e).into_response(),
            }
        })
    }

    fn ready(&self, req: &Request, params: &Params<'_>) -> Option<Response> {
        if !req.body().is_end_stream() {
            return None;
        }
        let inner = &self.inner;
        Some(inner.handler.respond(&SyncRequest {
            method: req.method(),
            uri: req.uri(),
            headers: req.headers(),
            names: &inner.names,
            values: params.values(),
            body: &[],
        }))
    }
}
