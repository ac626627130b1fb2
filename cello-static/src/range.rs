//! `Range: bytes=...` → the byte ranges to send (RFC 9110 §14).
//!
//! The syntax is checked by `http-range-header`; what to do with ranges that are
//! out of bounds, reversed or overlapping is decided here, as the RFC allows: a
//! header that does not parse, or asks for too many ranges, is ignored (the whole
//! file, 200); ranges past the end are dropped, and 416 comes only when none is left;
//! overlapping or adjacent ranges are merged (so a client cannot make us send the
//! same bytes many times).

use http::HeaderValue;
use http_range_header::{EndPosition, StartPosition};
use std::ops::RangeInclusive;

/// More ranges than this in one header: the header is ignored and the whole file
/// sent (as Apache does), rather than answering hundreds of tiny parts.
pub const MAX_RANGES: usize = 16;

/// What a `Range` header asks of a file of a given length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ranges {
    /// No header, or one to ignore: the whole file, 200.
    Full,
    /// These ranges (sorted, disjoint, at least one), 206.
    Partial(Vec<RangeInclusive<u64>>),
    /// No range overlaps the file: 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Reads `header` (a `Range` value) against a file of `len` bytes.
pub fn ranges(header: Option<&HeaderValue>, len: u64) -> Ranges {
    let Some(text) = header.and_then(|h| h.to_str().ok()) else {
        return Ranges::Full;
    };
    let Ok(parsed) = http_range_header::parse_range_header(text) else {
        return Ranges::Full;
    };
    if parsed.ranges.len() > MAX_RANGES {
        return Ranges::Full;
    }
    let mut out: Vec<RangeInclusive<u64>> = Vec::with_capacity(parsed.ranges.len());
    for range in &parsed.ranges {
        let (start, end) = match (range.start, range.end) {
            (StartPosition::Index(start), EndPosition::Index(end)) => {
                if end < start {
                    // `bytes=9-5` is invalid syntax: the whole header is ignored.
                    return Ranges::Full;
                }
                (start, end)
            }
            (StartPosition::Index(start), EndPosition::LastByte) => (start, u64::MAX),
            // A suffix longer than the file is the whole file.
            (StartPosition::FromLast(n), _) => (len.saturating_sub(n), u64::MAX),
        };
        if start >= len {
            continue;
        }
        out.push(start..=end.min(len - 1));
    }
    if out.is_empty() {
        return Ranges::Unsatisfiable;
    }
    Ranges::Partial(merge(out))
}

/// Sorts and merges overlapping or adjacent ranges.
fn merge(mut ranges: Vec<RangeInclusive<u64>>) -> Vec<RangeInclusive<u64>> {
    ranges.sort_by_key(|r| *r.start());
    let mut merged: Vec<RangeInclusive<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if *r.start() <= last.end().saturating_add(1) => {
                let end = (*last.end()).max(*r.end());
                *last = *last.start()..=end;
            }
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;

    fn r(header: &str, len: u64) -> Ranges {
        ranges(Some(&HeaderValue::from_str(header).unwrap()), len)
    }

    #[test]
    fn a_first_bytes_range_is_one_part() {
        assert_eq!(r("bytes=0-9", 100), Ranges::Partial(vec![0..=9]));
    }

    #[test]
    fn a_suffix_range_is_the_last_bytes() {
        assert_eq!(r("bytes=-5", 100), Ranges::Partial(vec![95..=99]));
        assert_eq!(r("bytes=-500", 100), Ranges::Partial(vec![0..=99]));
    }

    #[test]
    fn an_open_range_runs_to_the_end() {
        assert_eq!(r("bytes=5-", 100), Ranges::Partial(vec![5..=99]));
    }

    #[test]
    fn an_end_past_the_file_is_cut_to_it() {
        assert_eq!(r("bytes=90-1000", 100), Ranges::Partial(vec![90..=99]));
    }

    #[test]
    fn several_ranges_stay_apart_in_order() {
        assert_eq!(
            r("bytes=50-59, 0-9", 100),
            Ranges::Partial(vec![0..=9, 50..=59])
        );
    }

    #[test]
    fn overlapping_and_adjacent_ranges_are_merged() {
        assert_eq!(r("bytes=0-20,5-10", 100), Ranges::Partial(vec![0..=20]));
        assert_eq!(r("bytes=0-9,10-19", 100), Ranges::Partial(vec![0..=19]));
        assert_eq!(r("bytes=0-9,-95", 100), Ranges::Partial(vec![0..=99]));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(r("bytes=100-", 100), Ranges::Unsatisfiable);
        assert_eq!(r("bytes=200-300", 100), Ranges::Unsatisfiable);
        assert_eq!(r("bytes=0-0", 0), Ranges::Unsatisfiable);
    }

    #[test]
    fn a_satisfiable_range_among_unsatisfiable_ones_is_served() {
        assert_eq!(r("bytes=200-300,0-1", 100), Ranges::Partial(vec![0..=1]));
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for bad in [
            "bytes=",
            "bytes=abc",
            "bytes=5-1",
            "items=0-1",
            "bytes 0-1",
            "bytes=0-1,",
            "bytes=--1",
        ] {
            assert_eq!(r(bad, 100), Ranges::Full, "{bad}");
        }
        assert_eq!(ranges(None, 100), Ranges::Full);
    }

    #[test]
    fn too_many_ranges_are_ignored() {
        let many: Vec<String> = (0..=MAX_RANGES)
            .map(|i| format!("{}-{}", i * 3, i * 3))
            .collect();
        assert_eq!(r(&format!("bytes={}", many.join(",")), 1000), Ranges::Full);
    }
}
