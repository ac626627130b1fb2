//! One opaque error type with predicates, as hyper does.

use http::StatusCode;
use std::fmt;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// An error from the HTTP layer: a body over its limit, a body that failed while
/// streaming in, a timeout. Ask what it is with the predicates; [`Error::status`] is
/// the status a server answers with.
pub struct Error {
    kind: Kind,
    source: Option<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BodyTooLarge {
        limit: u64,
        /// The setting that raises it, for the message.
        setting: &'static str,
    },
    Body,
    /// A request body that stopped arriving or arrived too slowly.
    BodyTimeout,
    Timeout,
    Closed,
}

impl Error {
    pub(crate) fn body_too_large(limit: u64) -> Self {
        Error {
            kind: Kind::BodyTooLarge {
                limit,
                setting: "max_body_size",
            },
            source: None,
        }
    }

    /// A body over `limit`, whose limit is the setting named `setting` (the upload
    /// limit for a multipart body).
    pub(crate) fn body_too_large_for(limit: u64, setting: &'static str) -> Self {
        Error {
            kind: Kind::BodyTooLarge { limit, setting },
            source: None,
        }
    }

    pub(crate) fn body(source: impl Into<Source>) -> Self {
        Error {
            kind: Kind::Body,
            source: Some(source.into()),
        }
    }

    /// A request body that stopped arriving, or arrived too slowly (→ 408); `why` says
    /// which limit ran out and how to raise it.
    pub(crate) fn body_timeout(why: String) -> Self {
        Error {
            kind: Kind::BodyTimeout,
            source: Some(why.into()),
        }
    }

    /// A timeout, e.g. from a timeout middleware.
    pub fn timeout() -> Self {
        Error {
            kind: Kind::Timeout,
            source: None,
        }
    }

    /// The connection closed before the message was complete.
    pub fn closed() -> Self {
        Error {
            kind: Kind::Closed,
            source: None,
        }
    }

    /// The request body is larger than the configured limit (→ 413).
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.kind, Kind::BodyTooLarge { .. })
    }

    /// The body failed while it was read (malformed chunked encoding, I/O error).
    pub fn is_body(&self) -> bool {
        matches!(self.kind, Kind::Body)
    }

    /// A time limit ran out (reading the body, or one a middleware set).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout | Kind::BodyTimeout)
    }

    /// The request body stopped arriving, or arrived under the minimum rate: the
    /// connection's framing is unknown past this point, so it must close.
    pub fn is_body_timeout(&self) -> bool {
        matches!(self.kind, Kind::BodyTimeout)
    }

    /// The peer went away.
    pub fn is_closed(&self) -> bool {
        matches!(self.kind, Kind::Closed)
    }

    /// The status a server answers this error with.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Body => StatusCode::BAD_REQUEST,
            Kind::Timeout | Kind::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Kind::Closed => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("cello_http::Error");
        d.field("kind", &self.kind);
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::BodyTooLarge { limit, setting } => write!(
                f,
                "request body exceeds the {} limit; raise `{setting}`",
                human_bytes(limit)
            ),
            Kind::Body => match &self.source {
                Some(s) => write!(f, "error reading the request body: {s}"),
                None => f.write_str("error reading the request body"),
            },
            Kind::Timeout => f.write_str("timed out"),
            Kind::BodyTimeout => match &self.source {
                Some(s) => write!(f, "request timeout: {s}"),
                None => f.write_str("request timeout"),
            },
            Kind::Closed => f.write_str("connection closed before the message was complete"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// `1048576` → "1 MiB", `1000` → "1000 bytes".
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size && n % size == 0 {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_too_large_says_the_limit_and_what_to_raise() {
        let e = Error::body_too_large(1 << 20);
        assert_eq!(
            e.to_string(),
            "request body exceeds the 1 MiB limit; raise `max_body_size`"
        );
        assert!(e.is_body_too_large());
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn human_bytes_keeps_odd_sizes_exact() {
        assert_eq!(human_bytes(1000), "1000 bytes");
        assert_eq!(human_bytes(16 * 1024), "16 KiB");
    }
}
