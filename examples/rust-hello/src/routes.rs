//! The glue between the router and the server: which route runs which handler, as a
//! tower service.
//!
//! The hot path is kept lean on purpose, because this app is the Rust reference in
//! benchmarks:
//!
//! - The table is a frozen [`Router`] whose values are a small enum, [`Route`], not
//!   boxed closures: a lookup yields a `&Route` and one `match` picks the handler.
//! - The router is built once and leaked (it lives as long as the process anyway), so
//!   [`App`] is a `Copy` reference. cello-http clones the service for every request;
//!   here that clone is a pointer copy, not a reference-count update.
//! - The response future, [`RouteFuture`], is an enum too: a response computed in
//!   `call` is handed back ready, and only `/async-sleep` allocates a timer.
//!
//! Lookup failures become JSON answers with the router's status: 404, 405 with the
//! `Allow` header computed when the table was frozen, 422 naming the bad parameter.

use crate::handlers;
use cello_http::{Request, Response};
use cello_router::{ParamValue, Router, RouterBuilder};
use http::Method;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tower_service::Service;

/// What a route does; the value stored in the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `Hello, World!` as text.
    Plaintext,
    /// `{"message":"Hello, World!"}`.
    Json,
    /// `{"id":<id>}` from the `{id:int}` path parameter.
    User,
    /// `{"ok":true}` after sleeping 1 ms.
    Sleep,
}

/// Every route of the app: `(method, pattern, route)`.
pub const ROUTES: &[(Method, &str, Route)] = &[
    (Method::GET, "/plaintext", Route::Plaintext),
    (Method::GET, "/json", Route::Json),
    (Method::GET, "/async-json", Route::Json),
    (Method::GET, "/users/{id:int}", Route::User),
    (Method::GET, "/user/{id:int}", Route::User),
    (Method::GET, "/async-sleep", Route::Sleep),
];

/// How long `/async-sleep` sleeps.
pub const SLEEP: Duration = Duration::from_millis(1);

/// Builds and freezes the route table from [`ROUTES`].
pub fn router() -> Result<Router<Route>, cello_router::RouteError> {
    let mut builder = RouterBuilder::new();
    for (method, pattern, route) in ROUTES {
        builder.insert(method.clone(), pattern, *route)?;
    }
    Ok(builder.freeze())
}

/// The app as a tower service over cello-http's types.
#[derive(Debug, Clone, Copy)]
pub struct App {
    router: &'static Router<Route>,
}

impl App {
    /// The app, with its route table built once for the whole process.
    ///
    /// # Panics
    /// If [`ROUTES`] does not form a valid table: a programming error in this file,
    /// caught by the tests, not something a request can cause.
    pub fn new() -> Self {
        let router = match router() {
            Ok(router) => router,
            Err(e) => panic!("the example's route table is invalid: {e}"),
        };
        App {
            router: Box::leak(Box::new(router)),
        }
    }

    /// Routes one request to its answer.
    fn respond(&self, req: &Request) -> RouteFuture {
        let found = match self.router.lookup(req.method(), req.uri().path()) {
            Ok(found) => found,
            Err(e) => return RouteFuture::ready(handlers::lookup_error(&e)),
        };
        match found.value {
            Route::Plaintext => RouteFuture::ready(handlers::plaintext()),
            Route::Json => RouteFuture::ready(handlers::json_message()),
            Route::User => match found.params.get("id") {
                Some(ParamValue::Int(id)) => RouteFuture::ready(handlers::user(*id)),
                // The pattern declares `{id:int}`, so the router hands over an int.
                _ => RouteFuture::ready(handlers::internal_error()),
            },
            Route::Sleep => RouteFuture::Sleep(Box::pin(tokio::time::sleep(SLEEP))),
        }
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    #[inline]
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn call(&mut self, req: Request) -> RouteFuture {
        self.respond(&req)
    }
}

/// The future [`App`] returns: a response already made, or the timer of
/// `/async-sleep`.
#[derive(Debug)]
pub enum RouteFuture {
    /// The response, taken on the first poll.
    Ready(Option<Response>),
    /// `/async-sleep`: answers when the timer fires.
    Sleep(Pin<Box<tokio::time::Sleep>>),
}

impl RouteFuture {
    fn ready(res: Response) -> Self {
        RouteFuture::Ready(Some(res))
    }
}

impl Future for RouteFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both variants are `Unpin` (the timer is boxed).
        match self.get_mut() {
            RouteFuture::Ready(res) => {
                Poll::Ready(Ok(res.take().unwrap_or_else(handlers::internal_error)))
            }
            RouteFuture::Sleep(sleep) => {
                std::task::ready!(sleep.as_mut().poll(cx));
                Poll::Ready(Ok(handlers::ok_true()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cello_http::body::Body;
    use http::StatusCode;

    fn call(method: Method, path: &str) -> RouteFuture {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap_or_default();
        App::new().call(req)
    }

    fn status(fut: RouteFuture) -> StatusCode {
        match fut {
            RouteFuture::Ready(Some(res)) => res.status(),
            other => panic!("expected a ready response, got {other:?}"),
        }
    }

    #[test]
    fn the_route_table_is_valid() {
        let router = router().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(router.routes().count(), ROUTES.len());
    }

    #[test]
    fn routes_known_paths_and_rejects_the_rest() {
        assert_eq!(status(call(Method::GET, "/plaintext")), StatusCode::OK);
        assert_eq!(status(call(Method::GET, "/users/7")), StatusCode::OK);
        assert_eq!(status(call(Method::GET, "/nope")), StatusCode::NOT_FOUND);
        assert_eq!(
            status(call(Method::POST, "/json")),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            status(call(Method::GET, "/users/abc")),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn only_the_sleep_route_waits_and_then_answers() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let res = rt.block_on(async {
            let fut = call(Method::GET, "/async-sleep");
            assert!(matches!(fut, RouteFuture::Sleep(_)));
            fut.await
        });
        let res = res.unwrap_or_else(|never| match never {});
        assert_eq!(res.status(), StatusCode::OK);
    }
}
