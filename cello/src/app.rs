//! [`App`]: routes and layers, collected while the program starts, then frozen into a
//! per-worker tower service.

use crate::handler::{Erased, ErasedHandler, Handler, HandlerFuture};
use crate::local_service::LocalService;
use crate::middleware::{Middleware, Stack as MiddlewareStack, StackError, Stacked, StackedFuture};
use crate::rejection::Rejection;
use cello_http::{IntoResponse, Request, Response};
use cello_router::{ParamValue, RouteError, Router, RouterBuilder};
use http::Method;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

type Endpoint<S> = Arc<dyn ErasedHandler<S>>;
type LayerFn = Arc<dyn Fn(LocalService) -> LocalService + Send + Sync>;

/// What a handler gets besides the request: the route's path parameters (converted
/// to their declared types, in pattern order) and the app's state.
#[derive(Debug, Clone)]
pub struct RequestContext<S> {
    pub(crate) params: Vec<ParamValue<'static>>,
    pub(crate) state: S,
}

impl<S> RequestContext<S> {
    /// The path parameters, in pattern order.
    pub fn params(&self) -> &[ParamValue<'static>] {
        &self.params
    }

    /// The app's state.
    pub fn state(&self) -> &S {
        &self.state
    }
}

/// An application: a route table, a stack of tower layers around it, and a state every
/// handler can ask for with [`State`](crate::State).
///
/// Routes use cello-router's patterns (`/users/{id:int}`, `/files/{*path}`); a conflict
/// or a bad pattern is reported by [`App::into_service`] (and so by
/// [`serve`](crate::serve)) naming both routes, before anything is served. Layers
/// added with [`App::layer`] wrap everything added before and after them, router
/// answers (404, 405) included; the last added is the outermost.
pub struct App<S = ()> {
    routes: RouterBuilder<Endpoint<S>>,
    error: Option<AppError>,
    middleware: MiddlewareStack,
    layers: Vec<LayerFn>,
    state: S,
}

/// Why an [`App`] could not be frozen into a service.
#[derive(Debug)]
pub enum AppError {
    /// A route did not fit the table (a conflict, a bad pattern).
    Route(RouteError),
    /// The [`App::middleware`] list was refused.
    Middleware(StackError),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Route(e) => e.fmt(f),
            AppError::Middleware(e) => write!(f, "middleware: {e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl<S> std::fmt::Debug for App<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("layers", &self.layers.len())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl App<()> {
    /// An app with no state.
    pub fn new() -> Self {
        App::with_state(())
    }
}

impl Default for App<()> {
    fn default() -> Self {
        App::new()
    }
}

impl<S: Clone + Send + Sync + 'static> App<S> {
    /// An app whose handlers can take [`State<S>`](crate::State). `S` is cloned per
    /// request that asks for it: share big things behind an `Arc`.
    pub fn with_state(state: S) -> Self {
        App {
            routes: RouterBuilder::new(),
            error: None,
            middleware: MiddlewareStack::default(),
            layers: Vec::new(),
            state,
        }
    }

    /// Routes `method` requests for `pattern` to `handler`.
    pub fn route<H, T>(mut self, method: Method, pattern: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let endpoint: Endpoint<S> = Arc::new(Erased {
            handler,
            _args: std::marker::PhantomData,
        });
        if let Err(e) = self.routes.insert(method, pattern, endpoint) {
            self.error.get_or_insert(AppError::Route(e));
        }
        self
    }

    /// `GET` (and `HEAD`, answered without a body) for `pattern`.
    pub fn get<H: Handler<T, S>, T: 'static>(self, pattern: &str, handler: H) -> Self {
        self.route(Method::GET, pattern, handler)
    }

    /// `POST` for `pattern`.
    pub fn post<H: Handler<T, S>, T: 'static>(self, pattern: &str, handler: H) -> Self {
        self.route(Method::POST, pattern, handler)
    }

    /// `PUT` for `pattern`.
    pub fn put<H: Handler<T, S>, T: 'static>(self, pattern: &str, handler: H) -> Self {
        self.route(Method::PUT, pattern, handler)
    }

    /// `PATCH` for `pattern`.
    pub fn patch<H: Handler<T, S>, T: 'static>(self, pattern: &str, handler: H) -> Self {
        self.route(Method::PATCH, pattern, handler)
    }

    /// `DELETE` for `pattern`.
    pub fn delete<H: Handler<T, S>, T: 'static>(self, pattern: &str, handler: H) -> Self {
        self.route(Method::DELETE, pattern, handler)
    }

    /// The built-in middleware, outermost first — the same list Python's
    /// `App(middleware=[...])` takes: cello-middleware's layers, stacked around the
    /// routes without a box per layer (see [`crate::middleware`]). Each kind at most
    /// once; layers added with [`App::layer`] go around them.
    ///
    /// ```
    /// use cello::App;
    /// use cello_middleware::{compression::CompressionLayer, request_id::RequestIdLayer};
    ///
    /// let app = App::new()
    ///     .get("/", || async { "hello" })
    ///     .middleware([RequestIdLayer::new().into(), CompressionLayer::new().into()]);
    /// assert!(app.into_service().is_ok());
    /// ```
    pub fn middleware(mut self, list: impl IntoIterator<Item = Middleware>) -> Self {
        match MiddlewareStack::new(list.into_iter().collect()) {
            Ok(stack) => self.middleware = stack,
            Err(e) => {
                self.error.get_or_insert(AppError::Middleware(e));
            }
        }
        self
    }

    /// Wraps the app (routes and router answers) in a tower layer, such as cello-middleware's
    /// `RequestIdLayer` or `CorsLayer`. The layer is applied once per worker thread.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<LocalService> + Send + Sync + 'static,
        L::Service: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
        <L::Service as Service<Request>>::Future: 'static,
    {
        self.layers
            .push(Arc::new(move |inner| LocalService::new(layer.layer(inner))));
        self
    }

    /// Freezes the route table: the app becomes a [`MakeService`] that gives each
    /// worker thread its service. Fails with the first route that did not fit.
    pub fn into_service(self) -> Result<MakeService<S>, AppError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(MakeService {
            routes: Arc::new(self.routes.freeze()),
            middleware: self.middleware,
            layers: self.layers.into(),
            state: self.state,
        })
    }
}

