//! [`App::mount`](crate::App::mount): a tower service (a `ServeDir`) under a path
//! prefix, given the rest of the path.

use crate::handler::{ErasedHandler, HandlerFuture};
use crate::RequestContext;
use cello_http::{Request, Response};
use std::convert::Infallible;
use std::future::poll_fn;
use tower_service::Service;

/// The catch-all parameter of a mount's route; the service never sees it.
pub(crate) const REST: &str = "cello_mount_rest";

/// A mounted service as a route's endpoint.
pub(crate) struct Mounted<T> {
    pub(crate) prefix: String,
    pub(crate) service: T,
}

impl<T, S> ErasedHandler<S> for Mounted<T>
where
    T: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    T::Future: 'static,
{
    fn call(&self, mut req: Request, _ctx: RequestContext<S>) -> HandlerFuture {
        strip_prefix(&mut req, &self.prefix);
        let mut service = self.service.clone();
        Box::pin(async move {
            if poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
                return Response::default();
            }
            match service.call(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        })
    }
}

/// `/static/a/b.txt?x` under `/static` → `/a/b.txt?x`; the path stays as the client
/// wrote it (still percent-encoded), for the service to decode.
fn strip_prefix(req: &mut Request, prefix: &str) {
    let uri = req.uri();
    let rest = uri.path().strip_prefix(prefix).unwrap_or("/");
    let rest = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    let with_query = match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest,
    };
    if let Ok(pq) = http::uri::PathAndQuery::try_from(with_query) {
        let mut parts = http::uri::Parts::default();
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}
