//! Writing a Rust string as a JSON string literal.
//!
//! Most strings in API responses need no escaping at all, so the string is
//! copied into the buffer a block at a time while it is scanned for `"`, `\` or a
//! control character (see `scan.rs`); only a string that has one goes on to the
//! escaping loop. Non-ASCII text is copied as UTF-8.

use crate::scan::{copy_until_escape, BLOCK};

/// `ESCAPE[b]` is 0 when byte `b` is written as is, `b'u'` for `\u00XX`, or the
/// letter that follows the backslash (`"`, `\`, `b`, `f`, `n`, `r`, `t`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes the escape for `byte` at `dst` and returns its length (2 or 6).
///
/// # Safety
/// `dst..dst + 6` must be writable.
#[inline(always)]
unsafe fn write_escape(dst: *mut u8, byte: u8) -> usize {
    let letter = ESCAPE[usize::from(byte)];
    // SAFETY: the caller guarantees 6 writable bytes; the stores are unaligned.
    unsafe {
        if letter == b'u' {
            let hex = |nibble: u8| HEX[usize::from(nibble & 0xf)];
            dst.cast::<[u8; 6]>().write_unaligned([
                b'\\',
                b'u',
                b'0',
                b'0',
                hex(byte >> 4),
                hex(byte),
            ]);
            6
        } else {
            dst.cast::<[u8; 2]>().write_unaligned([b'\\', letter]);
            2
        }
    }
}

/// Appends `s` to `buf` as a quoted JSON string.
///
/// `"` and `\` are escaped with a backslash, control characters below 0x20 as
/// `\b \t \n \f \r` or `\u00XX`; everything else, non-ASCII included, is copied
/// unchanged. The output is byte-for-byte what `serde_json::to_string` writes.
///
/// ```
/// let mut buf = Vec::new();
/// cello_json::write_str(&mut buf, "say \"hé\"\n");
/// assert_eq!(String::from_utf8(buf).unwrap(), r#""say \"hé\"\n""#);
/// ```
#[inline]
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    // Clean strings (the common case) are copied a block at a time straight into
    // spare capacity while they are scanned, so a short key costs no `memcpy` call
    // (measured: `memcpy` calls were 11% of encoding a list of records).
    buf.reserve(n + 2 + BLOCK);
    let base = buf.len();
    // SAFETY: `reserve` made room for `n + 2 + BLOCK` bytes past `base`: the opening
    // quote, the string with the `BLOCK` bytes of slack `copy_until_escape` may
    // write, and the closing quote. `set_len` counts only bytes written.
    unsafe {
        let start = buf.as_mut_ptr().add(base);
        *start = b'"';
        match copy_until_escape(bytes, start.add(1)) {
            None => {
                *start.add(1 + n) = b'"';
                buf.set_len(base + n + 2);
            }
            Some(at) => {
                buf.set_len(base + 1 + at);
                write_escaped_from(buf, bytes, at);
            }
        }
    }
}

