//! What the engine does to a request before the app's middleware, only when asked:
//! `limit_concurrency` (uvicorn's `--limit-concurrency`: past that many requests in
//! flight in this worker, a new one is answered 503 at once, never reaching Python) and
//! `root_path` (the prefix a proxy mounts the app under: a path that starts with it is
//! routed without it, as Starlette does, and `req.root_path` names it), and
//! `max_requests` (the worker's request budget, `crate::recycle`). An engine with none
//! of them serves the app's service itself, so a request pays nothing.

use cello_http::{Body, Request, Response};
use http::{header, HeaderValue, StatusCode};
use pin_project_lite::pin_project;
use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// The root path a request was served under, in its extensions for `req.root_path`.
#[derive(Clone, Debug)]
pub struct RootPath(pub Arc<str>);

/// The settings, shared by every connection of a worker.
#[derive(Clone)]
pub struct Front {
    /// Requests in flight now, and the most allowed.
    limit: Option<(Rc<Cell<usize>>, usize)>,
    root: Option<RootPath>,
    recycle: Option<crate::recycle::Recycle>,
}

impl Front {
    /// None when there is nothing to do (no limit, no root path, no request budget).
    pub(crate) fn new(
        limit_concurrency: Option<usize>,
        root_path: Option<String>,
        recycle: Option<crate::recycle::Recycle>,
    ) -> Option<Self> {
        let root = root_path
            .map(|p| p.trim_end_matches('/').to_owned())
            .filter(|p| !p.is_empty())
            .map(|p| RootPath(p.into()));
        if limit_concurrency.is_none() && root.is_none() && recycle.is_none() {
            return None;
        }
        Some(Front {
            limit: limit_concurrency.map(|n| (Rc::new(Cell::new(0)), n)),
            root,
            recycle,
        })
    }

    /// `inner` (one connection's service) behind these settings.
    pub fn wrap<S>(&self, inner: S) -> FrontService<S> {
        FrontService {
            inner,
            front: self.clone(),
        }
    }
}

/// A connection's service behind [`Front`].
#[derive(Clone)]
pub struct FrontService<S> {
    inner: S,
    front: Front,
}

/// One request in flight; dropping it (response made, or the client left) frees it.
pub struct InFlight(Rc<Cell<usize>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl<S> Service<Request> for FrontService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrontFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let in_flight = match &self.front.limit {
            Some((count, max)) if count.get() >= *max => return FrontFuture::Busy,
            Some((count, _)) => {
                count.set(count.get() + 1);
                Some(InFlight(count.clone()))
            }
            None => None,
        };
        if let Some(recycle) = &self.front.recycle {
            recycle.count();
        }
        if let Some(root) = &self.front.root {
            strip_root(&mut req, root);
        }
        FrontFuture::Inner {
            f: self.inner.call(req),
            in_flight,
        }
    }
}

/// `/api/items` under `/api` → `/api/items` routed as `/items` (`/api` alone as
/// `/`); a path outside the prefix is routed as it is (the proxy stripped it already).
fn strip_root(req: &mut Request, root: &RootPath) {
    let path = req.uri().path();
    let rest = match path.strip_prefix(&*root.0) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return,
    };
    let rest = if rest.is_empty() { "/" } else { rest };
    let target = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = target.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(root.clone());
        }
    }
}

/// 503, as uvicorn answers past `--limit-concurrency`; the connection is closed so the
/// client retries elsewhere.
fn busy() -> Response {
    let mut res = Response::new(Body::from("Service Unavailable"));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

pin_project! {
    /// The future of a [`FrontService`].
    #[project = FrontProj]
    pub enum FrontFuture<F> {
        /// Over the limit: answered without calling the app.
        Busy,
        /// The app's future, holding its place in the count until it is done.
        Inner { #[pin] f: F, in_flight: Option<InFlight> },
    }
}

impl<F> Future for FrontFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            FrontProj::Busy => Poll::Ready(Ok(busy())),
            FrontProj::Inner { f, in_flight } => {
                let out = std::task::ready!(f.poll(cx));
                drop(in_flight.take());
                Poll::Ready(out)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;
    use std::future::Pending;

    /// Answers with the target and root path it was given.
    #[derive(Clone)]
    struct Echo;

    impl Service<Request> for Echo {
        type Response = Response;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: Request) -> Self::Future {
            let root = req.extensions().get::<RootPath>().map(|r| r.0.to_string());
            let seen = format!("{} {}", req.uri(), root.unwrap_or_default());
            std::future::ready(Ok(Response::new(Body::from(seen))))
        }
    }

    /// Never answers: a request in flight.
    #[derive(Clone)]
    struct Hang;

    impl Service<Request> for Hang {
        type Response = Response;
        type Error = Infallible;
        type Future = Pending<Result<Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request) -> Self::Future {
            std::future::pending()
        }
    }

    fn get(uri: &str) -> Request {
        http::Request::builder()
            .uri(uri)
            .body(Body::default())
            .unwrap()
    }

    fn poll_now<F: Future>(f: F) -> Poll<F::Output> {
        let mut f = std::pin::pin!(f);
        f.as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
    }

    fn routed(root: &str, uri: &str) -> String {
        let front = Front::new(None, Some(root.to_owned()), None).unwrap();
        let Poll::Ready(Ok(res)) = poll_now(front.wrap(Echo).call(get(uri))) else {
            panic!("Echo answers at once");
        };
        let bytes = poll_now(http_body_util::BodyExt::collect(res.into_body()));
        let Poll::Ready(Ok(bytes)) = bytes else {
            panic!("a full body")
        };
        String::from_utf8(bytes.to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn a_path_under_the_root_path_is_routed_without_it_and_others_as_they_are() {
        assert_eq!(routed("/api", "/api/items?x=1"), "/items?x=1 /api");
        assert_eq!(routed("/api/", "/api"), "/ /api");
        assert_eq!(routed("/api", "/items"), "/items ");
        assert_eq!(routed("/api", "/apiary"), "/apiary ");
    }

    #[test]
    fn nothing_asked_is_no_front_at_all() {
        assert!(Front::new(None, None, None).is_none());
        assert!(Front::new(None, Some("/".to_owned()), None).is_none());
    }

    #[test]
    fn past_the_limit_a_request_is_503_until_one_in_flight_ends() {
        let front = Front::new(Some(1), None, None).unwrap();
        let mut svc = front.wrap(Hang);
        let first = svc.call(get("/"));
        let Poll::Ready(Ok(busy)) = poll_now(svc.call(get("/"))) else {
            panic!("answered at once")
        };
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::CONNECTION], "close");
        drop(first); // the client left: its place is free again
        assert!(poll_now(svc.call(get("/"))).is_pending());
    }
}