/// A frozen [`App`], shared by the worker threads; [`MakeService::service`] makes one
/// thread's service.
pub struct MakeService<S = ()> {
    routes: Arc<Router<Endpoint<S>>>,
    middleware: MiddlewareStack,
    layers: Arc<[LayerFn]>,
    state: S,
}

impl<S> std::fmt::Debug for MakeService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MakeService").finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> MakeService<S> {
    /// The service of one worker thread: the routes, inside the layers.
    pub fn service(&self) -> AppService<S> {
        let routes = Routes {
            router: self.routes.clone(),
            state: self.state.clone(),
        };
        // The Rust server does not pass the client's address on: layers that read it
        // see none.
        let routes = self.middleware.wrap(routes, None);
        if self.layers.is_empty() {
            return AppService(Stack::Plain(routes));
        }
        let mut svc = LocalService::new(routes);
        for layer in self.layers.iter() {
            svc = layer(svc);
        }
        AppService(Stack::Layered(svc))
    }
}

/// One worker's service: a tower `Service<Request>` that never fails (every error is
/// a response).
#[derive(Clone)]
pub struct AppService<S = ()>(Stack<S>);

impl<S> std::fmt::Debug for AppService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppService").finish_non_exhaustive()
    }
}

#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "cloned per connection: boxing the levels would allocate per connection"
)]
enum Stack<S> {
    /// No layers: the routes (inside the built-in middleware) are called directly.
    Plain(Stacked<Routes<S>>),
    Layered(LocalService),
}

impl<S: Clone + 'static> Service<Request> for AppService<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match &mut self.0 {
            Stack::Plain(routes) => routes.poll_ready(cx),
            Stack::Layered(svc) => svc.poll_ready(cx),
        }
    }

    fn call(&mut self, req: Request) -> RouteFuture {
        match &mut self.0 {
            Stack::Plain(routes) => match routes.call(req) {
                StackedFuture::Plain { f } => f,
                StackedFuture::Layered { f } => RouteFuture::Boxed(f),
            },
            Stack::Layered(svc) => RouteFuture::Boxed(svc.call(req)),
        }
    }
}

/// The routes of one worker: lookup, then the handler.
#[derive(Clone)]
pub(crate) struct Routes<S> {
    router: Arc<Router<Endpoint<S>>>,
    state: S,
}

impl<S: Clone + 'static> Service<Request> for Routes<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> RouteFuture {
        let found = match self.router.lookup(req.method(), req.uri().path()) {
            Ok(found) => found,
            Err(e) => return RouteFuture::Ready(Some(Rejection::Route(e).into_response())),
        };
        let endpoint = found.value.clone();
        let ctx = RequestContext {
            params: found
                .params
                .into_iter()
                .map(|(_, v)| v.into_owned())
                .collect(),
            state: self.state.clone(),
        };
        RouteFuture::Handler(endpoint.call(req, ctx))
    }
}

/// The future of [`AppService`]: a response made without a handler (404, 405...), a
/// handler running, or a layered stack.
pub enum RouteFuture {
    /// Answered already; taken on the first poll.
    Ready(Option<Response>),
    /// A handler.
    Handler(HandlerFuture),
    /// The layered stack, or the routes inside the built-in middleware.
    Boxed(Pin<Box<dyn Future<Output = Result<Response, Infallible>>>>),
}

impl std::fmt::Debug for RouteFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RouteFuture")
    }
}

impl Future for RouteFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            RouteFuture::Ready(res) => Poll::Ready(Ok(res.take().unwrap_or_default())),
            RouteFuture::Handler(fut) => fut.as_mut().poll(cx).map(Ok),
            RouteFuture::Boxed(fut) => fut.as_mut().poll(cx),
        }
    }
}
