//! Choosing a content coding from `Accept-Encoding` (RFC 9110 §12.5.3) and its q-values.
//!
//! Parsed straight from the header bytes, without allocating: an element that is not
//! `coding [ OWS ";" OWS "q=" qvalue ]` is ignored, so garbage never fails a request.

use super::Encoding;
use http::{header, HeaderMap};

/// Which codings a layer may produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Enabled {
    pub(super) gzip: bool,
    pub(super) br: bool,
    pub(super) zstd: bool,
}

impl Enabled {
    pub(super) const ALL: Self = Self {
        gzip: true,
        br: true,
        zstd: true,
    };

    pub(super) fn any(self) -> bool {
        self.gzip || self.br || self.zstd
    }
}

/// A q-value in thousandths: `q=0.5` is 500, `q=1` is 1000.
type Q = u16;

/// What the header said about each coding; `None` where it did not name it.
#[derive(Debug, Default)]
struct Weights {
    gzip: Option<Q>,
    br: Option<Q>,
    zstd: Option<Q>,
    identity: Option<Q>,
    star: Option<Q>,
}

/// The coding to send, or `None` for identity (no compression).
///
/// - Each enabled coding gets its own q-value, or the `*` q-value, or 0 when neither is
///   given; the highest q above 0 wins, ties going to zstd, then br, then gzip.
/// - Identity gets its own q-value, or the `*` one; when neither is given it is
///   acceptable but ranks below every coding the client listed (so `gzip;q=0.5`
///   compresses). A coding wins only if its q is at least identity's.
/// - When no coding is acceptable, the answer is identity, even if the client wrote
///   `identity;q=0` or `*;q=0`: RFC 9110 §12.1 lets a server send a response that does
///   not match the preferences rather than `406`, and by the time a response exists the
///   handler has already run. So `406 Not Acceptable` is never sent.
/// - A repeated coding counts once, at its first q-value.
pub(super) fn negotiate(headers: &HeaderMap, enabled: Enabled) -> Option<Encoding> {
    let mut w = Weights::default();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        for element in value.as_bytes().split(|&b| b == b',') {
            if let Some((coding, q)) = parse_element(element) {
                let slot = match coding {
                    Coding::Gzip => &mut w.gzip,
                    Coding::Br => &mut w.br,
                    Coding::Zstd => &mut w.zstd,
                    Coding::Identity => &mut w.identity,
                    Coding::Star => &mut w.star,
                };
                slot.get_or_insert(q);
            }
        }
    }

    let q_of = |named: Option<Q>, on: bool| if on { named.or(w.star).unwrap_or(0) } else { 0 };
    let mut best: Option<(Encoding, Q)> = None;
    // Preference order for ties; a later one replaces only with a strictly higher q.
    for (encoding, q) in [
        (Encoding::Zstd, q_of(w.zstd, enabled.zstd)),
        (Encoding::Brotli, q_of(w.br, enabled.br)),
        (Encoding::Gzip, q_of(w.gzip, enabled.gzip)),
    ] {
        if q > 0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((encoding, q));
        }
    }
    let (encoding, q) = best?;
    match w.identity.or(w.star) {
        Some(identity_q) if identity_q > q => None,
        _ => Some(encoding),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Br,
    Zstd,
    Identity,
    Star,
}

/// One list element: a coding this module knows, and its weight (default 1).
fn parse_element(element: &[u8]) -> Option<(Coding, Q)> {
    let (name, weight) = match element.iter().position(|&b| b == b';') {
        Some(i) => (&element[..i], Some(&element[i + 1..])),
        None => (element, None),
    };
    let name = trim_ows(name);
    let coding = if name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip") {
        Coding::Gzip
    } else if name.eq_ignore_ascii_case(b"br") {
        Coding::Br
    } else if name.eq_ignore_ascii_case(b"zstd") {
        Coding::Zstd
    } else if name.eq_ignore_ascii_case(b"identity") {
        Coding::Identity
    } else if name == b"*" {
        Coding::Star
    } else {
        return None;
    };
    let q = match weight {
        None => 1000,
        Some(weight) => parse_weight(trim_ows(weight))?,
    };
    Some((coding, q))
}

/// `q=` followed by a qvalue, `q` in either case: `"0" [ "." 0*3DIGIT ]` or
/// `"1" [ "." 0*3("0") ]`.
fn parse_weight(weight: &[u8]) -> Option<Q> {
    let value = match weight {
        [b'q' | b'Q', b'=', value @ ..] => value,
        _ => return None,
    };
    let (int, frac) = match value {
        [int] => (*int, &[][..]),
        [int, b'.', frac @ ..] if frac.len() <= 3 => (*int, frac),
        _ => return None,
    };
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match int {
        b'0' => {
            let mut q: Q = 0;
            let mut scale = 100;
            for digit in frac {
                q += Q::from(digit - b'0') * scale;
                scale /= 10;
            }
            Some(q)
        }
        b'1' if frac.iter().all(|&d| d == b'0') => Some(1000),
        _ => None,
    }
}

