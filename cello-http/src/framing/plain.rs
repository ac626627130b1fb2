//! The short path for the common read: one or more whole heads of plain requests.

use memchr::memchr2;

/// The common request, read in one go: a whole head in `buf` from `at`, `HTTP/1.1`,
/// not `CONNECT`, with no field that decides framing or a protocol switch but at most
/// one valid `Content-Length`. Returns where the head ends and the body length; the
/// state machine would end there too, in `Start` or `Length(n)`. Anything else is
/// `None`, and the state machine reads it from the same byte.
///
/// Measured with callgrind on the tracker alone, one read: `GET /json` + one `Host`
/// line costs ~520 instructions through the state machine (memchr costs 40-50 a call
/// on lines this short, a state step ~30), ~190 here; a small `POST` with `Host`,
/// `Content-Type` and `Content-Length` ~2,750 there, ~560 here.
pub(super) fn plain_head(buf: &[u8], at: usize) -> Option<(usize, u64)> {
    if matches!(buf.get(at)?, b'\r' | b'\n' | b'C') {
        return None;
    }
    // As the state machine: the method, the target, then the version token.
    let sp = match buf.get(at..at + 4) {
        Some(b"GET ") => at + 3,
        _ => find(buf, at + 1, b' ', b'\n')?,
    };
    let sp = find(buf, sp + 1, b' ', b'\n').filter(|&j| buf[sp] == b' ' && buf[j] == b' ')?;
    let mut line = sp + 11;
    if buf.get(sp + 1..line)? != b"HTTP/1.1\r\n" {
        return None;
    }
    let mut length = None;
    loop {
        let first = *buf.get(line)?;
        if first == b'\r' {
            return (*buf.get(line + 1)? == b'\n').then_some((line + 2, length.unwrap_or(0)));
        }
        if first == b'\n' {
            return None;
        }
        let end = find(buf, line + 1, b'\n', b'\n')?;
        let name: &[u8] = match first | 0x20 {
            b'c' => b"content-length:",
            b't' => b"transfer-encoding:",
            b'u' => b"upgrade:",
            _ => b"",
        };
        if !name.is_empty() && is_field(&buf[line..end], name) {
            if first | 0x20 != b'c' || length.is_some() {
                return None;
            }
            length = Some(digits(&buf[line + name.len()..end])?);
        }
        line = end + 1;
    }
}

/// Whether `line` is the field `name` (lowercase letters, `-` and a final `:`), in
/// any case, as the state machine reads it; eight bytes at a time, the last eight
/// first (`Content-Type` and `Content-Length` differ there). Case is folded only where
/// `name` has a letter (bit 6 set), so the test is exact: `\r` is no `-`.
fn is_field(line: &[u8], name: &[u8]) -> bool {
    let Some(line) = line.get(..name.len()) else {
        return false;
    };
    let word = |s: &[u8], at: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let last = name.len() - 8;
    [last, 0, 8.min(last)].iter().all(|&at| {
        let want = word(name, at);
        word(line, at) | ((want & u64::from_ne_bytes([0x40; 8])) >> 1) == want
    })
}

/// A `Content-Length` value in its plain form (SP/HTAB, 1 to 19 digits, SP/HTAB, the
/// line's CR), else `None` for the state machine to read.
fn digits(value: &[u8]) -> Option<u64> {
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    let (mut n, mut count, mut trail) = (0u64, 0, false);
    for &b in value {
        match b {
            b'0'..=b'9' if !trail && count < 19 => {
                n = n * 10 + u64::from(b - b'0');
                count += 1;
            }
            b' ' | b'\t' => trail = count > 0,
            _ => return None,
        }
    }
    (count > 0).then_some(n)
}

/// The first `a` or `b` in `buf` from `from`: eight bytes at a time for the first 32
/// (head lines are short, where memchr's setup costs more than the scan), memchr after.
#[inline(always)]
fn find(buf: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let end = buf.len().min(from + 32);
    let mut i = from;
    while i + 8 <= end {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(&buf[i..i + 8]).unwrap_or_default());
        let (xa, xb) = (word ^ (LO * u64::from(a)), word ^ (LO * u64::from(b)));
        // A zero byte of xa or xb; the lowest flagged byte is exact (higher ones may
        // be false after a borrow), so the first match is where the lowest bit is.
        let hits = if a == b {
            xa.wrapping_sub(LO) & !xa & HI
        } else {
            ((xa.wrapping_sub(LO) & !xa) | (xb.wrapping_sub(LO) & !xb)) & HI
        };
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = buf.get(i..)?;
    let at = if rest.len() < 8 {
        rest.iter().position(|&c| c == a || c == b)
    } else {
        memchr2(a, b, rest)
    };
    at.map(|j| i + j)
}
