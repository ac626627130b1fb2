//! [`App`]: routes and layers, collected while the program starts, then frozen into a
//! per-worker tower service.

use crate::handler::{Erased, ErasedHandler, Handler, HandlerFuture};
use crate::local_service::LocalService;
use crate::middleware::{Middleware, Stack as MiddlewareStack, StackError, Stacked, StackedFuture};
use crate::rejection::Rejection;
use crate::trailing_slash;
use cello_http::{IntoResponse, Request, Response};
use cello_router::{LookupError, ParamValue, RouteError, Router, RouterBuilder};
use http::Method;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

type Endpoint<S> = Arc<dyn ErasedHandler<S>>;
/// What answers a router error when the app asked to (see [`App::on_rejection`]).
type RejectionFn<S> = Arc<
    dyn Fn(Rejection, http::request::Parts, &RequestContext<S>) -> Result<HandlerFuture, Rejection>
        + Send
        + Sync,
>;
type LayerFn = Arc<dyn Fn(LocalService) -> LocalService + Send + Sync>;

/// What a handler gets besides the request: the route's path parameters (converted
/// to their declared types, in pattern order) and the app's state.
#[derive(Debug, Clone)]
pub struct RequestContext<S> {
    pub(crate) params: Vec<ParamValue<'static>>,
    pub(crate) state: S,
    pub(crate) peer: Option<std::net::SocketAddr>,
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

    /// The client's address, when the server passed it on
    /// ([`MakeService::service_for`]).
    pub fn peer(&self) -> Option<std::net::SocketAddr> {
        self.peer
    }
}

/// A response fixed when the app is built (a health check, a robots.txt): every
/// request gets a copy, with no handler run and no future boxed. See
/// [`App::constant`].
#[derive(Debug, Clone)]
pub struct Constant {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: bytes::Bytes,
}

impl Constant {
    /// A constant answer. Its headers get a slot for the `Server` header every
    /// response carries, so each copy is one clone (without it, an exactly full clone
    /// grows on that insert; measured with callgrind).
    pub fn new(status: http::StatusCode, mut headers: http::HeaderMap, body: bytes::Bytes) -> Self {
        headers.insert(
            http::header::SERVER,
            http::HeaderValue::from_static("cello"),
        );
        Constant {
            status,
            headers,
            body,
        }
    }

    fn response(&self) -> Response {
        let mut res = Response::new(cello_http::Body::full(self.body.clone()));
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        res
    }
}

impl<S> ErasedHandler<S> for Constant {
    fn call(&self, _req: Request, _ctx: RequestContext<S>) -> HandlerFuture {
        let res = self.response();
        Box::pin(async move { res })
    }