/// Strip optional whitespace (spaces and tabs) from both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

    use super::*;
    use http::HeaderValue;

    fn pick(values: &[&[u8]]) -> Option<Encoding> {
        pick_from(values, Enabled::ALL)
    }

    fn pick_from(values: &[&[u8]], enabled: Enabled) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, HeaderValue::from_bytes(v).unwrap());
        }
        negotiate(&headers, enabled)
    }

    #[test]
    fn without_the_header_sends_identity() {
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn an_empty_header_sends_identity() {
        assert_eq!(pick(&[b""]), None);
    }

    #[test]
    fn equal_q_values_prefer_zstd_then_br_then_gzip() {
        assert_eq!(pick(&[b"gzip, deflate, br, zstd"]), Some(Encoding::Zstd));
        assert_eq!(pick(&[b"gzip, br"]), Some(Encoding::Brotli));
        assert_eq!(pick(&[b"deflate, gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"x-gzip"]), Some(Encoding::Gzip));
    }

    #[test]
    fn the_highest_q_value_wins() {
        assert_eq!(
            pick(&[b"zstd;q=0.5, gzip;q=0.9, br;q=0.1"]),
            Some(Encoding::Gzip)
        );
        assert_eq!(
            pick(&[b" gzip\t; q=0.5 ,\tbr ;\tQ=0.8\t"]),
            Some(Encoding::Brotli)
        );
    }

    #[test]
    fn values_on_several_header_lines_combine() {
        assert_eq!(pick(&[b"gzip;q=0.5", b"br"]), Some(Encoding::Brotli));
    }

    #[test]
    fn q_zero_excludes_a_coding() {
        assert_eq!(pick(&[b"zstd;q=0, gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"gzip;q=0"]), None);
        assert_eq!(pick(&[b"gzip;q=0.000"]), None);
    }

    #[test]
    fn star_covers_codings_not_named() {
        assert_eq!(pick(&[b"*"]), Some(Encoding::Zstd));
        assert_eq!(pick(&[b"zstd;q=0, br;q=0, *"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"*;q=0.5, gzip"]), Some(Encoding::Gzip));
    }

    #[test]
    fn nothing_acceptable_sends_identity_rather_than_406() {
        assert_eq!(pick(&[b"identity;q=0"]), None);
        assert_eq!(pick(&[b"*;q=0"]), None);
        assert_eq!(pick(&[b"deflate, compress"]), None);
    }

    #[test]
    fn refusing_identity_still_picks_an_acceptable_coding() {
        assert_eq!(pick(&[b"identity;q=0, gzip;q=0.1"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"*;q=0, br"]), Some(Encoding::Brotli));
    }

    #[test]
    fn a_client_that_prefers_identity_gets_identity() {
        assert_eq!(pick(&[b"gzip;q=0.5, identity"]), None);
        assert_eq!(pick(&[b"*;q=0.9, gzip;q=0.5"]), Some(Encoding::Zstd));
        assert_eq!(pick(&[b"gzip;q=0.5, identity;q=0.5"]), Some(Encoding::Gzip));
    }

    #[test]
    fn an_unlisted_identity_ranks_below_a_low_q_coding() {
        assert_eq!(pick(&[b"gzip;q=0.001"]), Some(Encoding::Gzip));
    }

    #[test]
    fn disabled_codings_are_never_chosen() {
        let gzip_only = Enabled {
            gzip: true,
            br: false,
            zstd: false,
        };
        assert_eq!(pick_from(&[b"zstd, br"], gzip_only), None);
        assert_eq!(pick_from(&[b"*"], gzip_only), Some(Encoding::Gzip));
        assert_eq!(
            pick_from(&[b"zstd, gzip;q=0.1"], gzip_only),
            Some(Encoding::Gzip)
        );
    }

    #[test]
    fn garbage_elements_are_ignored_and_the_rest_still_counts() {
        assert_eq!(pick(&[b",,;;q=x, \xff\x80, gzip"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"gzip;level=9"]), None);
        assert_eq!(pick(&[b";q=1"]), None);
        assert_eq!(pick(&[b"gzipbr"]), None);
        assert_eq!(pick(&[b"\xe9\xe9, br"]), Some(Encoding::Brotli));
    }

    #[test]
    fn malformed_q_values_ignore_their_element() {
        for bad in [
            &b"gzip;q=-0.1"[..],
            b"gzip;q=00.5",
            b"gzip;q=0.5000",
            b"gzip;q=.5",
            b"gzip;q=1.01",
            b"gzip;q=1.001",
            b"gzip;q=2",
            b"gzip;q =0.5",
            b"gzip;q= 0.5",
            b"gzip;q=",
            b"gzip;q=0.5x",
        ] {
            assert_eq!(pick(&[bad]), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(pick(&[b"gzip;q=1.000"]), Some(Encoding::Gzip));
        assert_eq!(pick(&[b"gzip;q=1."]), Some(Encoding::Gzip));
    }

    #[test]
    fn a_repeated_coding_counts_at_its_first_q_value() {
        assert_eq!(pick(&[b"gzip;q=0, gzip"]), None);
        assert_eq!(pick(&[b"gzip, gzip;q=0"]), Some(Encoding::Gzip));
    }

    #[test]
    fn q_values_parse_to_thousandths() {
        assert_eq!(parse_weight(b"q=0.5"), Some(500));
        assert_eq!(parse_weight(b"q=0.05"), Some(50));
        assert_eq!(parse_weight(b"q=0.123"), Some(123));
        assert_eq!(parse_weight(b"q=0"), Some(0));
        assert_eq!(parse_weight(b"Q=1"), Some(1000));
    }
}
