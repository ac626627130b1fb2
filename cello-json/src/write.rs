//! Writing numbers and literals; [`write_str`](crate::write_str) lives in `escape.rs`.

use crate::error::NonFiniteFloat;

/// Appends `null`.
#[inline]
pub fn write_null(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"null");
}

/// Appends `true` or `false`.
#[inline]
pub fn write_bool(buf: &mut Vec<u8>, value: bool) {
    buf.extend_from_slice(if value { b"true" } else { b"false" });
}

/// Appends a signed integer in decimal (itoa).
///
/// ```
/// let mut buf = Vec::new();
/// cello_json::write_i64(&mut buf, i64::MIN);
/// assert_eq!(buf, b"-9223372036854775808");
/// ```
#[inline]
pub fn write_i64(buf: &mut Vec<u8>, value: i64) {
    if value < 0 {
        buf.push(b'-');
    }
    write_digits(buf, value.unsigned_abs());
}

/// Appends an unsigned integer in decimal (itoa).
#[inline]
pub fn write_u64(buf: &mut Vec<u8>, value: u64) {
    write_digits(buf, value);
}

/// Decimal digits written backwards straight into spare capacity: no temporary
/// buffer and no `memcpy` call (itoa's buffer plus `extend_from_slice` was one).
#[inline]
fn write_digits(buf: &mut Vec<u8>, mut v: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";
    let len = {
        let mut n = 1;
        let mut t = v;
        while t >= 10 {
            t /= 10;
            n += 1;
        }
        n
    };
    buf.reserve(len);
    let base = buf.len();
    // SAFETY: `len` bytes were reserved past `base` and every one of them is written
    // below (from the end backwards) before `set_len`.
    unsafe {
        let mut end = buf.as_mut_ptr().add(base + len);
        while v >= 100 {
            let pair = (v % 100) as usize * 2;
            v /= 100;
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(pair), end, 2);
        }
        if v >= 10 {
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(v as usize * 2), end, 2);
        } else {
            end = end.sub(1);
            *end = b'0' + v as u8;
        }
        buf.set_len(base + len);
    }
}

/// Appends the shortest decimal that reads back as the same `f64`:
/// `1.0`, `-0.0`, `0.1`, `1e308`, `5e-324`. This is orjson's output, and
/// serde_json's except that serde_json spells a positive exponent `1e+308`;
/// both are JSON.
///
/// The digits come from zmij (Schubfach), measured at a third of ryu's time on
/// the floats of benches/json_micro.py's records (`i * 3.14159`, 16-17 digits):
/// ryu was 15% of encoding that sample.
///
/// # Errors
/// [`NonFiniteFloat`] for NaN and the infinities, which JSON cannot spell;
/// `buf` is left unchanged and the caller decides what to write instead.
///
/// ```
/// let mut buf = Vec::new();
/// cello_json::write_f64(&mut buf, 0.1).unwrap();
/// assert_eq!(buf, b"0.1");
/// assert!(cello_json::write_f64(&mut buf, f64::NAN).is_err());
/// ```
#[inline]
pub fn write_f64(buf: &mut Vec<u8>, value: f64) -> Result<(), NonFiniteFloat> {
    if !value.is_finite() {
        return Err(NonFiniteFloat(value));
    }
    let mut digits = zmij::Buffer::new();
    let text = digits.format_finite(value).as_bytes();
    // zmij writes `e+` before a positive exponent of at most three digits.
    let plus = (2..=4)
        .map(|back| text.len().wrapping_sub(back))
        .find(|&i| text.get(i) == Some(&b'+'));
    match plus {
        None => buf.extend_from_slice(text),
        Some(i) => {
            buf.extend_from_slice(text.get(..i).unwrap_or_default());
            buf.extend_from_slice(text.get(i + 1..).unwrap_or_default());
        }
    }
    Ok(())
}

/// Appends `json` unchanged: a fragment the caller knows is valid JSON.
#[inline]
pub fn write_raw(buf: &mut Vec<u8>, json: &[u8]) {
    buf.extend_from_slice(json);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        f(&mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn writes_literals_and_integers() {
        assert_eq!(written(write_null), "null");
        assert_eq!(written(|b| write_bool(b, true)), "true");
        assert_eq!(written(|b| write_bool(b, false)), "false");
        assert_eq!(written(|b| write_i64(b, -42)), "-42");
        assert_eq!(written(|b| write_u64(b, u64::MAX)), "18446744073709551615");
        assert_eq!(written(|b| write_raw(b, b"[1]")), "[1]");
    }

    #[test]
    fn writes_floats_like_serde_json() {
        for v in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e308,
            5e-324,
            -1.5e-7,
            123456789.125,
            1e15,
            1e16,
            1e17,
            1.5e22,
            2.5e-5,
            9.424769999999999,
            3141.59,
            -1e100,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut buf = Vec::new();
            assert!(write_f64(&mut buf, v).is_ok());
            let text = String::from_utf8(buf).unwrap_or_default();
            let serde = serde_json::to_string(&v).unwrap_or_default();
            assert_eq!(text, serde.replace("e+", "e"));
            assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(v.to_bits()));
        }
    }

    #[test]
    fn writes_floats_that_read_back_exactly_without_a_plus_sign() {
        // A cheap xorshift walk over bit patterns: every exponent range gets hit.
        let mut bits = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let v = f64::from_bits(bits);
            let mut buf = Vec::new();
            if write_f64(&mut buf, v).is_err() {
                assert!(!v.is_finite());
                continue;
            }
            let text = String::from_utf8(buf).unwrap_or_default();
            assert!(!text.contains('+'), "{text}");
            assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(bits), "{text}");
        }
    }

    #[test]
    fn refuses_non_finite_floats_and_leaves_the_buffer_alone() {
        let mut buf = b"x".to_vec();
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(write_f64(&mut buf, v).is_err());
        }
        assert_eq!(buf, b"x");
    }
}
