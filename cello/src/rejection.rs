//! Why a request did not reach its handler, as a response: router errors (404, 405
//! with `Allow`, 422 for a path parameter), extractor failures (a bad query or JSON
//! body, 422 or 400; a wrong content type, 415) and body errors (413, 408). One place,
//! one shape: JSON `{"detail": "..."}`, as FastAPI answers.

use cello_http::response::json_bytes;
use cello_http::{IntoResponse, Response};
use cello_router::LookupError;
use http::header::{ALLOW, CONNECTION};
use http::{HeaderMap, HeaderValue, StatusCode};
use std::fmt;

/// A request the app answers without running a handler.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The router found nothing, or a path parameter did not convert.
    Route(LookupError),
    /// The query string does not fit the handler's `Query<T>` (→ 422).
    Query(String),
    /// The body is not valid JSON for the handler's `Json<T>` (→ 422; 400 when it is not
    /// JSON at all).
    Json {
        /// 400 for bytes that are not JSON, 422 for JSON of the wrong shape.
        status: StatusCode,
        /// What serde said, with the position.
        message: String,
    },
    /// `Json<T>` needs `Content-Type: application/json` (→ 415).
    NotJson,
    /// The body could not be read: too large (413), too slow (408), malformed (400).
    Body(cello_http::Error),
}

impl Rejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Route(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::NOT_FOUND)
            }
            Rejection::Query(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::Json { status, .. } => *status,
            Rejection::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::Body(e) => e.status(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Route(LookupError::NotFound) => f.write_str("Not Found"),
            Rejection::Route(LookupError::MethodNotAllowed { .. }) => {
                f.write_str("Method Not Allowed")
            }
            Rejection::Route(e) => e.fmt(f),
            Rejection::Query(m) => write!(f, "invalid query string: {m}"),
            Rejection::Json { message, .. } => write!(f, "invalid JSON body: {message}"),
            Rejection::NotJson => {
                f.write_str("expected a JSON body with `Content-Type: application/json`")
            }
            Rejection::Body(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// The headers its answer carries besides the body's: `Allow` on a 405, and
    /// `Connection: close` after a body error (the body was left half read, so the
    /// connection's framing is lost).
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        match self {
            Rejection::Route(LookupError::MethodNotAllowed { allow }) => {
                headers.insert(ALLOW, allow.clone());
            }
            Rejection::Body(_) => {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        headers
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut res = detail(self.status(), &self.to_string());
        for (name, value) in self.headers() {
            if let Some(name) = name {
                res.headers_mut().insert(name, value);
            }
        }
        res
    }
}

impl From<LookupError> for Rejection {
    fn from(e: LookupError) -> Self {
        Rejection::Route(e)
    }
}

impl From<cello_http::Error> for Rejection {
    fn from(e: cello_http::Error) -> Self {
        Rejection::Body(e)
    }
}

/// `{"detail": message}` with `status`: the shape of every error Cello answers.
pub fn detail(status: StatusCode, message: &str) -> Response {
    let mut buf = Vec::with_capacity(message.len() + 16);
    buf.extend_from_slice(b"{\"detail\":");
    cello_json::write_str(&mut buf, message);
    buf.push(b'}');
    json_bytes(status, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_not_allowed_carries_allow_and_a_json_detail() {
        let res = Rejection::Route(LookupError::MethodNotAllowed {
            allow: HeaderValue::from_static("GET, HEAD"),
        })
        .into_response();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[ALLOW], "GET, HEAD");
        assert_eq!(res.headers()["content-type"], "application/json");
    }

    #[test]
    fn a_body_error_closes_the_connection() {
        let res = Rejection::Body(cello_http::Error::closed()).into_response();
        assert_eq!(res.headers()[CONNECTION], "close");
    }
}
