//! The HTTP/1 framing guard: a request must say in one way where its body ends, with a
//! transfer coding and a version this server speaks.
//!
//! | request | answer |
//! |---|---|
//! | `Content-Length` and `Transfer-Encoding` in one head (either order, any distance) | 400, connection closed |
//! | `Transfer-Encoding` that lists `chunked` more than once | 400, connection closed |
//! | a transfer coding other than `chunked` (`gzip, chunked`) | 501, connection closed |
//! | `HTTP/1.x` with x > 1 | served as HTTP/1.1 (RFC 9110 §6.2) |
//! | a major version other than 1 (`HTTP/2.0`, `HTTP/3.0`) on an HTTP/1 request line | 505, connection closed |
//!
//! hyper alone gets these wrong, on purpose or not: with both framing headers it follows
//! RFC 9112 §6.3 (chunked wins) and removes `Content-Length` before the request reaches
//! Cello; it frames `gzip, chunked` as chunked and passes the body on still gzipped;
//! httparse refuses any version but 1.0 and 1.1 with a 400. Since hyper shows neither
//! the raw head nor the version as sent, the connection's reader runs a [`Tracker`]
//! over the bytes it reads before hyper sees them: it follows each request's head and
//! body exactly as hyper frames them, fixes the version digits in place, and leaves a
//! [`Verdict`] naming the request to refuse. The adapter counts the requests hyper hands
//! it and refuses that one. The rule is applied to each head as parsed, so it does not
//! depend on how the bytes were split into reads, or on what a body contains. The
//! transfer codings hyper passes through, so those are checked on the request itself
//! ([`refuse_codings`]).
//!
//! A connection that opens with `PRI * HTTP/2.0` is HTTP/2 with prior knowledge when
//! HTTP/2 is on (hyper-util reads the whole preface), so that line reaches hyper as sent;
//! if the rest of that read is not the preface, the line gets its 505 like any other.

mod fields;
mod plain;
mod tracker;

#[cfg(test)]
mod tests;

pub(crate) use tracker::Tracker;

use crate::response::{close, plain};
use crate::Response;
use http::header::TRANSFER_ENCODING;
use http::{HeaderMap, StatusCode};
use std::cell::Cell;

/// Why a request is refused before any handler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// `Content-Length` and `Transfer-Encoding` together: 400.
    LengthAndChunked,
    /// A major version other than 1 (digits as sent): 505.
    Version { major: u8, minor: u8 },
}

impl Reject {
    /// The answer; it closes the connection, since what follows cannot be trusted.
    pub(crate) fn response(self) -> Response {
        close(match self {
            Reject::LengthAndChunked => plain(
                StatusCode::BAD_REQUEST,
                "Content-Length and Transfer-Encoding together are not allowed; send one of them",
            ),
            Reject::Version { major, minor } => plain(
                StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                format!(
                    "HTTP/{major}.{minor} is not supported on an HTTP/1 connection; send HTTP/1.1"
                ),
            ),
        })
    }
}

/// A refusal of the `request`-th request (from 0) of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) request: u64,
    pub(crate) reject: Reject,
}

/// What the tracker (on the read side) tells the adapter (which sees requests).
#[derive(Default)]
pub(crate) struct Verdicts {
    /// At most one: after a refusal the connection closes.
    refused: Cell<Option<Verdict>>,
    /// Requests hyper handed to the adapter so far.
    requests: Cell<u64>,
}

impl Verdicts {
    /// Records the tracker's verdict.
    pub(crate) fn set(&self, verdict: Verdict) {
        self.refused.set(Some(verdict));
    }

    /// Counts one more request from hyper; its refusal, if it has one. On HTTP/1
    /// hyper hands requests over in the order their heads arrived, the tracker's order.
    pub(crate) fn next_request(&self) -> Option<Reject> {
        let n = self.requests.get();
        self.requests.set(n + 1);
        match self.refused.get() {
            Some(v) if v.request == n => Some(v.reject),
            _ => None,
        }
    }
}

/// The transfer codings of a request that hyper let through, all `Transfer-Encoding`
/// lines read as one list (RFC 9110 §5.3): hyper checked only that the last is
/// `chunked`. Anything else before it is refused: `chunked` again with 400, another
/// coding (which Cello would pass on undecoded) with 501 (RFC 9112 §6.1).
pub(crate) fn refuse_codings(headers: &HeaderMap) -> Option<Response> {
    headers.get(TRANSFER_ENCODING)?;
    let mut chunked = 0;
    let mut unknown = None;
    for value in headers.get_all(TRANSFER_ENCODING) {
        for element in value.as_bytes().split(|&b| b == b',') {
            let coding = element.split(|&b| b == b';').next().unwrap_or_default();
            let coding = coding.trim_ascii();
            if coding.is_empty() {
                continue;
            }
            if coding.eq_ignore_ascii_case(b"chunked") {
                chunked += 1;
            } else if unknown.is_none() {
                unknown = Some(String::from_utf8_lossy(coding).into_owned());
            }
        }
    }
    if chunked > 1 {
        return Some(close(plain(
            StatusCode::BAD_REQUEST,
            "Transfer-Encoding lists chunked more than once; apply chunked once, last",
        )));
    }
    let coding = unknown?;
    Some(close(plain(
        StatusCode::NOT_IMPLEMENTED,
        format!(
            "Transfer-Encoding {coding} is not supported; send the body with only chunked, or with Content-Length"
        ),
    )))
}