    fn ready(&self, _req: &Request, _params: &cello_router::Params<'_>) -> Option<Response> {
        Some(self.response())
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
    on_rejection: Option<RejectionFn<S>>,
    redirect_slashes: bool,
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
            on_rejection: None,
            redirect_slashes: false,
            state,
        }
    }

    /// Routes `method` requests for `pattern` to `handler`.
    pub fn route<H, T>(mut self, method: Method, pattern: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        if let Err(e) = self.try_route(method, pattern, &[], handler) {
            self.error.get_or_insert(AppError::Route(e));
        }
        self
    }

    /// Routes `method` requests for `pattern` to `handler` now, or says why not: the
    /// in-place form of [`App::route`] for apps built step by step (a host language's
    /// decorators), which must report a conflict when the route is added. `types`
    /// types the parameters the pattern leaves untyped.
    pub fn try_route<H, T>(
        &mut self,
        method: Method,
        pattern: &str,
        types: &[(&str, cello_router::ParamType)],
        handler: H,
    ) -> Result<(), RouteError>
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let endpoint: Endpoint<S> = Arc::new(Erased {
            handler,
            _args: std::marker::PhantomData,
        });
        self.routes.insert_typed(method, pattern, types, endpoint)
    }

    /// A constant route: every `method` request for `pattern` gets a copy of `answer`.
    ///
    /// ```
    /// use cello::{App, Constant};
    /// use http::{HeaderMap, Method, StatusCode};
    ///
    /// let mut app = App::new();
    /// let ok = Constant::new(StatusCode::OK, HeaderMap::new(), "ok".into());
    /// app.constant(Method::GET, "/health", ok.clone()).unwrap();
    /// // The same route twice is a conflict, reported at once.
    /// assert!(app.constant(Method::GET, "/health", ok).is_err());
    /// ```
    pub fn constant(
        &mut self,
        method: Method,
        pattern: &str,
        answer: Constant,
    ) -> Result<(), RouteError> {
        self.routes.insert(method, pattern, Arc::new(answer))
    }

    /// A synchronous route: every `method` request for `pattern` is answered by
    /// `handler` at once (see [`SyncHandler`](crate::SyncHandler)).
    pub fn sync_route<H: crate::SyncHandler>(
        &mut self,
        method: Method,
        pattern: &str,
        handler: H,
    ) -> Result<(), RouteError> {
        let names = RouterBuilder::<()>::pattern_params(pattern)?
            .into_iter()
            .map(|p| p.name.into_boxed_str())
            .collect();
        let endpoint: Endpoint<S> =
            Arc::new(crate::sync_handler::SyncEndpoint::new(handler, names));
        self.routes.insert(method, pattern, endpoint)
    }

    /// Mounts a read-only service under `prefix`: `GET` (and `HEAD`) of
    /// `prefix/...` go to `service` with the prefix taken off the URI (`/static/a.txt`
    /// → `/a.txt`, still percent-encoded); other methods get the router's 405 with
    /// `Allow: GET, HEAD`. `prefix` itself (no slash) is not routed (a 404, or the
    /// 307 to `prefix/` when [`App::redirect_slashes`] is on). Made for
    /// `cello_static::ServeDir`:
    ///
    /// ```
    /// use cello::App;
    /// use tower::ServiceExt;
    ///
    /// let dir = std::env::temp_dir().join("cello-mount-doc");
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("a.txt"), "hi")?;
    /// let app = App::new().mount("/static", cello_static::ServeDir::new(&dir)?);
    /// let service = app.into_service()?.service();
    /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// let res = runtime.block_on(async {
    ///     let req = http::Request::get("/static/a.txt").body(cello::Body::empty())?;
    ///     Ok::<_, Box<dyn std::error::Error>>(service.oneshot(req).await?)
    /// })?;
    /// assert_eq!(res.status(), 200);
    /// assert_eq!(res.headers()["content-length"], "2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mount<T>(mut self, prefix: &str, service: T) -> Self
    where
        T: Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        T::Future: 'static,
    {
        if let Err(e) = self.try_mount(prefix, service) {
            self.error.get_or_insert(AppError::Route(e));
        }
        self
    }

    /// [`App::mount`] now, or says why not (a prefix that conflicts with a route).
    pub fn try_mount<T>(&mut self, prefix: &str, service: T) -> Result<(), RouteError>
    where
        T: Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        T::Future: 'static,
    {
        let prefix = prefix.trim_end_matches('/');
        let endpoint: Endpoint<S> = Arc::new(crate::mount::Mounted {
            prefix: prefix.to_owned(),
            service,
        });
        self.routes
            .insert(Method::GET, &format!("{prefix}/"), endpoint.clone())?;
        self.routes.insert(
            Method::GET,
            &format!("{prefix}/{{*{}}}", crate::mount::REST),
            endpoint,
        )
    }

    /// Answers the router's own errors (404, 405, 422 for a path parameter) with
    /// `f` instead of the default `{"detail": ...}`: `f` gets the rejection and the
    /// request's head, and gives the rejection back (`Err`) to keep the default answer.
    pub fn on_rejection<F>(mut self, f: F) -> Self
    where
        F: Fn(
                Rejection,
                http::request::Parts,
                &RequestContext<S>,
            ) -> Result<HandlerFuture, Rejection>
            + Send
            + Sync
            + 'static,
    {
        self.on_rejection = Some(Arc::new(f));
        self
    }

    /// Whether a path the router does not know, but knows with the trailing slash
    /// added or removed, gets a `307` to that path (query string kept, any method),
    /// as FastAPI/Starlette answer. Off by default in Rust (a 404, as axum);
    /// Python's `App(redirect_slashes=True)` turns it on. Only the router's miss path
    /// pays for it, and it runs before [`App::on_rejection`].
    ///
    /// ```
    /// use cello::App;
    /// use tower::ServiceExt;
    ///
    /// let app = App::new().get("/items/", || async { "items" }).redirect_slashes(true);
    /// let service = app.into_service()?.service();
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let res = runtime.block_on(async {
    ///     let req = http::Request::get("/items?page=2").body(cello::Body::empty())?;
    ///     Ok::<_, Box<dyn std::error::Error>>(service.oneshot(req).await?)
    /// })?;
    /// assert_eq!(res.status(), 307);
    /// assert_eq!(res.headers()["location"], "/items/?page=2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redirect_slashes(mut self, on: bool) -> Self {
        self.redirect_slashes = on;
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
            on_rejection: self.on_rejection,
            redirect_slashes: self.redirect_slashes,
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
    on_rejection: Option<RejectionFn<S>>,
    redirect_slashes: bool,
    layers: Arc<[LayerFn]>,
    state: S,
}

impl<S> std::fmt::Debug for MakeService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MakeService").finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> MakeService<S> {
    /// The service of one worker thread: the routes, inside the layers. Handlers
    /// and layers see no client address; see [`MakeService::service_for`].
    pub fn service(&self) -> AppService<S> {
        self.service_for(None)
    }

    /// The service of one connection, from the client at `peer`: handlers read it
    /// with [`RequestContext::peer`], and the layers that need it (trusted proxies,
    /// the access log) get it too.
    pub fn service_for(&self, peer: Option<std::net::SocketAddr>) -> AppService<S> {
        let routes = Routes {
            router: self.routes.clone(),
            state: self.state.clone(),
            on_rejection: self.on_rejection.clone(),
            redirect_slashes: self.redirect_slashes,
            peer,
        };
        let routes = self.middleware.wrap(routes, peer);
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
    on_rejection: Option<RejectionFn<S>>,
    redirect_slashes: bool,
    peer: Option<std::net::SocketAddr>,
}

impl<S: Clone> Routes<S> {
    /// A router error: a trailing-slash redirect ([`App::redirect_slashes`]), else
    /// the app's [`App::on_rejection`] answer, else the default.
    #[cold]
    fn rejected(&self, rejection: Rejection, req: Request) -> RouteFuture {
        if self.redirect_slashes && matches!(rejection, Rejection::Route(LookupError::NotFound)) {
            if let Some(to) = trailing_slash::location(&self.router, req.method(), req.uri()) {
                return RouteFuture::Ready(Some(trailing_slash::redirect(to)));
            }
        }
        let Some(on_rejection) = &self.on_rejection else {
            return RouteFuture::Ready(Some(rejection.into_response()));
        };
        let ctx = RequestContext {
            params: Vec::new(),
            state: self.state.clone(),
            peer: self.peer,
        };
        let (parts, _body) = req.into_parts();
        match on_rejection(rejection, parts, &ctx) {
            Ok(answer) => RouteFuture::Handler(answer),
            Err(rejection) => RouteFuture::Ready(Some(rejection.into_response())),
        }
    }
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
            Err(e) => return self.rejected(Rejection::Route(e), req),
        };
        if let Some(res) = found.value.ready(&req, &found.params) {
            return RouteFuture::Ready(Some(res));
        }
        let endpoint = found.value.clone();
        let ctx = RequestContext {
            params: found
                .params
                .into_iter()
                .map(|(_, v)| v.into_owned())
                .collect(),
            state: self.state.clone(),
            peer: self.peer,
        };
        match endpoint.call_now(req, ctx) {
            Ok(res) => RouteFuture::Ready(Some(res)),
            Err(fut) => RouteFuture::Handler(fut),
        }
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
