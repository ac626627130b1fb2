//! Which precompressed sibling (`file.br`, `file.gz`) a client accepts, from its
//! `Accept-Encoding` (RFC 9110 §12.5.3, quality values included).

use http::HeaderValue;

/// A precompressed sibling's coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `file.br`, `Content-Encoding: br`.
    Brotli,
    /// `file.gz`, `Content-Encoding: gzip`.
    Gzip,
}

impl Coding {
    /// The sibling's file name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Coding::Brotli => ".br",
            Coding::Gzip => ".gz",
        }
    }

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }
}

/// The codings to try, best first: those with a quality above zero, by quality;
/// brotli before gzip when equal (smaller). `*` stands for codings not named.
pub fn preferred(accept: Option<&HeaderValue>) -> Vec<Coding> {
    let Some(accept) = accept.and_then(|a| a.to_str().ok()) else {
        return Vec::new();
    };
    let (mut br, mut gzip, mut any) = (None, None, None);
    for item in accept.split(',') {
        let mut params = item.split(';');
        let coding = params.next().unwrap_or("").trim();
        let q = params
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
            })
            .map_or(Some(1000), quality);
        let Some(q) = q else { continue };
        if coding.eq_ignore_ascii_case("br") {
            br = Some(q);
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(q);
        } else if coding == "*" {
            any = Some(q);
        }
    }
    let mut out: Vec<(u16, Coding)> = [(br, Coding::Brotli), (gzip, Coding::Gzip)]
        .into_iter()
        .filter_map(|(q, c)| Some((q.or(any)?, c)))
        .filter(|(q, _)| *q > 0)
        .collect();
    // Stable: brotli stays first among equals.
    out.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
    out.into_iter().map(|(_, c)| c).collect()
}

/// A quality value (`0`, `0.5`, `1.000`) in thousandths; None when malformed.
fn quality(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;
    use Coding::*;

    fn p(accept: &str) -> Vec<Coding> {
        preferred(Some(&HeaderValue::from_str(accept).unwrap()))
    }

    #[test]
    fn brotli_wins_a_tie_with_gzip() {
        assert_eq!(p("gzip, deflate, br"), vec![Brotli, Gzip]);
    }

    #[test]
    fn quality_values_order_the_codings() {
        assert_eq!(p("br;q=0.5, gzip;q=0.8"), vec![Gzip, Brotli]);
        assert_eq!(p("br;q=1.0, gzip;q=0.999"), vec![Brotli, Gzip]);
    }

    #[test]
    fn a_zero_quality_refuses_a_coding() {
        assert_eq!(p("br;q=0, gzip"), vec![Gzip]);
        assert_eq!(p("gzip;q=0.000"), Vec::<Coding>::new());
    }

    #[test]
    fn the_wildcard_covers_codings_not_named() {
        assert_eq!(p("*"), vec![Brotli, Gzip]);
        assert_eq!(p("gzip;q=0, *;q=0.5"), vec![Brotli]);
    }

    #[test]
    fn nothing_is_chosen_without_the_header_or_with_identity_only() {
        assert_eq!(preferred(None), Vec::<Coding>::new());
        assert_eq!(p("identity"), Vec::<Coding>::new());
    }

    #[test]
    fn a_malformed_quality_drops_that_coding() {
        assert_eq!(p("br;q=2, gzip;q=0.5"), vec![Gzip]);
        assert_eq!(p("br;q=abc"), Vec::<Coding>::new());
    }
}
