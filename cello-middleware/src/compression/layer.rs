//! [`CompressionLayer`] and its checked [`CompressionBuilder`].

use super::accept_encoding::Enabled;
use super::{Compression, CompressionError, Encoding};
use tower_layer::Layer;

/// Bodies smaller than this many bytes are sent uncompressed by default.
///
/// 860 bytes, as Akamai and others use: a body that small plus typical response headers
/// fits in one 1460-byte TCP segment, so compressing it saves no packet and no round trip,
/// while it still costs a compressor's setup (gzip: ~440k instructions even for 1 KiB,
/// over 200× a whole pass-through request; `benches/NOTES.md`) and can even grow the
/// body (gzip alone adds 18 bytes of framing).
pub const DEFAULT_MIN_SIZE: u64 = 860;

/// Compression levels per codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Levels {
    pub(super) gzip: u32,
    pub(super) br: u32,
    pub(super) zstd: i32,
}

impl Levels {
    /// Tuned for responses made per request, not for files compressed once (instruction
    /// counts in `benches/NOTES.md`): zlib's default 6; brotli 4, ~2× gzip 6's cost on
    /// 64 KiB for ~2.4× fewer bytes (its own default, 11, is for static files); zstd's
    /// default 3, the cheapest of the three at every size measured.
    const DEFAULT: Self = Self {
        gzip: 6,
        br: 4,
        zstd: 3,
    };
}

/// The layer's whole configuration; `Copy`, so every request gets it for free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Config {
    pub(super) enabled: Enabled,
    pub(super) levels: Levels,
    pub(super) min_size: u64,
}

/// Compresses response bodies with gzip, brotli or zstd, as the client's
/// `Accept-Encoding` allows.
///
/// [`CompressionLayer::new`] has the defaults (all three codecs, responses of at least
/// [`DEFAULT_MIN_SIZE`] bytes); [`CompressionLayer::builder`] changes them. See the
/// [module docs](super) for which responses are compressed and an example.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct CompressionLayer {
    config: Config,
}

impl CompressionLayer {
    /// gzip, br and zstd at their default levels, for bodies of at least
    /// [`DEFAULT_MIN_SIZE`] bytes.
    pub const fn new() -> Self {
        Self {
            config: Config {
                enabled: Enabled::ALL,
                levels: Levels::DEFAULT,
                min_size: DEFAULT_MIN_SIZE,
            },
        }
    }

    /// Start from the defaults; finish with [`CompressionBuilder::build`].
    pub const fn builder() -> CompressionBuilder {
        CompressionBuilder {
            config: Self::new().config,
            bad_level: None,
        }
    }

    /// The smallest body, in bytes, that is compressed.
    pub const fn min_size(&self) -> u64 {
        self.config.min_size
    }

    pub(super) const fn config(&self) -> Config {
        self.config
    }
}

impl Default for CompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for CompressionLayer {
    type Service = Compression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Compression::new(inner, *self)
    }
}

/// Settings for a [`CompressionLayer`], checked by [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct CompressionBuilder {
    config: Config,
    // The first out-of-range level, reported by `build`.
    bad_level: Option<CompressionError>,
}

impl CompressionBuilder {
    /// Offer gzip (default on).
    pub const fn gzip(mut self, enable: bool) -> Self {
        self.config.enabled.gzip = enable;
        self
    }

    /// Offer brotli, `br` (default on).
    pub const fn br(mut self, enable: bool) -> Self {
        self.config.enabled.br = enable;
        self
    }

    /// Offer zstd (default on).
    pub const fn zstd(mut self, enable: bool) -> Self {
        self.config.enabled.zstd = enable;
        self
    }

    /// gzip level, 1 (fastest) to 9 (smallest); default 6.
    pub fn gzip_level(mut self, level: u32) -> Self {
        let level = i32::try_from(level).unwrap_or(i32::MAX);
        if self.check(Encoding::Gzip, level, 1, 9) {
            self.config.levels.gzip = level.unsigned_abs();
        }
        self
    }

    /// Brotli quality, 0 (fastest) to 11 (smallest); default 4.
    pub fn br_level(mut self, level: u32) -> Self {
        let level = i32::try_from(level).unwrap_or(i32::MAX);
        if self.check(Encoding::Brotli, level, 0, 11) {
            self.config.levels.br = level.unsigned_abs();
        }
        self
    }

    /// zstd level, 1 (fastest) to 22 (smallest); default 3.
    pub fn zstd_level(mut self, level: i32) -> Self {
        if self.check(Encoding::Zstd, level, 1, 22) {
            self.config.levels.zstd = level;
        }
        self
    }

    /// Compress only bodies of at least `bytes` (default [`DEFAULT_MIN_SIZE`]). A body
    /// whose size is unknown, such as a stream, is always compressed. `0` compresses
    /// every body.
    pub const fn min_size(mut self, bytes: u64) -> Self {
        self.config.min_size = bytes;
        self
    }

    /// Check the settings.
    ///
    /// # Errors
    ///
    /// [`CompressionError::LevelOutOfRange`] for the first level outside its codec's
    /// range, [`CompressionError::NoEncodingEnabled`] when every codec is off.
    pub fn build(self) -> Result<CompressionLayer, CompressionError> {
        if let Some(error) = self.bad_level {
            return Err(error);
        }
        if !self.config.enabled.any() {
            return Err(CompressionError::NoEncodingEnabled);
        }
        Ok(CompressionLayer {
            config: self.config,
        })
    }

    fn check(&mut self, encoding: Encoding, level: i32, min: i32, max: i32) -> bool {
        let ok = (min..=max).contains(&level);
        if !ok && self.bad_level.is_none() {
            self.bad_level = Some(CompressionError::LevelOutOfRange {
                encoding,
                level,
                min,
                max,
            });
        }
        ok
    }
}
