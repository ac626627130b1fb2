//! Just enough HPACK (RFC 7541) to write header blocks a fuzzer chooses: indexed
//! fields, literals with a new name (never Huffman-coded), size updates, raw bytes.

use libfuzzer_sys::arbitrary::{self, Arbitrary};

/// One header block instruction.
#[derive(Arbitrary, Debug)]
pub enum Field {
    /// An entry of the static or dynamic table (`0x80 | index`).
    Indexed(u16),
    /// A literal field with a new name.
    Literal {
        /// How the decoder must treat the table.
        mode: Mode,
        /// The name.
        name: FieldName,
        /// The value.
        value: Vec<u8>,
    },
    /// A dynamic table size update.
    SizeUpdate(u32),
    /// Raw bytes inside the block.
    Raw(Vec<u8>),
}

/// The literal's representation.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Mode {
    /// `0x40`: add to the dynamic table.
    Incremental,
    /// `0x00`.
    WithoutIndexing,
    /// `0x10`.
    NeverIndexed,
}

/// A field name.
#[derive(Arbitrary, Debug)]
pub enum FieldName {
    /// A pseudo-header, from [`PSEUDO`].
    Pseudo(u8),
    /// A regular header, from [`NAMES`].
    Known(u8),
    /// Raw bytes (upper case, empty, with spaces...).
    Raw(Vec<u8>),
}

/// Pseudo-headers, one of them bogus.
pub const PSEUDO: &[&str] = &[
    ":method",
    ":path",
    ":scheme",
    ":authority",
    ":status",
    ":protocol",
    ":bogus",
];
/// Regular headers, including the connection-specific ones HTTP/2 forbids.
pub const NAMES: &[&str] = &[
    "content-length",
    "content-type",
    "te",
    "connection",
    "transfer-encoding",
    "host",
    "cookie",
    "user-agent",
    "keep-alive",
    "upgrade",
    "expect",
];

/// Writes `value` as an HPACK integer with an `n`-bit prefix after `flags`.
pub fn integer(out: &mut Vec<u8>, n: u8, flags: u8, value: u64) {
    let max = (1u64 << n) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
}

/// Writes a string literal, not Huffman-coded.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    integer(out, 7, 0, s.len() as u64);
    out.extend_from_slice(s);
}

/// Writes a literal field without indexing, with a new name.
pub fn literal(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(0x00);
    string(out, name);
    string(out, value);
}

impl Field {
    /// Appends this instruction to a header block.
    pub fn render(&self, out: &mut Vec<u8>) {
        match self {
            Field::Indexed(i) => integer(out, 7, 0x80, u64::from(*i)),
            Field::Literal { mode, name, value } => {
                let (n, flags) = match mode {
                    Mode::Incremental => (6, 0x40),
                    Mode::WithoutIndexing => (4, 0x00),
                    Mode::NeverIndexed => (4, 0x10),
                };
                // Index 0: the name follows as a string.
                integer(out, n, flags, 0);
                match name {
                    FieldName::Pseudo(i) => string(out, pick(PSEUDO, *i)),
                    FieldName::Known(i) => string(out, pick(NAMES, *i)),
                    FieldName::Raw(r) => string(out, r),
                }
                string(out, value);
            }
            Field::SizeUpdate(s) => integer(out, 5, 0x20, u64::from(*s)),
            Field::Raw(r) => out.extend_from_slice(r),
        }
    }
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a [u8] {
    list[usize::from(i) % list.len()].as_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn integers_follow_rfc_7541_appendix_c1() {
        let mut out = Vec::new();
        super::integer(&mut out, 5, 0, 10);
        assert_eq!(out, [10]);
        out.clear();
        super::integer(&mut out, 5, 0, 1337);
        assert_eq!(out, [31, 154, 10]);
    }
}
