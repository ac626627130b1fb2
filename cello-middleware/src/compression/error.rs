//! [`CompressionError`]: why a compression configuration was refused.

use super::Encoding;
use std::fmt;

/// Why [`CompressionBuilder::build`](super::CompressionBuilder::build) refused a
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompressionError {
    /// A level outside what its codec accepts; holds the codec, the level and the range.
    LevelOutOfRange {
        /// The codec whose level was set.
        encoding: Encoding,
        /// The level given.
        level: i32,
        /// The lowest level the codec accepts.
        min: i32,
        /// The highest level the codec accepts.
        max: i32,
    },
    /// gzip, br and zstd were all turned off, so the layer could never compress.
    NoEncodingEnabled,
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LevelOutOfRange {
                encoding,
                level,
                min,
                max,
            } => write!(
                f,
                "{encoding} compression level {level} is out of range; use {min} to {max} \
                 (higher is smaller and slower)"
            ),
            Self::NoEncodingEnabled => f.write_str(
                "compression has gzip, br and zstd all turned off; enable one, or leave the \
                 compression layer out",
            ),
        }
    }
}

impl std::error::Error for CompressionError {}
