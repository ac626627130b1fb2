//! The harness Cello's HTTP fuzz targets share.
//!
//! A target describes what a client sends with types derived with `arbitrary`
//! ([`h1::Conversation`], [`h2::Conversation`]), so that most inputs get past the
//! request line into headers, framing and bodies; renders the description to bytes;
//! feeds them, split into several writes, to the real cello-http connection code over
//! an in-memory stream ([`wire::converse`]); and checks what the server wrote back
//! ([`h1_check`], [`h2::check`]).

pub mod h1;
pub mod h1_check;
pub mod h2;
pub mod hpack;
pub mod wire;

/// Maps arbitrary bytes into `alphabet`, so a fuzzer-chosen string stays valid.
pub fn from_alphabet(bytes: &[u8], alphabet: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()])
        .collect()
}

/// Cuts `data` at the fuzzer-chosen `splits` (taken modulo its length), at most 16
/// pieces: the server must parse a request the same however it arrives.
pub fn split_writes<'a>(data: &'a [u8], splits: &[u16]) -> Vec<&'a [u8]> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut cuts: Vec<usize> = splits
        .iter()
        .take(15)
        .map(|s| usize::from(*s) % data.len())
        .filter(|c| *c > 0)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        pieces.push(&data[start..c]);
        start = c;
    }
    pieces.push(&data[start..]);
    pieces
}
