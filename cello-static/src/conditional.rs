//! Validators (`ETag`, `Last-Modified`) and the conditional request headers
//! evaluated against them, in RFC 9110 §13.2.2's order.

use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, HeaderValue};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What identifies one version of a file: its entity tag and modification time.
#[derive(Debug, Clone)]
pub struct Validators {
    /// `"<mtime hex>-<size hex>"`, nginx's form (Starlette hashes the same two
    /// numbers). In the strong syntax, so that `If-Range` may use it.
    pub etag: HeaderValue,
    /// The modification time, to the second (what an HTTP date can say).
    pub modified: Option<SystemTime>,
}

impl Validators {
    /// The validators of a file of `len` bytes last modified at `modified`;
    /// `coding` (`br`, `gzip`) marks a precompressed sibling's own tag.
    pub fn new(modified: Option<SystemTime>, len: u64, coding: Option<&str>) -> Self {
        let secs = modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let tag = match coding {
            Some(c) => format!("\"{secs:x}-{len:x}-{c}\""),
            None => format!("\"{secs:x}-{len:x}\""),
        };
        Validators {
            // Hex digits, dashes and a coding name: always a valid header value.
            etag: HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\"")),
            modified: modified.map(|m| UNIX_EPOCH + Duration::from_secs(secs_of(m))),
        }
    }

    /// `Last-Modified`'s value.
    pub fn last_modified(&self) -> Option<HeaderValue> {
        let m = self.modified?;
        HeaderValue::from_str(&httpdate::fmt_http_date(m)).ok()
    }
}

