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

/// One `Transfer-Encoding` line, read the way hyper's `is_chunked_` reads it: the value
/// must be visible ASCII, and its last comma-separated element, trimmed, `chunked`.
#[derive(Clone, Copy)]
pub(super) struct Coding {
    /// In the current element: bytes of `chunked` matched (0-7), `TRAIL` after a full
    /// match and whitespace, `NO` once it cannot match.
    elem: u8,
    ascii: bool,
}

impl Coding {
    const TRAIL: u8 = 8;
    const NO: u8 = 9;

    pub(super) fn step(&mut self, b: u8) {
        self.ascii &= b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b);
        self.elem = match (self.elem, b) {
            (_, b',') => 0,
            (0, b' ' | b'\t' | b'\r') => 0,
            (7 | Coding::TRAIL, b' ' | b'\t' | b'\r') => Coding::TRAIL,
            (k @ 0..=6, b) if b.to_ascii_lowercase() == b"chunked"[usize::from(k)] => k + 1,
            _ => Coding::NO,
        };
    }

    pub(super) fn is_chunked(self) -> bool {
        self.ascii && (self.elem == 7 || self.elem == Coding::TRAIL)
    }
}

impl Default for Coding {
    fn default() -> Self {
        Coding {
            elem: 0,
            ascii: true,
        }
    }
}
