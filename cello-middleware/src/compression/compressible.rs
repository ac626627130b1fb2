//! Which responses are worth compressing: the rules that look at the response alone.

use http::{header, HeaderMap, HeaderValue, StatusCode};

/// Whether a response may be compressed, whatever the client accepts.
///
/// No for: statuses without content (1xx, 204, 304) and partial content (206, or any
/// `Content-Range`); a `Content-Encoding` the handler already set (even `identity`);
/// `Cache-Control: no-transform`; a known size under `min_size` (from the body's exact
/// size hint, else `Content-Length`); and the media types in [`is_incompressible_type`].
/// A body of unknown size (a stream) is compressed.
pub(super) fn is_compressible(
    status: StatusCode,
    headers: &HeaderMap,
    exact_size: Option<u64>,
    min_size: u64,
) -> bool {
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status == StatusCode::PARTIAL_CONTENT
        || headers.contains_key(header::CONTENT_ENCODING)
        || headers.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    let size = exact_size.or_else(|| {
        let value = headers.get(header::CONTENT_LENGTH)?;
        value.to_str().ok()?.parse().ok()
    });
    if size.is_some_and(|size| size < min_size) {
        return false;
    }
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| is_incompressible_type(value.as_bytes()))
    {
        return false;
    }
    !headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .any(|value| has_token(value, b"no-transform"))
}

/// Media types that are already compressed, opaque, or must not be buffered.
///
/// `image/*` (except `image/svg+xml`, which is text), `video/*`, `audio/*`, `font/woff`,
/// `font/woff2`, archives (zip, gzip, zstd, bzip2, xz, 7z, rar), `application/octet-stream`,
/// `application/grpc*` (its own framing and compression) and `text/event-stream`: an
/// encoder holds back small events until it has a block, so a server-sent event would
/// reach the browser late.
pub(super) fn is_incompressible_type(content_type: &[u8]) -> bool {
    let essence = match content_type.iter().position(|&b| b == b';') {
        Some(i) => &content_type[..i],
        None => content_type,
    };
    let essence = essence.trim_ascii();
    let starts = |prefix: &[u8]| {
        essence.len() >= prefix.len() && essence[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if starts(b"image/") {
        return !essence.eq_ignore_ascii_case(b"image/svg+xml");
    }
    if starts(b"video/") || starts(b"audio/") || starts(b"application/grpc") {
        return true;
    }
    const EXACT: &[&[u8]] = &[
        b"text/event-stream",
        b"application/octet-stream",
        b"application/zip",
        b"application/gzip",
        b"application/x-gzip",
        b"application/zstd",
        b"application/x-bzip2",
        b"application/x-xz",
        b"application/x-7z-compressed",
        b"application/vnd.rar",
        b"application/x-rar-compressed",
        b"font/woff",
        b"font/woff2",
    ];
    EXACT.iter().any(|t| essence.eq_ignore_ascii_case(t))
}

/// Whether a comma-separated header value lists `token` (ASCII case-insensitive).
pub(super) fn has_token(value: &HeaderValue, token: &[u8]) -> bool {
    value
        .as_bytes()
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_without_parameters_or_case() {
        assert!(is_incompressible_type(b"image/png"));
        assert!(is_incompressible_type(b"Image/PNG"));
        assert!(is_incompressible_type(b"text/event-stream; charset=utf-8"));
        assert!(is_incompressible_type(b"application/grpc+proto"));
        assert!(is_incompressible_type(b" application/zip "));
        assert!(!is_incompressible_type(b"image/svg+xml"));
        assert!(!is_incompressible_type(b"application/json"));
        assert!(!is_incompressible_type(b"text/html; charset=utf-8"));
        assert!(!is_incompressible_type(b"application/zipper"));
        assert!(!is_incompressible_type(b""));
    }

    #[test]
    fn no_transform_is_found_among_other_directives() {
        let value = HeaderValue::from_static("public, No-Transform ,max-age=60");
        assert!(has_token(&value, b"no-transform"));
        let value = HeaderValue::from_static("no-transformer");
        assert!(!has_token(&value, b"no-transform"));
    }
}
