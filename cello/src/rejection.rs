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
    /// A `multipart/form-data` body that is malformed or truncated (400) or breaks an
    /// upload limit (413); the message says which and the setting to change.
    Multipart {
        /// 400 or 413.
        status: StatusCode,
        /// What was wrong.
        message: String,
    },
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
            Rejection::Multipart { status, .. } => *status,
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
            Rejection::Multipart { message, .. } => f.write_str(message),
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
            Rejection::Body(_) | Rejection::Multipart { .. } => {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        headers
    }
}

/// A path parameter that did not convert, as pydantic reports it.
#[derive(Debug, Clone, Copy)]
pub struct InvalidParam<'a> {
    /// Pydantic's error type: `int_parsing`, `float_parsing`, `uuid_parsing`...
    pub kind: &'static str,
    /// Pydantic's message.
    pub msg: &'static str,
    /// The parameter.
    pub name: &'a str,
    /// The value sent.
    pub input: &'a str,
}

impl Rejection {
    /// For a path parameter that did not convert: what FastAPI's 422 lists for it
    /// (`{"type", "loc": ["path", name], "msg", "input"}`).
    pub fn invalid_param(&self) -> Option<InvalidParam<'_>> {
        let Rejection::Route(LookupError::InvalidParam {
            name,
            expected,
            value,
        }) = self
        else {
            return None;
        };
        let (kind, msg) = match expected {
            cello_router::ParamType::Int => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            cello_router::ParamType::Float => (
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            ),
            cello_router::ParamType::Uuid => (
                "uuid_parsing",
                "Input should be a valid UUID, unable to parse string as a UUID",
            ),
            _ => (
                "string_unicode",
                "Input should be a valid string, unable to parse raw data as a unicode string",
            ),
        };
        Some(InvalidParam {
            kind,
            msg,
            name,
            input: value,
        })
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut res = match self.invalid_param() {
            Some(p) => invalid_param_detail(self.status(), p),
            None => detail(self.status(), &self.to_string()),
        };
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

/// `{"detail": [{"type", "loc": ["path", name], "msg", "input"}]}`.
fn invalid_param_detail(status: StatusCode, p: InvalidParam<'_>) -> Response {
    let mut buf = Vec::with_capacity(160 + p.name.len() + p.input.len());
    buf.extend_from_slice(b"{\"detail\":[{\"type\":");
    cello_json::write_str(&mut buf, p.kind);
    buf.extend_from_slice(b",\"loc\":[\"path\",");
    cello_json::write_str(&mut buf, p.name);
    buf.extend_from_slice(b"],\"msg\":");
    cello_json::write_str(&mut buf, p.msg);
    buf.extend_from_slice(b",\"input\":");
    cello_json::write_str(&mut buf, p.input);
    buf.extend_from_slice(b"}]}");
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
