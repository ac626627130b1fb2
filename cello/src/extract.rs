//! Extractors: what a handler asks for in its arguments, taken from the request.
//!
//! Every argument but the last implements [`FromRequestParts`] (it reads the head:
//! path parameters, query, headers, state); the last may implement [`FromRequest`] and
//! consume the body ([`Json`](crate::Json), [`Bytes`], `String`, the whole
//! [`Request`]). An extractor that fails answers for the handler with its rejection,
//! and the handler does not run.

use crate::rejection::Rejection;
use crate::RequestContext;
use bytes::Bytes;
use cello_http::{IntoResponse, Request};
use cello_router::ParamValue;
use http::request::Parts;
use serde::de::DeserializeOwned;
use std::future::Future;

/// Built from the request head; may appear in any argument position.
pub trait FromRequestParts<S>: Sized {
    /// The answer when extraction fails.
    type Rejection: IntoResponse;
    /// Reads `Self` from the head and the route's context.
    fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<S>,
    ) -> Result<Self, Self::Rejection>;
}

/// Built from the whole request, body included; only the last argument.
///
/// `M` tells the two kinds apart ([`FromRequestParts`] types get this trait through
/// it); write impls without naming it.
pub trait FromRequest<S, M = private::ViaRequest>: Sized {
    /// The answer when extraction fails.
    type Rejection: IntoResponse;
    /// Reads `Self` from the request, consuming the body if it needs one.
    fn from_request(
        req: Request,
        ctx: &RequestContext<S>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>>;
}

/// Marker types; not for users to name.
pub mod private {
    /// A [`FromRequest`](super::FromRequest) that reads the body.
    #[derive(Debug)]
    pub enum ViaRequest {}
    /// A [`FromRequest`](super::FromRequest) through [`FromRequestParts`](super::FromRequestParts).
    #[derive(Debug)]
    pub enum ViaParts {}
}

impl<S, T: FromRequestParts<S>> FromRequest<S, private::ViaParts> for T {
    type Rejection = T::Rejection;
    async fn from_request(req: Request, ctx: &RequestContext<S>) -> Result<Self, Self::Rejection> {
        let (mut parts, _) = req.into_parts();
        T::from_request_parts(&mut parts, ctx)
    }
}

/// The request itself, as the last argument.
impl<S> FromRequest<S> for Request {
    type Rejection = std::convert::Infallible;
    async fn from_request(req: Request, _: &RequestContext<S>) -> Result<Self, Self::Rejection> {
        Ok(req)
    }
}

/// The whole body, read up to the body limit.
impl<S> FromRequest<S> for Bytes {
    type Rejection = Rejection;
    async fn from_request(req: Request, _: &RequestContext<S>) -> Result<Self, Rejection> {
        Ok(req.into_body().to_bytes().await?)
    }
}

/// The whole body as UTF-8 text (400 if it is not).
impl<S> FromRequest<S> for String {
    type Rejection = Rejection;
    async fn from_request(req: Request, ctx: &RequestContext<S>) -> Result<Self, Rejection> {
        let bytes = Bytes::from_request(req, ctx).await?;
        String::from_utf8(bytes.to_vec()).map_err(|e| Rejection::Json {
            status: http::StatusCode::BAD_REQUEST,
            message: format!("the body is not UTF-8: {e}"),
        })
    }
}

/// The request head: method, URI, version, headers, extensions.
impl<S> FromRequestParts<S> for Parts {
    type Rejection = std::convert::Infallible;
    fn from_request_parts(
        parts: &mut Parts,
        _: &RequestContext<S>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.clone())
    }
}

/// The app's state, given to [`App::with_state`](crate::App::with_state).
#[derive(Debug, Clone, Copy, Default)]
pub struct State<S>(pub S);

impl<S: Clone> FromRequestParts<S> for State<S> {
    type Rejection = std::convert::Infallible;
    fn from_request_parts(_: &mut Parts, ctx: &RequestContext<S>) -> Result<Self, Self::Rejection> {
        Ok(State(ctx.state.clone()))
    }
}

/// Path parameters, by position in the pattern: `Path<i64>` for one, `Path<(String,
/// i64)>` for two. Each is converted by the router from the pattern's declared type
/// (`{id:int}`), so a mismatch between the two is a 500 naming the parameter, found by
/// the first request; declare the type in the pattern to get a 422 for bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path<T>(pub T);

/// One path parameter's value as a Rust type.
pub trait FromParam: Sized {
    /// `None` when the value has another type.
    fn from_param(value: &ParamValue<'_>) -> Option<Self>;
}

impl FromParam for i64 {
    fn from_param(value: &ParamValue<'_>) -> Option<Self> {
        value.as_int()
    }
}
impl FromParam for f64 {
    fn from_param(value: &ParamValue<'_>) -> Option<Self> {
        value
            .as_float()
            .or_else(|| value.as_int().map(|i| i as f64))
    }
}
impl FromParam for String {
    fn from_param(value: &ParamValue<'_>) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}
impl FromParam for uuid::Uuid {
    fn from_param(value: &ParamValue<'_>) -> Option<Self> {
        value.as_uuid()
    }
}

/// The parameters' values do not fit the handler's `Path<T>`: a programming error.
fn path_mismatch(what: &str) -> Rejection {
    Rejection::Json {
        status: http::StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("the handler's Path<...> does not match the route pattern: {what}"),
    }
}

macro_rules! path_tuple {
    ($($t:ident $i:tt),+) => {
        impl<S, $($t: FromParam),+> FromRequestParts<S> for Path<($($t,)+)> {
            type Rejection = Rejection;
            fn from_request_parts(_: &mut Parts, ctx: &RequestContext<S>) -> Result<Self, Rejection> {
                let p = &ctx.params;
                Ok(Path(($(
                    p.get($i)
                        .and_then($t::from_param)
                        .ok_or_else(|| path_mismatch(concat!("parameter ", stringify!($i))))?,
                )+)))
            }
        }
    };
}
path_tuple!(A 0);
path_tuple!(A 0, B 1);
path_tuple!(A 0, B 1, C 2);
path_tuple!(A 0, B 1, C 2, D 3);

macro_rules! path_one {
    ($($t:ty),+) => {$(
        impl<S> FromRequestParts<S> for Path<$t> {
            type Rejection = Rejection;
            fn from_request_parts(_: &mut Parts, ctx: &RequestContext<S>) -> Result<Self, Rejection> {
                match ctx.params.as_slice() {
                    [one] => <$t>::from_param(one)
                        .map(Path)
                        .ok_or_else(|| path_mismatch(concat!("expected ", stringify!($t)))),
                    other => Err(path_mismatch(&format!("{} parameters for one value", other.len()))),
                }
            }
        }
    )+};
}
path_one!(i64, f64, String, uuid::Uuid);

/// The query string, deserialized with serde (`?limit=5&q=x` into a struct with
/// `limit: u32` and `q: Option<String>`). A missing or ill-typed field → 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Query<T>(pub T);

impl<S, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Rejection;
    fn from_request_parts(parts: &mut Parts, _: &RequestContext<S>) -> Result<Self, Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q)
            .map(Query)
            .map_err(|e| Rejection::Query(e.to_string()))
    }
}
