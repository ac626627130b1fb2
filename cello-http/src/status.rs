//! The statuses a service may answer with, and what their responses may carry.
//!
//! A service gives one final response, so its status is 200 to 599. A 1xx is an
//! interim response the server writes itself (`100 Continue`); hyper answers a 1xx
//! from a service with a bare 500 and drops the `Server` header. A 101 hands the
//! connection over to the service (a WebSocket): the adapter lets it through only for
//! an HTTP/1.1 request hyper can upgrade (one with `Upgrade`), never otherwise. Codes
//! past 599 are not HTTP (RFC 9110 §15). So the adapter turns any of these into a
//! logged 500, and also:
//! - 204 and 304 never carry content (hyper already skips it; the body is dropped here
//!   too), and a 204 no `Content-Length` (RFC 9110 §8.6);
//! - 205 carries no content and says so with `Content-Length: 0` (RFC 9110 §15.3.6);
//! - a valid code without a registered reason (299, 432) gets an empty reason phrase,
//!   `HTTP/1.1 299 `, where hyper would write `<none>`.
//!
//! ```
//! use cello_http::status::check;
//!
//! assert_eq!(check(201).unwrap().as_u16(), 201);
//! assert_eq!(check(299).unwrap().as_u16(), 299);
//! let err = check(101).unwrap_err();
//! assert!(err.to_string().starts_with("status 101 cannot answer a request"));
//! assert!(check(999).is_err() && check(42).is_err());
//! ```

use crate::body::Body;
use crate::response::plain;
use crate::Response;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode};

/// A status no response to a request may have: 1xx, or outside 100..=599.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStatus(pub u16);

impl std::fmt::Display for InvalidStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = self.0;
        let why = if (100..200).contains(&code) {
            "1xx statuses are interim responses the server sends itself"
        } else {
            "HTTP statuses end at 599"
        };
        write!(
            f,
            "status {code} cannot answer a request: a response needs a status from 200 to 599 ({why})"
        )
    }
}

impl std::error::Error for InvalidStatus {}

/// `code` as a status a response may have (200..=599).
pub fn check(code: u16) -> Result<StatusCode, InvalidStatus> {
    if !(200..=599).contains(&code) {
        return Err(InvalidStatus(code));
    }
    StatusCode::from_u16(code).map_err(|_| InvalidStatus(code))
}

/// Brings a service's response in line with the rules above.
#[inline]
pub(crate) fn conform(res: &mut Response) {
    // Most responses are 200 and need nothing.
    if res.status() != StatusCode::OK {
        conform_other(res);
    }
}

fn conform_other(res: &mut Response) {
    let status = res.status();
    if let Err(e) = check(status.as_u16()) {
        tracing::error!("a service answered with an invalid status: {e}; answered 500");
        *res = plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        return;
    }
    match status {
        StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED => {
            *res.body_mut() = Body::empty();
            let headers = res.headers_mut();
            headers.remove(TRANSFER_ENCODING);
            if status == StatusCode::NO_CONTENT {
                headers.remove(CONTENT_LENGTH);
            }
        }
        StatusCode::RESET_CONTENT => {
            *res.body_mut() = Body::empty();
            let headers = res.headers_mut();
            headers.remove(TRANSFER_ENCODING);
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        _ => {}
    }
    if status.canonical_reason().is_none() {
        res.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b""));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::{check, conform};
    use crate::{IntoResponse, Response};
    use http::StatusCode;

    fn answered(code: u16, body: &'static str) -> Response {
        let mut res = body.into_response();
        *res.status_mut() = StatusCode::from_u16(code).unwrap();
        conform(&mut res);
        res
    }

    #[test]
    fn final_statuses_pass_and_the_rest_do_not() {
        for ok in [200, 204, 299, 301, 404, 432, 599] {
            assert_eq!(check(ok).map(|s| s.as_u16()), Ok(ok));
        }
        for bad in [0, 42, 99, 100, 101, 103, 199, 600, 999, 1000, u16::MAX] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_informational_or_out_of_range_status_becomes_500() {
        for code in [100, 101, 103, 199, 600, 999] {
            assert_eq!(answered(code, "x").status(), 500, "{code}");
        }
    }

    #[test]
    fn only_unregistered_codes_get_an_empty_reason() {
        let reason = |code| {
            answered(code, "x")
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| r.as_bytes().to_vec())
        };
        assert_eq!(reason(299), Some(vec![]));
        assert_eq!(reason(404), None);
    }
}
