//! A small scalar JSON validator that finds *where* a rejected document went wrong.
//!
//! simd-json reports accurate offsets for most structural errors, but not for
//! errors inside strings (offset 0), trailing characters or truncated input. It
//! runs only after simd-json has rejected a document, so it never costs the
//! happy path anything; it follows RFC 8259 and the same limits as the parser
//! (depth 1024, numbers must fit a finite `f64`).

use crate::error::Reason;

/// The deepest nesting the parser accepts (simd-json's `DEFAULT_MAX_DEPTH`).
pub(crate) const MAX_DEPTH: usize = simd_json::DEFAULT_MAX_DEPTH;

/// The first error in `input` as (byte offset, reason), or `None` if it is valid JSON.
pub(crate) fn locate(input: &[u8]) -> Option<(usize, Reason)> {
    Locator { b: input, i: 0 }.document().err()
}

type Step = Result<(), (usize, Reason)>;

struct Locator<'a> {
    b: &'a [u8],
    i: usize,
}

impl Locator<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn fail(&self, reason: Reason) -> Step {
        Err((self.i, reason))
    }

    fn document(&mut self) -> Step {
        // Open containers, innermost last: b'[' or b'{'.
        let mut stack: Vec<u8> = Vec::new();
        'value: loop {
            self.skip_ws();
            match self.peek() {
                None => return self.fail(Reason::Eof),
                Some(open @ (b'[' | b'{')) => {
                    if stack.len() >= MAX_DEPTH {
                        return self.fail(Reason::TooDeep);
                    }
                    self.i += 1;
                    self.skip_ws();
                    let close = if open == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        stack.push(open);
                        if open == b'{' {
                            self.key()?;
                        }
                        continue 'value;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) => return self.fail(Reason::UnexpectedCharacter),
            }
            // A value just ended: close containers until one wants another value.
            loop {
                self.skip_ws();
                let Some(&open) = stack.last() else {
                    return match self.peek() {
                        None => Ok(()),
                        Some(_) => self.fail(Reason::TrailingCharacters),
                    };
                };
                let (close, expected) = if open == b'[' {
                    (b']', Reason::ExpectedArrayCommaOrEnd)
                } else {
                    (b'}', Reason::ExpectedObjectCommaOrEnd)
                };
                match self.peek() {
                    None => return self.fail(Reason::Eof),
                    Some(b',') => {
                        self.i += 1;
                        if open == b'{' {
                            self.skip_ws();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(c) if c == close => {
                        self.i += 1;
                        stack.pop();
                    }
                    Some(_) => return self.fail(expected),
                }
            }
        }
    }

    /// An object key and its colon, with `self.i` on the key's first byte.
    fn key(&mut self) -> Step {
        match self.peek() {
            Some(b'"') => self.string()?,
            None => return self.fail(Reason::Eof),
            Some(_) => return self.fail(Reason::ExpectedKey),
        }
        self.skip_ws();
        match self.peek() {
            Some(b':') => {
                self.i += 1;
                Ok(())
            }
            None => self.fail(Reason::Eof),
            Some(_) => self.fail(Reason::ExpectedColon),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        for &expected in word {
            match self.peek() {
                None => return self.fail(Reason::Eof),
                Some(c) if c == expected => self.i += 1,
                Some(_) => return self.fail(Reason::UnexpectedCharacter),
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> Step {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            None => return self.fail(Reason::Eof),
            Some(_) => return self.fail(Reason::InvalidNumber),
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> Step {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
            if let Some(b'0'..=b'9') = self.peek() {
                return self.fail(Reason::InvalidNumber);
            }
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits()?;
        }
        // Integers past u64/i64 become floats, like serde_json; only a float that
        // overflows to infinity is rejected.
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(()),
            _ => Err((start, Reason::NumberOutOfRange)),
        }
    }

    fn hex4(&mut self) -> Result<u32, (usize, Reason)> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err((self.i, Reason::Eof)),
                Some(c) => (c as char).to_digit(16),
            };
            match d {
                Some(d) => v = v * 16 + d,
                None => return Err((self.i, Reason::InvalidUnicodeEscape)),
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Step {
        self.i += 1; // opening quote
        loop {
            let Some(c) = self.peek() else {
                return self.fail(Reason::Eof);
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => self.escape()?,
                0x00..=0x1f => return self.fail(Reason::ControlCharacter),
                0x80..=0xff => {
                    let width = match c {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return self.fail(Reason::InvalidUtf8),
                    };
                    let end = (self.i + width).min(self.b.len());
                    if std::str::from_utf8(&self.b[self.i..end]).is_err() || end - self.i < width {
                        return self.fail(Reason::InvalidUtf8);
                    }
                    self.i = end;
                }
                _ => self.i += 1,
            }
        }
    }

    /// One escape sequence, with `self.i` on its backslash.
    fn escape(&mut self) -> Step {
        let start = self.i;
        self.i += 1;
        match self.peek() {
            None => self.fail(Reason::Eof),
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 1;
                Ok(())
            }
            Some(b'u') => {
                self.i += 1;
                let unit = self.hex4()?;
                if (0xdc00..0xe000).contains(&unit) {
                    return Err((start, Reason::LoneSurrogate));
                }
                if (0xd800..0xdc00).contains(&unit) {
                    if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                        return Err((start, Reason::LoneSurrogate));
                    }
                    self.i += 2;
                    let low = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&low) {
                        return Err((start, Reason::LoneSurrogate));
                    }
                }
                Ok(())
            }
            Some(_) => self.fail(Reason::InvalidEscape),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_documents() {
        for doc in [
            &b"{}"[..],
            b" [1, -2.5e3, true, false, null, \"a\\u00e9\\ud83d\\ude00\"] ",
            b"{\"a\": {\"b\": []}, \"c\": \"\xc3\xa9\"}",
            b"18446744073709551616",
        ] {
            assert_eq!(locate(doc), None, "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn finds_the_first_error_and_its_reason() {
        let cases: &[(&[u8], usize, Reason)] = &[
            (b"", 0, Reason::Eof),
            (b"[1,2", 4, Reason::Eof),
            (b"[1 2]", 3, Reason::ExpectedArrayCommaOrEnd),
            (b"{\"a\" 1}", 5, Reason::ExpectedColon),
            (b"{1:2}", 1, Reason::ExpectedKey),
            (b"[01]", 2, Reason::InvalidNumber),
            (b"1e400", 0, Reason::NumberOutOfRange),
            (b"\"a\\x\"", 3, Reason::InvalidEscape),
            (b"\"\\ud800\"", 1, Reason::LoneSurrogate),
            (b"\"\\u12g4\"", 5, Reason::InvalidUnicodeEscape),
            (b"\"a\tb\"", 2, Reason::ControlCharacter),
            (b"\"\xff\"", 1, Reason::InvalidUtf8),
            (b"[] x", 3, Reason::TrailingCharacters),
        ];
        for &(doc, at, reason) in cases {
            assert_eq!(
                locate(doc),
                Some((at, reason)),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn rejects_nesting_past_the_depth_limit_at_the_first_extra_bracket() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(locate(ok.as_bytes()), None);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(locate(deep.as_bytes()), Some((MAX_DEPTH, Reason::TooDeep)));
    }
}
