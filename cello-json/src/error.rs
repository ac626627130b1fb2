//! The one error type of parsing, and the one of writing floats.

use std::fmt;

/// Why a document was rejected; private so that new reasons are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Eof,
    UnexpectedCharacter,
    ExpectedColon,
    ExpectedArrayCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedKey,
    InvalidNumber,
    NumberOutOfRange,
    InvalidEscape,
    InvalidUnicodeEscape,
    LoneSurrogate,
    ControlCharacter,
    InvalidUtf8,
    TrailingCharacters,
    TooDeep,
    TooLarge,
    /// Valid JSON that does not fit the type asked of `from_slice`.
    Shape,
    /// simd-json rejected the input for a reason the locator did not find.
    Other,
}

impl Reason {
    fn message(self) -> &'static str {
        match self {
            Reason::Eof => "unexpected end of input",
            Reason::UnexpectedCharacter => "unexpected character",
            Reason::ExpectedColon => "expected ':' after an object key",
            Reason::ExpectedArrayCommaOrEnd => "expected ',' or ']' after an array element",
            Reason::ExpectedObjectCommaOrEnd => "expected ',' or '}' after an object member",
            Reason::ExpectedKey => "expected a string as object key",
            Reason::InvalidNumber => "invalid number",
            Reason::NumberOutOfRange => "number out of range of a 64-bit float",
            Reason::InvalidEscape => "invalid escape sequence in string",
            Reason::InvalidUnicodeEscape => "invalid \\u escape: expected four hex digits",
            Reason::LoneSurrogate => "lone UTF-16 surrogate in \\u escape",
            Reason::ControlCharacter => {
                "unescaped control character in string (escape it as \\n, \\t or \\u00XX)"
            }
            Reason::InvalidUtf8 => "invalid UTF-8",
            Reason::TrailingCharacters => "trailing characters after the JSON value",
            Reason::TooDeep => "arrays and objects nested deeper than 1024 levels",
            Reason::TooLarge => "document larger than 4 GiB",
            Reason::Shape => "valid JSON that does not match the expected type",
            Reason::Other => "invalid JSON",
        }
    }
}

/// A document that is not valid JSON, with the byte offset where that was noticed.
///
/// The position is the offset, from 0, of the first byte that cannot start or
/// continue valid JSON: the offending character, the input's length for a
/// truncated document, the backslash of a bad `\u` escape.
///
/// ```
/// let mut doc = br#"{"id": 1, "tags": [tru]}"#.to_vec();
/// let err = cello_json::parse_tape(&mut doc).unwrap_err();
/// assert_eq!(err.position(), 22);
/// assert_eq!(err.to_string(), "invalid JSON at byte 22: unexpected character");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    position: usize,
    reason: Reason,
}

impl JsonError {
    pub(crate) fn new(position: usize, reason: Reason) -> Self {
        Self { position, reason }
    }

    /// The byte offset in the input at which the document stopped being valid JSON.
    #[must_use]
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether the input ended before the document did (empty or truncated input).
    #[must_use]
    pub fn is_eof(&self) -> bool {
        self.reason == Reason::Eof
    }

    /// Whether the document was rejected for nesting deeper than the limit of 1024.
    #[must_use]
    pub fn is_too_deep(&self) -> bool {
        self.reason == Reason::TooDeep
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: {}",
            if self.reason == Reason::Shape {
                "unexpected JSON"
            } else {
                "invalid JSON"
            },
            self.position,
            self.reason.message()
        )
    }
}

impl std::error::Error for JsonError {}

/// A NaN or infinite float handed to [`write_f64`](crate::write_f64): JSON has no
/// spelling for it, so the caller decides (write `null`, raise, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonFiniteFloat(pub f64);

impl fmt::Display for NonFiniteFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot write {} as JSON: JSON has no NaN or infinity; convert it to null or a string first",
            self.0
        )
    }
}

impl std::error::Error for NonFiniteFloat {}
