//! [`Json`]: a JSON body in (serde, from the raw bytes) and a JSON response out.

use crate::extract::FromRequest;
use crate::rejection::Rejection;
use crate::RequestContext;
use cello_http::response::json_bytes;
use cello_http::{IntoResponse, Request, Response};
use http::header::CONTENT_TYPE;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A JSON body: as an extractor, the request body deserialized into `T` (it needs
/// `Content-Type: application/json` or `+json`: 415 otherwise; 400 for bytes that are
/// not JSON, 422 for JSON of the wrong shape, each with serde's message and position);
/// as a return value, `T` serialized with `Content-Type: application/json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Rejection;
    async fn from_request(req: Request, _: &RequestContext<S>) -> Result<Self, Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Rejection::NotJson);
        }
        let bytes = req.into_body().to_bytes().await?;
        serde_json::from_slice(&bytes).map(Json).map_err(|e| {
            let status = if e.is_data() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            };
            Rejection::Json {
                status,
                message: e.to_string(),
            }
        })
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => json_bytes(StatusCode::OK, body),
            Err(e) => crate::rejection::detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the response could not be serialized as JSON: {e}"),
            ),
        }
    }
}
