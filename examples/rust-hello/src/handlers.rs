//! What each route answers. JSON is written per request with cello-json's writer
//! functions straight into the buffer that becomes the body (no copy after).

use cello_http::response::{json_bytes, plain};
use cello_http::Response;
use cello_json::{write_bool, write_i64, write_str};
use cello_router::LookupError;
use http::header::ALLOW;
use http::StatusCode;

/// `GET /plaintext`: a static body, no allocation for the bytes.
pub fn plaintext() -> Response {
    plain(StatusCode::OK, "Hello, World!")
}

/// `GET /json` and `/async-json`: `{"message":"Hello, World!"}`.
pub fn json_message() -> Response {
    let mut buf = Vec::with_capacity(32);
    buf.push(b'{');
    write_str(&mut buf, "message");
    buf.push(b':');
    write_str(&mut buf, "Hello, World!");
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

/// `GET /users/{id:int}` and `/user/{id:int}`: `{"id":<id>}`.
pub fn user(id: i64) -> Response {
    let mut buf = Vec::with_capacity(32);
    buf.push(b'{');
    write_str(&mut buf, "id");
    buf.push(b':');
    write_i64(&mut buf, id);
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

/// `GET /async-sleep`, once the timer fired: `{"ok":true}`.
pub fn ok_true() -> Response {
    let mut buf = Vec::with_capacity(16);
    buf.push(b'{');
    write_str(&mut buf, "ok");
    buf.push(b':');
    write_bool(&mut buf, true);
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

/// `{"detail": "..."}` with `status`.
fn detail(status: StatusCode, message: &str) -> Response {
    let mut buf = Vec::with_capacity(message.len() + 16);
    buf.extend_from_slice(b"{\"detail\":");
    write_str(&mut buf, message);
    buf.push(b'}');
    json_bytes(status, buf)
}

/// The answer when the router found no handler: 404, 405 with `Allow`, or 422 saying
/// which parameter did not convert.
#[cold]
pub fn lookup_error(e: &LookupError) -> Response {
    match e {
        LookupError::NotFound => detail(StatusCode::NOT_FOUND, "Not Found"),
        LookupError::MethodNotAllowed { allow } => {
            let mut res = detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            res.headers_mut().insert(ALLOW, allow.clone());
            res
        }
        other => {
            let status =
                StatusCode::from_u16(other.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            detail(status, &other.to_string())
        }
    }
}

/// A 500 for states the routing table rules out.
#[cold]
pub fn internal_error() -> Response {
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    async fn body(res: Response) -> String {
        let bytes = res.into_body().to_bytes().await.unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn writes_the_json_bodies() {
        assert_eq!(
            block_on(body(json_message())),
            r#"{"message":"Hello, World!"}"#
        );
        assert_eq!(block_on(body(user(-42))), r#"{"id":-42}"#);
        assert_eq!(block_on(body(ok_true())), r#"{"ok":true}"#);
    }

    #[test]
    fn answers_405_with_the_allow_header() {
        let res = lookup_error(&LookupError::MethodNotAllowed {
            allow: HeaderValue::from_static("GET, HEAD"),
        });
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[ALLOW], "GET, HEAD");
    }
}
