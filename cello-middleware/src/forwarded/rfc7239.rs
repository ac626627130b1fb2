//! RFC 7239 `Forwarded`: `for=192.0.2.60;proto=https;host=example.com, for="[2001:db8::1]:4711"`.
//!
//! Each proxy appends one element describing the request as it received it. As with
//! `X-Forwarded-For`, elements are taken from the right, and each is split off and
//! parsed only when reached: a client's broken element (an unclosed quote, say) on the
//! left is never read. The element that names the client also gives its `proto` and
//! `host`.

use super::client_info::parse_host;
use super::trusted::Trusted;
use super::x_forwarded::trim_ows;
use super::{ClientInfo, ForwardedProto};
use http::HeaderMap;
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// What the `Forwarded` header of a request from a trusted peer says; `None` when it is
/// absent, says nothing usable, or the element the walk stops at is malformed (the whole
/// header is then ignored).
pub(super) fn resolve(
    headers: &HeaderMap,
    trusted: &Trusted,
    peer: Option<SocketAddr>,
) -> Option<ClientInfo> {
    let mut chosen = None;
    'lines: for line in headers.get_all(http::header::FORWARDED).iter().rev() {
        for raw in ElementsFromRight(Some(line.as_bytes())) {
            let raw = trim_ows(raw);
            if raw.is_empty() {
                // Empty list elements are allowed and ignored (RFC 9110, 5.6.1).
                continue;
            }
            let element = Element::parse(raw)?;
            let stop = match element.node {
                Some(Node::Addr(addr)) => !trusted.contains(addr.ip()),
                Some(Node::Hidden) | None => true,
            };
            chosen = Some(element);
            if stop {
                break 'lines;
            }
        }
    }
    let element = chosen?;
    let scheme = element.proto.as_deref().and_then(ForwardedProto::parse);
    let host = element.host.as_deref().and_then(parse_host);
    let client = match element.node {
        Some(Node::Addr(addr)) => Some(addr),
        Some(Node::Hidden) => None,
        None if scheme.is_none() && host.is_none() => return None,
        // An element that names no client: the peer stays the client.
        None => peer,
    };
    Some(ClientInfo::new(client, scheme, host))
}

/// A `for=` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// An address, with the port given or `0`.
    Addr(SocketAddr),
    /// `unknown`, or an obfuscated identifier such as `_hidden`.
    Hidden,
}

/// One element's parameters; unknown ones (`by`, extensions) are skipped.
#[derive(Debug, Default)]
struct Element<'a> {
    node: Option<Node>,
    proto: Option<Cow<'a, [u8]>>,
    host: Option<Cow<'a, [u8]>>,
}

impl<'a> Element<'a> {
    /// `pair *( ";" pair )`, each `token "=" ( token / quoted-string )`; a parameter
    /// given twice makes the element malformed (RFC 7239, 4).
    fn parse(mut s: &'a [u8]) -> Option<Self> {
        let mut element = Element::default();
        let mut seen_for = false;
        loop {
            s = trim_ows(s);
            match s {
                [] => return Some(element),
                [b';', rest @ ..] => {
                    s = rest;
                    continue;
                }
                _ => {}
            }
            let name_len = s.iter().take_while(|&&b| is_tchar(b)).count();
            let (name, rest) = s.split_at(name_len);
            let [b'=', rest @ ..] = rest else {
                return None;
            };
            let (value, rest) = value(rest)?;
            s = trim_ows(rest);
            if !matches!(s, [] | [b';', ..]) {
                return None;
            }
            if name.eq_ignore_ascii_case(b"for") {
                if seen_for {
                    return None;
                }
                seen_for = true;
                element.node = Some(parse_node(&value)?);
            } else if name.eq_ignore_ascii_case(b"proto") {
                if element.proto.replace(value).is_some() {
                    return None;
                }
            } else if name.eq_ignore_ascii_case(b"host") && element.host.replace(value).is_some() {
                return None;
            }
        }
    }
}

/// A token or a quoted-string (escapes removed), and what follows it.
fn value(s: &[u8]) -> Option<(Cow<'_, [u8]>, &[u8])> {
    let Some(rest) = s.strip_prefix(b"\"") else {
        let len = s.iter().take_while(|&&b| is_tchar(b)).count();
        if len == 0 {
            return None;
        }
        return Some((Cow::Borrowed(&s[..len]), &s[len..]));
    };
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'"' => {
                let value = out.map_or(Cow::Borrowed(&rest[..i]), Cow::Owned);
                return Some((value, &rest[i + 1..]));
            }
            b'\\' => {
                let escaped = *rest.get(i + 1)?;
                out.get_or_insert_with(|| rest[..i].to_vec()).push(escaped);
                i += 2;
            }
            b if b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80 => {
                if let Some(out) = out.as_mut() {
                    out.push(b);
                }
                i += 1;
            }
            _ => return None,
        }
    }
    None
}

/// `unknown`, `_obfuscated`, `192.0.2.1[:port]` or `[2001:db8::1][:port]`. An IPv6
/// address or a port needs quotes (`[` and `:` are not token characters): unquoted,
/// they never reach here.
fn parse_node(v: &[u8]) -> Option<Node> {
    if v.eq_ignore_ascii_case(b"unknown") || is_obfuscated(v) {
        return Some(Node::Hidden);
    }
    let text = std::str::from_utf8(v).ok()?;
    let (ip, port) = if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        (ip.parse::<Ipv6Addr>().ok()?.into(), after)
    } else {
        let (ip, after) = text.find(':').map_or((text, ""), |i| text.split_at(i));
        (ip.parse::<Ipv4Addr>().ok()?.into(), after)
    };
    let port = match port.as_bytes() {
        [] => 0,
        [b':', b'_', obf @ ..] if !obf.is_empty() && obf.iter().all(|&b| is_obf_char(b)) => 0,
        [b':', digits @ ..] if (1..=5).contains(&digits.len()) => {
            std::str::from_utf8(digits).ok()?.parse::<u16>().ok()?
        }
        _ => return None,
    };
    Some(Node::Addr(SocketAddr::new(ip, port)))
}

fn is_obfuscated(v: &[u8]) -> bool {
    matches!(v, [b'_', rest @ ..] if !rest.is_empty() && rest.iter().all(|&b| is_obf_char(b)))
}

fn is_obf_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The comma-separated elements of one header line, last first. Commas inside quoted
/// strings do not split; the scan runs from the right, so only what it has reached
/// needs to be well formed.
struct ElementsFromRight<'a>(Option<&'a [u8]>);

impl<'a> Iterator for ElementsFromRight<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.0?;
        let mut in_quote = false;
        for i in (0..s.len()).rev() {
            match s[i] {
                b'"' if !is_escaped(s, i) => in_quote = !in_quote,
                b',' if !in_quote => {
                    self.0 = Some(&s[..i]);
                    return Some(&s[i + 1..]);
                }
                _ => {}
            }
        }
        self.0 = None;
        Some(s)
    }
}

/// Whether the byte at `i` follows an odd run of backslashes.
fn is_escaped(s: &[u8], i: usize) -> bool {
    s[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}