fn secs_of(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What the preconditions say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answer normally; `Range` applies only when `range_ok` (no `If-Range`, or one
    /// that matches).
    Proceed {
        /// Whether a `Range` header may be honoured.
        range_ok: bool,
    },
    /// 304 Not Modified (only for GET and HEAD, the only methods served).
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match`,
/// `If-Modified-Since` and `If-Range` against `v`.
pub fn evaluate(headers: &HeaderMap, v: &Validators) -> Outcome {
    let etag = v.etag.as_bytes();
    if let Some(m) = headers.get(IF_MATCH) {
        if !list_matches(m.as_bytes(), etag, true) {
            return Outcome::Failed;
        }
    } else if let Some(since) = date(headers.get(IF_UNMODIFIED_SINCE)) {
        if v.modified.is_some_and(|m| m > since) {
            return Outcome::Failed;
        }
    }
    if let Some(m) = headers.get(IF_NONE_MATCH) {
        if list_matches(m.as_bytes(), etag, false) {
            return Outcome::NotModified;
        }
    } else if let Some(since) = date(headers.get(IF_MODIFIED_SINCE)) {
        if v.modified.is_some_and(|m| m <= since) {
            return Outcome::NotModified;
        }
    }
    let range_ok = match headers.get(IF_RANGE) {
        None => true,
        Some(value) => {
            let b = value.as_bytes();
            if b.starts_with(b"\"") {
                b == etag
            } else if b.starts_with(b"W/") {
                // A weak tag never matches If-Range (strong comparison).
                false
            } else {
                // A date matches only the exact Last-Modified.
                date(Some(value)).is_some_and(|d| v.modified == Some(d))
            }
        }
    };
    Outcome::Proceed { range_ok }
}

fn date(value: Option<&HeaderValue>) -> Option<SystemTime> {
    httpdate::parse_http_date(value?.to_str().ok()?).ok()
}

/// Whether an `If-Match`/`If-None-Match` list names `etag` (or is `*`). `strong`:
/// a weak tag in the list matches nothing (If-Match); else `W/` is ignored.
fn list_matches(list: &[u8], etag: &[u8], strong: bool) -> bool {
    let list = trim(list);
    if list == b"*" {
        return true;
    }
    list.split(|&c| c == b',').map(trim).any(|item| {
        let (weak, tag) = match item.strip_prefix(b"W/") {
            Some(tag) => (true, tag),
            None => (false, item),
        };
        !(strong && weak) && tag == etag
    })
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;

    fn validators() -> Validators {
        Validators::new(Some(UNIX_EPOCH + Duration::from_secs(1_000_000)), 10, None)
    }

    fn with(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const EARLIER: &str = "Sun, 11 Jan 1970 00:00:00 GMT";
    const LATER: &str = "Tue, 01 Jan 2030 00:00:00 GMT";

    #[test]
    fn the_etag_is_mtime_and_size_in_hex() {
        assert_eq!(validators().etag, "\"f4240-a\"");
        let gz = Validators::new(Some(UNIX_EPOCH), 3, Some("gzip"));
        assert_eq!(gz.etag, "\"0-3-gzip\"");
    }

    #[test]
    fn a_matching_if_none_match_is_not_modified() {
        let v = validators();
        for header in ["\"f4240-a\"", "W/\"f4240-a\"", "\"x\", \"f4240-a\"", "*"] {
            let h = with(&[(IF_NONE_MATCH, header)]);
            assert_eq!(evaluate(&h, &v), Outcome::NotModified, "{header}");
        }
        let h = with(&[(IF_NONE_MATCH, "\"other\"")]);
        assert_eq!(evaluate(&h, &v), Outcome::Proceed { range_ok: true });
    }

    #[test]
    fn if_modified_since_is_ignored_when_if_none_match_is_there() {
        let h = with(&[(IF_NONE_MATCH, "\"other\""), (IF_MODIFIED_SINCE, LATER)]);
        assert_eq!(
            evaluate(&h, &validators()),
            Outcome::Proceed { range_ok: true }
        );
    }

    #[test]
    fn if_modified_since_compares_dates() {
        let v = validators();
        let h = with(&[(IF_MODIFIED_SINCE, LATER)]);
        assert_eq!(evaluate(&h, &v), Outcome::NotModified);
        let h = with(&[(IF_MODIFIED_SINCE, EARLIER)]);
        assert_eq!(evaluate(&h, &v), Outcome::Proceed { range_ok: true });
        let h = with(&[(IF_MODIFIED_SINCE, "not a date")]);
        assert_eq!(evaluate(&h, &v), Outcome::Proceed { range_ok: true });
    }

    #[test]
    fn if_match_fails_unless_a_strong_tag_matches() {
        let v = validators();
        assert_eq!(evaluate(&with(&[(IF_MATCH, "\"x\"")]), &v), Outcome::Failed);
        assert_eq!(
            evaluate(&with(&[(IF_MATCH, "W/\"f4240-a\"")]), &v),
            Outcome::Failed
        );
        let ok = Outcome::Proceed { range_ok: true };
        assert_eq!(evaluate(&with(&[(IF_MATCH, "\"f4240-a\"")]), &v), ok);
        assert_eq!(evaluate(&with(&[(IF_MATCH, "*")]), &v), ok);
    }

    #[test]
    fn if_unmodified_since_fails_for_a_newer_file() {
        let v = validators();
        let h = with(&[(IF_UNMODIFIED_SINCE, EARLIER)]);
        assert_eq!(evaluate(&h, &v), Outcome::Failed);
        let h = with(&[(IF_UNMODIFIED_SINCE, LATER)]);
        assert_eq!(evaluate(&h, &v), Outcome::Proceed { range_ok: true });
    }

    #[test]
    fn if_range_allows_the_range_only_for_the_same_version() {
        let v = validators();
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_000_000));
        for (value, ok) in [
            ("\"f4240-a\"", true),
            ("\"old\"", false),
            ("W/\"f4240-a\"", false),
            (date.as_str(), true),
            (EARLIER, false),
        ] {
            let h = with(&[(IF_RANGE, value)]);
            assert_eq!(
                evaluate(&h, &v),
                Outcome::Proceed { range_ok: ok },
                "{value}"
            );
        }
    }
}
