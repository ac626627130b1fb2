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
    buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Appends an unsigned integer in decimal (itoa).
#[inline]
pub fn write_u64(buf: &mut Vec<u8>, value: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Appends the shortest decimal that reads back as the same `f64` (ryu):
/// `1.0`, `-0.0`, `0.1`, `1e308`, `5e-324`. This is serde_json's output except
/// that recent serde_json spells a positive exponent `1e+308`; both are JSON.
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
    buf.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
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
        for v in [0.0, -0.0, 1.0, 0.1, 1e308, 5e-324, -1.5e-7, 123456789.125] {
            let mut buf = Vec::new();
            assert!(write_f64(&mut buf, v).is_ok());
            let text = String::from_utf8(buf).unwrap_or_default();
            let serde = serde_json::to_string(&v).unwrap_or_default();
            assert_eq!(text, serde.replace("e+", "e"));
            assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(v.to_bits()));
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
