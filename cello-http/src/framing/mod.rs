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
//! httparse refuses any version but 1.0 and 1.1 with a 400. hyper shows neither the raw
//! head nor the version as sent, so the connection's reader runs a [`Tracker`] over the
//! bytes it reads, before hyper sees them: it follows each request's head and body
//! exactly as hyper frames them, fixes version digits in place, and leaves a [`Verdict`]
//! naming the request to refuse. The adapter counts the requests hyper hands it and
//! refuses that one ([`Verdicts`]). Each rule looks at one head as parsed, so the answer
//! does not depend on how the bytes were split into reads, or on what a body contains.
//!
//! The transfer codings are read there too, though hyper passes the field through: the
//! tracker reads every `Transfer-Encoding` line anyway to frame the body, and the
//! adapter then needs no header lookup per request (one measured ~55-110 instructions).
//!
//! A connection that opens with `PRI * HTTP/2.0` is HTTP/2 with prior knowledge when
//! HTTP/2 is on (hyper-util reads the whole preface), so that line reaches hyper as sent;
//! if the rest of that read shows it is not the preface, it gets its 505 like any other
//! (if the difference only comes in a later read, hyper answers 400).

mod fields;
mod plain;
mod tracker;

#[cfg(test)]
mod tests;

pub(crate) use tracker::Tracker;

/// hyper's largest body length (`DecodedLength::MAX_LEN`); longer ones it refuses.
const MAX_LEN: u64 = u64::MAX - 2;

use crate::response::{close, plain};
use crate::Response;
use fields::CodingName;
use http::StatusCode;
use std::cell::Cell;

/// Why a request is refused before any handler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// `Content-Length` and `Transfer-Encoding` together: 400.
    LengthAndChunked,
    /// `Transfer-Encoding` lists `chunked` more than once: 400.
    ChunkedTwice,
    /// `Transfer-Encoding` lists a coding other than `chunked`, which Cello would pass
    /// on undecoded: 501 (RFC 9112 §6.1).
    UnknownCoding(CodingName),
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
            Reject::ChunkedTwice => plain(
                StatusCode::BAD_REQUEST,
                "Transfer-Encoding lists chunked more than once; apply chunked once, last",
            ),
            Reject::UnknownCoding(coding) => plain(
                StatusCode::NOT_IMPLEMENTED,
                format!(
                    "Transfer-Encoding {coding} is not supported; send the body with only chunked, or with Content-Length"
                ),
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
