#![doc = include_str!("../README.md")]

mod app;
pub mod extract;
mod handler;
mod json;
mod local_service;
pub mod middleware;
mod mount;
mod rejection;
mod serve;
mod sync_handler;
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
pub use sync_handler::{SyncHandler, SyncRequest};

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
