//! [`Gzip`]: gzip framing (RFC 1952) around flate2's raw deflate, writing into our buffer.
//!
//! flate2's `write::GzEncoder` copies through a 32 KiB buffer of its own and zeroes it
//! on every write: ~100k instructions of a 4 KiB response's ~780k (`benches/NOTES.md`).
//! Driving `flate2::Compress` directly writes straight into the output `Vec`.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use std::io;

/// The fixed gzip header: deflate, no flags, no mtime, no extra flags, OS unknown.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A gzip stream being written into `out`.
pub(super) struct Gzip {
    deflate: Compress,
    crc: Crc,
    out: Vec<u8>,
}

impl Gzip {
    pub(super) fn new(level: u32) -> Self {
        Self {
            deflate: Compress::new(Compression::new(level), false),
            crc: Crc::new(),
            out: HEADER.to_vec(),
        }
    }

    pub(super) fn write(&mut self, mut input: &[u8]) -> io::Result<()> {
        self.crc.update(input);
        // Deflate rarely grows text: room for half the input is usually one pass.
        let mut room = input.len() / 2 + 64;
        while !input.is_empty() {
            self.out.reserve(room);
            let (in_before, out_before) = (self.deflate.total_in(), self.out.len());
            self.deflate
                .compress_vec(input, &mut self.out, FlushCompress::None)?;
            let consumed = usize::try_from(self.deflate.total_in() - in_before).unwrap_or(0);
            if consumed == 0 && self.out.len() == out_before {
                room = room.saturating_mul(2); // no progress: give it more room
            }
            input = input.get(consumed..).unwrap_or_default();
        }
        Ok(())
    }

    /// A sync flush: everything written so far becomes decodable.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        loop {
            self.out.reserve(256);
            self.deflate
                .compress_vec(&[], &mut self.out, FlushCompress::Sync)?;
            // Done once deflate stopped short of the room it had.
            if self.out.len() < self.out.capacity() {
                return Ok(());
            }
        }
    }

    /// End the stream: the last deflate block, then CRC-32 and length.
    pub(super) fn finish(mut self) -> io::Result<Vec<u8>> {
        loop {
            self.out.reserve(256);
            let status = self
                .deflate
                .compress_vec(&[], &mut self.out, FlushCompress::Finish)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        self.out.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.out.extend_from_slice(&self.crc.amount().to_le_bytes());
        Ok(self.out)
    }

    pub(super) fn output(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }
}
