//! What each route answers. JSON is written per request with cello-json's writer
//! functions straight into the buffer that becomes the body (no copy after).

use cello::http::StatusCode;
use cello::{Path, Response};
use cello_http::response::{json_bytes, plain};
use cello_json::{write_bool, write_i64, write_str};
use std::time::Duration;

/// How long `/async-sleep` sleeps.
pub const SLEEP: Duration = Duration::from_millis(1);

/// `GET /plaintext`: a static body, no allocation for the bytes.
pub async fn plaintext() -> Response {
    plain(StatusCode::OK, "Hello, World!")
}

/// `GET /json` and `/async-json`: `{"message":"Hello, World!"}`.
pub async fn json_message() -> Response {
    let mut buf = Vec::with_capacity(32);
    buf.push(b'{');
    write_str(&mut buf, "message");
    buf.push(b':');
    write_str(&mut buf, "Hello, World!");
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

/// `GET /users/{id:int}` and `/user/{id:int}`: `{"id":<id>}`.
pub async fn user(Path(id): Path<i64>) -> Response {
    let mut buf = Vec::with_capacity(32);
    buf.push(b'{');
    write_str(&mut buf, "id");
    buf.push(b':');
    write_i64(&mut buf, id);
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

/// `GET /async-sleep`: `{"ok":true}` after [`SLEEP`].
pub async fn sleep_then_ok() -> Response {
    tokio::time::sleep(SLEEP).await;
    let mut buf = Vec::with_capacity(16);
    buf.push(b'{');
    write_str(&mut buf, "ok");
    buf.push(b':');
    write_bool(&mut buf, true);
    buf.push(b'}');
    json_bytes(StatusCode::OK, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(res: Response) -> String {
        let bytes = res.into_body().to_bytes().await.unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn writes_the_json_bodies() {
        assert_eq!(
            block_on(async { body(json_message().await).await }),
            r#"{"message":"Hello, World!"}"#
        );
        assert_eq!(
            block_on(async { body(user(Path(-42)).await).await }),
            r#"{"id":-42}"#
        );
        assert_eq!(
            block_on(async { body(sleep_then_ok().await).await }),
            r#"{"ok":true}"#
        );
    }
}
