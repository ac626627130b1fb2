//! [`Handler`]: an `async fn` whose arguments are extractors and whose return value
//! implements [`IntoResponse`], as a route's endpoint.

use crate::extract::{FromRequest, FromRequestParts};
use crate::RequestContext;
use cello_http::{IntoResponse, Request, Response};
use std::future::Future;
use std::pin::Pin;

/// The future of one handler call. Boxed, once per request: routes hold handlers of
/// different types in one table. Not `Send`: each worker runs its own runtime.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response>>>;

/// An async function usable as an endpoint: up to eight extractor arguments, the last
/// of which may read the body. `T` lists the argument types; it is inferred.
///
/// ```
/// use cello::{App, Json, Path};
///
/// async fn user(Path(id): Path<i64>) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "id": id }))
/// }
///
/// let app = App::new().get("/users/{id:int}", user);
/// # let _ = app;
/// ```
pub trait Handler<T, S>: Clone + Send + Sync + 'static {
    /// Runs the handler on `req`.
    fn call(&self, req: Request, ctx: RequestContext<S>) -> HandlerFuture;

    /// Runs the handler on `req`, answering at once when it can: `Ok` is the answer,
    /// made with no future; `Err` is a future as [`Handler::call`] gives. The route
    /// table calls this one. The default is always the future; a handler that often
    /// answers without waiting (a host language's synchronous function) overrides it,
    /// so that those answers box nothing.
    fn call_now(&self, req: Request, ctx: RequestContext<S>) -> Result<Response, HandlerFuture> {
        Err(self.call(req, ctx))
    }
}

impl<F, Fut, Res, S> Handler<(), S> for F
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Res> + 'static,
    Res: IntoResponse,
{
    fn call(&self, _req: Request, _ctx: RequestContext<S>) -> HandlerFuture {
        let fut = self();
        Box::pin(async move { fut.await.into_response() })
    }
}

macro_rules! handler_with_args {
    ($($part:ident),* ; $last:ident) => {
        #[allow(non_snake_case, unused_mut)]
        impl<F, Fut, Res, S, M, $($part,)* $last> Handler<(M, $($part,)* $last), S> for F
        where
            F: Fn($($part,)* $last) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = Res> + 'static,
            Res: IntoResponse,
            S: 'static,
            $($part: FromRequestParts<S> + 'static,)*
            $last: FromRequest<S, M> + 'static,
        {
            fn call(&self, req: Request, ctx: RequestContext<S>) -> HandlerFuture {
                let f = self.clone();
                Box::pin(async move {
                    let (mut parts, body) = req.into_parts();
                    $(
                        let $part = match $part::from_request_parts(&mut parts, &ctx) {
                            Ok(v) => v,
                            Err(rejection) => return rejection.into_response(),
                        };
                    )*
                    let req = Request::from_parts(parts, body);
                    let $last = match $last::from_request(req, &ctx).await {
                        Ok(v) => v,
                        Err(rejection) => return rejection.into_response(),
                    };
                    f($($part,)* $last).await.into_response()
                })
            }
        }
    };
}

handler_with_args!(; T1);
handler_with_args!(T1; T2);
handler_with_args!(T1, T2; T3);
handler_with_args!(T1, T2, T3; T4);
handler_with_args!(T1, T2, T3, T4; T5);
handler_with_args!(T1, T2, T3, T4, T5; T6);
handler_with_args!(T1, T2, T3, T4, T5, T6; T7);
handler_with_args!(T1, T2, T3, T4, T5, T6, T7; T8);

/// A handler with its argument types erased, as the route table stores it.
pub(crate) trait ErasedHandler<S>: Send + Sync {
    fn call(&self, req: Request, ctx: RequestContext<S>) -> HandlerFuture;

    /// [`Handler::call_now`].
    fn call_now(&self, req: Request, ctx: RequestContext<S>) -> Result<Response, HandlerFuture> {
        Err(self.call(req, ctx))
    }

    /// An answer made at once from the request's head and path parameters (a
    /// constant route, a [`SyncHandler`](crate::SyncHandler) on a request without a
    /// body): no future, no box.
    fn ready(&self, _req: &Request, _params: &cello_router::Params<'_>) -> Option<Response> {
        None
    }
}

pub(crate) struct Erased<H, T> {
    pub(crate) handler: H,
    pub(crate) _args: std::marker::PhantomData<fn() -> T>,
}

impl<H: Handler<T, S>, T: 'static, S> ErasedHandler<S> for Erased<H, T> {
    fn call(&self, req: Request, ctx: RequestContext<S>) -> HandlerFuture {
        self.handler.call(req, ctx)
    }

    fn call_now(&self, req: Request, ctx: RequestContext<S>) -> Result<Response, HandlerFuture> {
        self.handler.call_now(req, ctx)
    }
}
