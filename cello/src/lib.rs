//! Cello for Rust: the framework, as axum is to hyper.
//!
//! The crates below it each do one job — cello-net (sockets, the accept loop,
//! connection caps, graceful shutdown), cello-http (HTTP/1.1 and h2c on hyper, limits
//! and timeouts), cello-router (typed path patterns), cello-middleware (tower layers),
//! cello-json (fast JSON). This crate puts them together:
//!
//! - [`App`]: routes (`get`, `post`, ... with cello-router's patterns), tower layers,
//!   a shared state;
//! - [`Handler`]s: `async fn`s whose arguments are extractors — [`Path`], [`Query`],
//!   [`Json`], [`State`], the body as `Bytes`/`String`, the whole [`Request`] — and
//!   whose return value is anything [`IntoResponse`];
//! - one error shape: every answer made without a handler (404, 405 with `Allow`, a
//!   path parameter or query that does not convert, a bad JSON body, a body over the
//!   limit or too slow) is a [`Rejection`], JSON `{"detail": "..."}`;
//! - [`serve`]: thread-per-core, a current-thread runtime and an `SO_REUSEPORT`
//!   listener per worker, handlers that need not be `Send`.
//!
//! A complete service:
//!
//! ```
//! use cello::{App, Json, Path, Query, State};
//! use cello_middleware::request_id::RequestIdLayer;
//! use serde::{Deserialize, Serialize};
//! use std::sync::Arc;
//!
//! #[derive(Deserialize)]
//! struct Page { limit: Option<u32> }
//!
//! #[derive(Serialize, Deserialize)]
//! struct Todo { title: String, done: bool }
//!
//! struct Db { greeting: String }
//!
//! async fn hello(State(db): State<Arc<Db>>) -> String {
//!     db.greeting.clone()
//! }
//!
//! async fn todo(Path(id): Path<i64>, Query(page): Query<Page>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "id": id, "limit": page.limit.unwrap_or(20) }))
//! }
//!
//! async fn create(Json(todo): Json<Todo>) -> (http::StatusCode, Json<Todo>) {
//!     (http::StatusCode::CREATED, Json(todo))
//! }
//!
//! let app = App::with_state(Arc::new(Db { greeting: "hi".into() }))
//!     .get("/", hello)
//!     .get("/todos/{id:int}", todo)
//!     .post("/todos", create)
//!     .layer(RequestIdLayer::new());
//!
//! // Each worker thread gets its own service; here, one request through it.
//! use tower::ServiceExt;
//! let service = app.into_service()?.service();
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let response = runtime.block_on(async {
//!     let req = http::Request::get("/todos/7?limit=5").body(cello_http::Body::empty())?;
//!     Ok::<_, Box<dyn std::error::Error>>(service.oneshot(req).await?)
//! })?;
//! assert_eq!(response.status(), 200);
//! assert!(response.headers().contains_key("x-request-id"));
//!
//! // To serve it: cello::serve("127.0.0.1:8080".parse()?, app).workers(2).run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod app;
pub mod extract;
mod handler;
mod json;
mod local_service;
pub mod middleware;
mod mount;
mod rejection;
mod serve;
mod trailing_slash;
pub mod ws;

pub use app::{App, AppError, AppService, Constant, MakeService, RequestContext, RouteFuture};
pub use cello_http::{Body, IntoResponse, Request, Response};
pub use extract::{Path, Query, State};
pub use handler::{Handler, HandlerFuture};
pub use json::Json;
pub use local_service::LocalService;
pub use rejection::{detail, InvalidParam, Rejection};
pub use serve::{serve, Listening, Serve};

pub use cello_http::{HttpConfig, Server};
pub use cello_net::{ServeConfig, Shutdown, TcpOptions};
pub use http;

// The site's Rust pages (docs/*.md) as doctests: each ```rust block on them is compiled
// and run by `cargo test -p cello`. Only under `cfg(doctest)`, so a packaged crate (which
// has no docs/ folder) never reads them.
#[cfg(doctest)]
#[doc = include_str!("../../docs/rust.md")]
pub struct RustGuideDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../docs/streams-and-files.md")]
pub struct StreamsAndFilesDoctests;
