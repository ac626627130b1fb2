//! An opened file → the response: validators, preconditions (304/412), ranges
//! (206, `multipart/byteranges`, 416), `HEAD`.

use crate::body::{self, Piece};
use crate::conditional::{self, Outcome, Validators};
use crate::open::Opened;
use crate::range::{self, Ranges};
use bytes::Bytes;
use cello_http::{Body, Response};
use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    LAST_MODIFIED, RANGE, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};

/// How to answer with an opened file.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status of a full answer; conditional requests and ranges apply only to 200.
    pub status: StatusCode,
    /// `Content-Type`; guessed from the name when None.
    pub content_type: Option<HeaderValue>,
    /// More headers (a `FileResponse`'s own, `Content-Disposition`).
    pub headers: HeaderMap,
    /// The answer depends on `Accept-Encoding` (precompressed siblings are looked for).
    pub vary: bool,
}

impl Default for Answer {
    fn default() -> Self {
        Answer {
            status: StatusCode::OK,
            content_type: None,
            headers: HeaderMap::new(),
            vary: false,
        }
    }
}

/// The answer for `file` to a request with `method` and `req` headers.
pub fn respond(file: Opened, method: &Method, req: &HeaderMap, answer: Answer) -> Response {
    let len = file.meta.len();
    let coding = file.coding.map(|c| c.token());
    let v = Validators::new(file.meta.modified().ok(), len, coding);
    let content_type = answer
        .content_type
        .clone()
        .unwrap_or_else(|| guess_type(&file.name));

    let mut headers = answer.headers;
    headers.insert(ETAG, v.etag.clone());
    if let Some(lm) = v.last_modified() {
        headers.insert(LAST_MODIFIED, lm);
    }
    if answer.vary {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }

    let mut range_ok = true;
    if answer.status == StatusCode::OK {
        match conditional::evaluate(req, &v) {
            Outcome::NotModified => return bare(StatusCode::NOT_MODIFIED, headers),
            Outcome::Failed => return bare(StatusCode::PRECONDITION_FAILED, headers),
            Outcome::Proceed { range_ok: ok } => range_ok = ok,
        }
    }
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }

    // Ranges are of the identity file: a request with `Range` is never given a
    // precompressed sibling (the caller sees to it), so only 200s come here with one.
    let ranges = if answer.status == StatusCode::OK && range_ok && coding.is_none() {
        range::ranges(req.get(RANGE), len)
    } else {
        Ranges::Full
    };
    let (status, pieces, body_len) = match ranges {
        Ranges::Full => {
            headers.insert(CONTENT_TYPE, content_type);
            (answer.status, vec![Piece::File { start: 0, len }], len)
        }
        Ranges::Unsatisfiable => {
            headers.insert(CONTENT_RANGE, content_range(None, len));
            return bare(StatusCode::RANGE_NOT_SATISFIABLE, headers);
        }
        Ranges::Partial(ranges) if ranges.len() == 1 => {
            let r = &ranges[0];
            headers.insert(CONTENT_TYPE, content_type);
            headers.insert(
                CONTENT_RANGE,
                content_range(Some((*r.start(), *r.end())), len),
            );
            let n = r.end() - r.start() + 1;
            let pieces = vec![Piece::File {
                start: *r.start(),
                len: n,
            }];
            (StatusCode::PARTIAL_CONTENT, pieces, n)
        }
        Ranges::Partial(ranges) => {
            let boundary = boundary();
            let (pieces, n) = multipart(&ranges, len, &content_type, &boundary);
            let ct = format!("multipart/byteranges; boundary={boundary}");
            if let Ok(ct) = HeaderValue::from_str(&ct) {
                headers.insert(CONTENT_TYPE, ct);
            }
            (StatusCode::PARTIAL_CONTENT, pieces, n)
        }
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body_len));
    let body = if method == Method::HEAD || body_len == 0 {
        Body::empty()
    } else {
        body::body(file.file, pieces)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// A response without a body (304, 412, 416).
fn bare(status: StatusCode, mut headers: HeaderMap) -> Response {
    if status != StatusCode::NOT_MODIFIED {
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// The media type for a file name; text types say `charset=utf-8`, as Starlette.
pub fn guess_type(name: &std::path::Path) -> HeaderValue {
    let Some(mime) = mime_guess::from_path(name).first() else {
        return HeaderValue::from_static("application/octet-stream");
    };
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "image/svg+xml"
        );
    let value = if text && mime.get_param("charset").is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn content_range(range: Option<(u64, u64)>, len: u64) -> HeaderValue {
    let text = match range {
        Some((start, end)) => format!("bytes {start}-{end}/{len}"),
        None => format!("bytes */{len}"),
    };
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("bytes */0"))
}

/// A boundary unlikely to be in the file: a per-process counter mixed with the time.
fn boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("cello-{:016x}{:08x}", t ^ n.rotate_left(32), n)
}

/// The pieces of a `multipart/byteranges` body and its length.
pub fn multipart(
    ranges: &[std::ops::RangeInclusive<u64>],
    len: u64,
    content_type: &HeaderValue,
    boundary: &str,
) -> (Vec<Piece>, u64) {
    let ct = String::from_utf8_lossy(content_type.as_bytes());
    let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut total = 0;
    for r in ranges {
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: {ct}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
            r.start(),
            r.end()
        );
        let n = r.end() - r.start() + 1;
        total += head.len() as u64 + n;
        pieces.push(Piece::Bytes(Bytes::from(head)));
        pieces.push(Piece::File {
            start: *r.start(),
            len: n,
        });
    }
    let tail = format!("\r\n--{boundary}--\r\n");
    total += tail.len() as u64;
    pieces.push(Piece::Bytes(Bytes::from(tail)));
    (pieces, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_carry_the_utf8_charset() {
        assert_eq!(guess_type("a.txt".as_ref()), "text/plain; charset=utf-8");
        assert_eq!(guess_type("a.html".as_ref()), "text/html; charset=utf-8");
        assert_eq!(guess_type("a.png".as_ref()), "image/png");
        assert_eq!(guess_type("noext".as_ref()), "application/octet-stream");
    }

    #[test]
    fn a_multipart_body_lists_each_range_with_its_content_range() {
        let ct = HeaderValue::from_static("text/plain");
        let (pieces, total) = multipart(&[0..=1, 5..=6], 10, &ct, "B");
        let head = "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n";
        assert_eq!(pieces[0], Piece::Bytes(Bytes::from(head)));
        assert_eq!(pieces[1], Piece::File { start: 0, len: 2 });
        assert_eq!(pieces[4], Piece::Bytes(Bytes::from("\r\n--B--\r\n")));
        let text: u64 = pieces
            .iter()
            .map(|p| match p {
                Piece::Bytes(b) => b.len() as u64,
                Piece::File { len, .. } => *len,
            })
            .sum();
        assert_eq!(total, text);
    }
}
