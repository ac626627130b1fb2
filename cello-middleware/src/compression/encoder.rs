//! [`Encoder`]: one streaming compressor (gzip, brotli or zstd) writing into a buffer.
//!
//! Encoders that are written to fit a body that is *pushed* frame by frame: write a frame
//! in, take the bytes that came out, flush when the producer waits. Brotli and zstd are
//! their crates' `std::io::Write` encoders; gzip is [`Gzip`], our framing over flate2.

use super::gzip::Gzip;
use super::layer::Levels;
use super::Encoding;
use std::io::{self, Write};

/// Brotli's window: 2^22 bytes (4 MiB), the format's default and what browsers expect.
const BROTLI_LGWIN: i32 = 22;
/// Brotli's own internal buffer between the encoder and our output.
const BROTLI_BUFFER: usize = 4096;

/// A compressor and the compressed bytes it has produced so far.
pub(super) enum Encoder {
    Gzip(Gzip),
    // Boxed: brotli's state is several KiB and would bloat every compressed body.
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    /// A compressor for a body of `exact_size` bytes, when known.
    ///
    /// zstd and brotli size their tables to a known input: for zstd level 3 that cuts a
    /// 1 KiB response from ~840k to ~80k instructions (`benches/NOTES.md`). The size must
    /// be exact (zstd fails the stream otherwise), so only the body's own exact size hint
    /// is passed, never a `Content-Length` header.
    pub(super) fn new(
        encoding: Encoding,
        levels: Levels,
        exact_size: Option<u64>,
    ) -> io::Result<Self> {
        Ok(match encoding {
            Encoding::Gzip => Encoder::Gzip(Gzip::new(levels.gzip)),
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: i32::try_from(levels.br).unwrap_or(11),
                    lgwin: BROTLI_LGWIN,
                    size_hint: exact_size.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
                    ..Default::default()
                };
                Encoder::Brotli(Box::new(brotli::CompressorWriter::with_params(
                    Vec::new(),
                    BROTLI_BUFFER,
                    &params,
                )))
            }
            Encoding::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), levels.zstd)?;
                if exact_size.is_some() {
                    encoder.set_pledged_src_size(exact_size)?;
                }
                Encoder::Zstd(encoder)
            }
        })
    }

    /// Compress `input`; some output may stay inside the encoder until a flush.
    pub(super) fn write(&mut self, input: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.write(input),
            Encoder::Brotli(e) => e.write_all(input),
            Encoder::Zstd(e) => e.write_all(input),
        }
    }

    /// Push everything written so far to the output, so the client can decode it now.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.flush(),
            Encoder::Brotli(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }

    /// End the stream and return the last of the output.
    pub(super) fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            // `into_inner` writes the end of the stream; writing into a `Vec` cannot fail.
            Encoder::Brotli(e) => Ok(e.into_inner()),
            Encoder::Zstd(e) => e.finish(),
        }
    }

    /// The output produced since the last call.
    pub(super) fn output(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Gzip(e) => e.output(),
            Encoder::Brotli(e) => e.get_mut(),
            Encoder::Zstd(e) => e.get_mut(),
        }
    }
}
