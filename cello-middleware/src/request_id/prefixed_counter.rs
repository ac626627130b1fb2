//! [`PrefixedCounter`]: request ids from a per-process random prefix and a counter.

use http::HeaderValue;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Hex digits of the per-process prefix: 48 random bits.
const PREFIX_LEN: usize = 12;

/// Counts ids handed out in this process; shared by every layer so ids never repeat.
static COUNTER: AtomicU64 = AtomicU64::new(1);

/// Makes ids like `3f9a1c0b7e2d-42`: a random prefix chosen once per process, a dash, and
/// a process-wide counter.
///
/// A UUID v4 per request needs 16 random bytes and 36 bytes of formatting; this needs one
/// relaxed atomic add and a short copy. Ids are unique (48 random bits tell processes
/// apart) but not secret: do not use them as tokens.
///
/// The prefix is drawn on first use. A process forked *after* that shares its parent's
/// prefix and counter; Cello starts its workers before serving, so each draws its own.
///
/// ```
/// use cello_middleware::request_id::PrefixedCounter;
///
/// let first = PrefixedCounter::next();
/// let second = PrefixedCounter::next();
/// assert_ne!(first, second);
/// assert_eq!(first.as_bytes()[12], b'-');
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PrefixedCounter {
    _private: (),
}

impl PrefixedCounter {
    /// The next id of this process.
    pub fn next() -> HeaderValue {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n).as_bytes();

        let mut buf = [0u8; PREFIX_LEN + 1 + 20];
        buf[..PREFIX_LEN].copy_from_slice(prefix());
        buf[PREFIX_LEN] = b'-';
        let end = PREFIX_LEN + 1 + digits.len();
        buf[PREFIX_LEN + 1..end].copy_from_slice(digits);

        // Hex, a dash and digits are always a valid header value.
        HeaderValue::from_bytes(&buf[..end]).unwrap_or(HeaderValue::from_static("0"))
    }
}

/// The process's prefix, drawn on first use.
fn prefix() -> &'static [u8; PREFIX_LEN] {
    static PREFIX: OnceLock<[u8; PREFIX_LEN]> = OnceLock::new();
    PREFIX.get_or_init(|| {
        // std's RandomState is seeded from the OS; mixing in the pid and the time guards
        // against a seed shared with a forked parent.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        let random = hasher.finish();

        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; PREFIX_LEN];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = HEX[((random >> (i * 4)) & 0xf) as usize];
        }
        out
    })
}
