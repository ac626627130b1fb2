//! Building responses: the few constructors every layer needs, and [`IntoResponse`].

use crate::body::Body;
use crate::{Error, Response};
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};

/// `text/plain; charset=utf-8`.
pub const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
/// `application/json`.
pub const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response with `status`, a body and its content type.
pub fn with_type(status: StatusCode, content_type: HeaderValue, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut().insert(CONTENT_TYPE, content_type);
    res
}

/// A `text/plain` response.
pub fn plain(status: StatusCode, body: impl Into<Body>) -> Response {
    with_type(status, TEXT_PLAIN, body)
}

/// An `application/json` response from already-encoded JSON.
pub fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response {
    with_type(status, APPLICATION_JSON, Body::full(body.into()))
}

/// Marks `res` so the connection closes after it is written.
pub fn close(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Anything a handler may return.
pub trait IntoResponse {
    /// Turns `self` into a response.
    fn into_response(self) -> Response;
}

impl IntoResponse for std::convert::Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        plain(StatusCode::OK, self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        plain(StatusCode::OK, self)
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self;
        res
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let res = plain(self.status(), self.to_string());
        if self.is_body_too_large() || self.is_body() || self.is_body_timeout() {
            close(res)
        } else {
            res
        }
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }
}