/// The rest of `bytes` from `i` (where the first byte needing an escape is),
/// escaping as needed, then the closing quote. Between escapes it copies and
/// scans like `write_str`, so a long string with a few escapes stays fast.
#[inline(never)]
fn write_escaped_from(buf: &mut Vec<u8>, bytes: &[u8], mut i: usize) {
    // `bytes[i]`, when there is one, always needs an escape.
    while let Some(&byte) = bytes.get(i) {
        let rest = bytes.get(i + 1..).unwrap_or_default();
        buf.reserve(6 + rest.len() + BLOCK + 1);
        // SAFETY: room was reserved for the escape (at most 6 bytes), the rest of
        // the string plus the `BLOCK` bytes of slack `copy_until_escape` may write,
        // and the closing quote; `set_len` counts only bytes written.
        unsafe {
            let p = buf.as_mut_ptr();
            let len = buf.len() + write_escape(p.add(buf.len()), byte);
            match copy_until_escape(rest, p.add(len)) {
                None => {
                    *p.add(len + rest.len()) = b'"';
                    buf.set_len(len + rest.len() + 1);
                    return;
                }
                Some(k) => {
                    buf.set_len(len + k);
                    i += 1 + k;
                }
            }
        }
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::needs_escape;

    fn quoted(s: &str) -> String {
        let mut buf = Vec::new();
        write_str(&mut buf, s);
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn writes_clean_strings_between_quotes() {
        assert_eq!(quoted(""), r#""""#);
        assert_eq!(
            quoted("hello, world: a clean string"),
            r#""hello, world: a clean string""#
        );
        assert_eq!(quoted("héllo 😀 日本"), "\"héllo 😀 日本\"");
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quoted("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(quoted("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
    }

    /// serde_json's quoting, the reference `write_str` must match byte for byte.
    fn serde(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_default()
    }

    #[test]
    fn finds_escapes_at_every_offset_of_a_block_and_its_tail() {
        // Lengths past two 16-byte blocks cover the short path, the block loop and
        // the overlapping last block; one or two specials at every position.
        let clean: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"
            .chars()
            .collect();
        for len in 0..clean.len() {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}'] {
                    let mut s = clean[..len].to_vec();
                    s[at] = special;
                    let one: String = s.iter().collect();
                    assert_eq!(quoted(&one), serde(&one), "len {len} at {at}");
                    s[len - 1 - at / 2] = '\t';
                    let two: String = s.iter().collect();
                    assert_eq!(quoted(&two), serde(&two), "len {len} at {at} and tab");
                }
            }
        }
    }

    #[test]
    fn copies_clean_strings_of_every_length() {
        let text = "0123456789abcdefghijklmnopqrstuvwxyz!#$%&'()*+,-./:;<=>?@[]^_`{|}~ ";
        for len in 0..text.len() {
            assert_eq!(quoted(&text[..len]), serde(&text[..len]), "len {len}");
        }
    }

    #[test]
    fn copies_non_ascii_across_block_edges() {
        // Multi-byte characters straddling every 8- and 16-byte boundary, with and
        // without an escape after them; bytes >= 0x80 never count as control bytes.
        for pad in 0..20 {
            for c in ['é', '—', '日', '😀', '\u{7f}', '\u{80}', '\u{2028}'] {
                let s = format!("{}{c}{c}{}", "x".repeat(pad), "y".repeat(pad % 7));
                assert_eq!(quoted(&s), serde(&s), "pad {pad} char {c:?}");
                let s = format!("{s}\"{}", "日本".repeat(pad));
                assert_eq!(quoted(&s), serde(&s), "pad {pad} char {c:?} then quote");
            }
        }
    }

    #[test]
    fn escapes_runs_of_escapes_and_long_gaps_between_them() {
        for gap in [0, 1, 7, 15, 16, 17, 31, 32, 33, 100] {
            let piece = format!("{}\n\u{1}\"", "é".repeat(gap));
            let s = piece.repeat(5);
            assert_eq!(quoted(&s), serde(&s), "gap {gap}");
        }
    }

    #[test]
    fn finds_escapes_at_every_offset_of_long_strings() {
        // Long enough for the 64-byte AVX2 loop, its SSE2 tail and the last block.
        let clean: String = "ab日cdé—fgh".chars().cycle().take(90).collect();
        for len in [128, 150, 191, 192, 200, 257] {
            let base: String = clean.repeat(4).chars().take(len).collect();
            for at in 0..base.len() {
                if !base.is_char_boundary(at) {
                    continue;
                }
                for special in ["\"", "\\", "\u{1f}"] {
                    let mut s = base.clone();
                    s.insert_str(at, special);
                    assert_eq!(quoted(&s), serde(&s), "len {len} at {at}");
                }
            }
            assert_eq!(quoted(&base), serde(&base), "len {len} clean");
        }
    }

    #[test]
    fn appends_after_existing_content() {
        let mut buf = b"[1,".to_vec();
        write_str(&mut buf, "a\"b");
        write_str(&mut buf, "0123456789abcdefghij");
        assert_eq!(buf, br#"[1,"a\"b""0123456789abcdefghij""#);
    }

    #[test]
    fn never_flags_bytes_that_need_no_escape() {
        for b in 0u8..=255 {
            let w = u64::from_le_bytes([b; 8]);
            let flagged = needs_escape(w) != 0;
            assert_eq!(flagged, ESCAPE[usize::from(b)] != 0, "byte {b:#x}");
        }
    }
}
