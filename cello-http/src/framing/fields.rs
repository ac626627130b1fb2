//! The values of the framing fields, read a byte at a time (a line may arrive in
//! pieces) exactly as hyper reads them whole.

/// A `Content-Length` value as hyper reads it: digits between optional SP/HTAB.
#[derive(Clone, Copy, Default)]
pub(super) enum Digits {
    #[default]
    Lead,
    In(u64),
    Trail(u64),
    Bad,
}

impl Digits {
    pub(super) fn step(self, b: u8) -> Digits {
        match (self, b) {
            (Digits::Lead, b' ' | b'\t' | b'\r') => Digits::Lead,
            (Digits::Lead, b'0'..=b'9') => Digits::In(u64::from(b - b'0')),
            (Digits::In(n), b'0'..=b'9') => n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .map_or(Digits::Bad, Digits::In),
            (Digits::In(n) | Digits::Trail(n), b' ' | b'\t' | b'\r') => Digits::Trail(n),
            _ => Digits::Bad,
        }
    }

    pub(super) fn value(self) -> Option<u64> {
        match self {
            Digits::In(n) | Digits::Trail(n) => Some(n),
            _ => None,
        }
    }
}

/// The `Transfer-Encoding` lines of one head, element by element: all lines are one
/// comma-separated list (RFC 9110 §5.3), each element a coding name with optional
/// `;` parameters. Also answers, line by line, hyper's own question (`is_chunked_`):
/// is the line visible ASCII, and its last element, trimmed, exactly `chunked`?
#[derive(Clone, Copy)]
pub(super) struct Codings {
    /// `chunked` elements so far.
    pub(super) chunked: u8,
    /// The first coding other than `chunked`.
    pub(super) other: Option<CodingName>,
    /// The element being read: its name, whether parameters (`;`) or whitespace
    /// after the name began, and whether it is more than one token.
    name: CodingName,
    params: bool,
    spaced: bool,
    bad: bool,
    /// The line so far is visible ASCII.
    ascii: bool,
}

impl Codings {
    /// Reads one byte of a `Transfer-Encoding` value (not its line's `\n`).
    pub(super) fn step(&mut self, b: u8) {
        self.ascii &= b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b);
        match b {
            b',' => {
                self.end_element();
            }
            _ if self.params => {}
            b';' => self.params = true,
            b' ' | b'\t' | b'\r' => self.spaced = self.name.len > 0,
            _ if self.spaced => self.bad = true,
            _ => self.name.push(b),
        }
    }

    /// The end of a `Transfer-Encoding` line: whether hyper frames its body as
    /// chunked by this line (the last line decides).
    pub(super) fn end_line(&mut self) -> bool {
        let plain = !self.params && !self.bad;
        let chunked = self.end_element() && plain && self.ascii;
        self.ascii = true;
        chunked
    }

    /// Counts the element just read; whether it was `chunked`.
    fn end_element(&mut self) -> bool {
        let chunked = !self.bad && self.name.is(b"chunked");
        if chunked {
            self.chunked = self.chunked.saturating_add(1);
        } else if (self.name.len > 0 || self.bad) && self.other.is_none() {
            self.other = Some(self.name);
        }
        self.name = CodingName::default();
        (self.params, self.spaced, self.bad) = (false, false, false);
        chunked
    }
}

impl Default for Codings {
    fn default() -> Self {
        Codings {
            chunked: 0,
            other: None,
            name: CodingName::default(),
            params: false,
            spaced: false,
            bad: false,
            ascii: true,
        }
    }
}

/// A transfer coding's name as sent, kept to its first 16 bytes for the answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CodingName {
    bytes: [u8; 16],
    len: u16,
}

impl CodingName {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = b;
        }
        self.len = self.len.saturating_add(1);
    }

    fn is(&self, name: &[u8]) -> bool {
        usize::from(self.len) == name.len() && self.bytes[..name.len()].eq_ignore_ascii_case(name)
    }
}

impl std::fmt::Display for CodingName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = usize::from(self.len).min(self.bytes.len());
        let more = if kept < usize::from(self.len) {
            "..."
        } else {
            ""
        };
        write!(f, "{}{more}", String::from_utf8_lossy(&self.bytes[..kept]))
    }
}
