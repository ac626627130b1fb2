//! `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`, as nginx, HAProxy,
//! cloud load balancers and uvicorn's `--proxy-headers` use them.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`,
//! so the entries right of the client were written by proxies and the ones left of it
//! by whoever sent them, the client included. The list is walked from the right and
//! each entry parsed only when it is reached: junk a client put on the left is never
//! read, so it cannot make a header be ignored and the proxy pass for the client.

use super::client_info::parse_host;
use super::trusted::Trusted;
use super::{ClientInfo, ForwardedProto};
use http::{HeaderMap, HeaderName};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// What the `X-Forwarded-*` headers of a request from a trusted peer say; `None` when
/// they say nothing usable.
pub(super) fn resolve(
    headers: &HeaderMap,
    trusted: &Trusted,
    peer: Option<SocketAddr>,
) -> Option<ClientInfo> {
    let client = walk_for(headers, trusted);
    let position = client.map(|(_, pos)| pos);
    let scheme = pick(headers, &X_FORWARDED_PROTO, position).and_then(ForwardedProto::parse);
    let host = pick(headers, &X_FORWARDED_HOST, position).and_then(parse_host);
    if client.is_none() && scheme.is_none() && host.is_none() {
        return None;
    }
    let client = client.map(|(addr, _)| addr).or(peer);
    Some(ClientInfo::new(client, scheme, host))
}

/// The client in `X-Forwarded-For` and its position counted from the right: the
/// rightmost entry that is not a trusted proxy, or the leftmost when all are trusted
/// (the client is one of them). `None` when the header is absent, or the entry the walk
/// stops at is not an address (the header is then ignored).
fn walk_for(headers: &HeaderMap, trusted: &Trusted) -> Option<(SocketAddr, usize)> {
    let mut last = None;
    for (pos, entry) in entries_from_right(headers, &X_FORWARDED_FOR).enumerate() {
        let addr = parse_node(entry)?;
        last = Some((addr, pos));
        if !trusted.contains(addr.ip()) {
            break;
        }
    }
    last
}

/// The entry of `name` that goes with the client: its only entry, or, when it has as
/// many entries as `X-Forwarded-For` (one per hop), the one at the client's position.
/// Any other count is ambiguous: `None`, the header is ignored.
fn pick<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    position: Option<usize>,
) -> Option<&'h [u8]> {
    let count = entry_count(headers, name);
    match count {
        0 => None,
        1 => entries_from_right(headers, name).next(),
        _ => {
            let position = position?;
            if count == entry_count(headers, &X_FORWARDED_FOR) {
                entries_from_right(headers, name).nth(position)
            } else {
                None
            }
        }
    }
}

/// The comma-separated entries of every `name` line, trimmed, last first.
fn entries_from_right<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> impl Iterator<Item = &'h [u8]> {
    headers
        .get_all(name)
        .iter()
        .rev()
        .flat_map(|line| line.as_bytes().rsplit(|&b| b == b','))
        .map(trim_ows)
}

fn entry_count(headers: &HeaderMap, name: &HeaderName) -> usize {
    headers
        .get_all(name)
        .iter()
        .map(|line| 1 + line.as_bytes().iter().filter(|&&b| b == b',').count())
        .sum()
}

pub(super) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// An `X-Forwarded-For` entry: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`, or either
/// with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`), which some proxies add. The
/// port is `0` when there is none.
fn parse_node(entry: &[u8]) -> Option<SocketAddr> {
    let s = std::str::from_utf8(entry).ok()?;
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 0));
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Some(addr);
    }
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let ip = inner.parse::<Ipv6Addr>().ok()?;
    Some(SocketAddr::new(ip.into(), 0))
}
