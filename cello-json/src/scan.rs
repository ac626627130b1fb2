//! Finding the first byte of a string that needs a JSON escape (`"`, `\` or a
//! control character below 0x20), many bytes at a time.
//!
//! A *block* is 16 bytes checked with SSE2 on x86_64 (every x86_64 CPU has it) and
//! 8 bytes checked with SWAR (bit tricks on a `u64`) elsewhere. Shorter pieces
//! are read as one `u64` with overlapping loads, so no string costs a
//! byte-at-a-time loop, and strings of 128 bytes or more go through a 64-byte
//! AVX2 loop first when the CPU has AVX2 (checked at run time). Measured on the
//! unicode sample of benches/json_micro.py (long clean non-ASCII strings, same
//! run as orjson): 2.96x orjson's time with 8-byte SWAR words, 1.69x with SSE2
//! blocks (and the escaping loop copying blocks too), 1.38x with AVX2.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes one [`scan_copy`] call looks at.
#[cfg(target_arch = "x86_64")]
pub(crate) const BLOCK: usize = 16;
/// Bytes one [`scan_copy`] call looks at.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) const BLOCK: usize = 8;

/// A word whose lowest set high bit marks the first byte of `w` (little-endian)
/// that needs escaping; zero when none does. Bits above the first hit may be
/// false positives, which is fine: only the first one is used.
#[inline(always)]
pub(crate) fn needs_escape(w: u64) -> u64 {
    let is_quote = w ^ (ONES * u64::from(b'"'));
    let is_backslash = w ^ (ONES * u64::from(b'\\'));
    // A byte below 0x20, or a zero byte after the XORs; `!w` drops bytes >= 0x80.
    let control = w.wrapping_sub(ONES * 0x20);
    let quote = is_quote.wrapping_sub(ONES) & !is_quote;
    let backslash = is_backslash.wrapping_sub(ONES) & !is_backslash;
    (control & !w | quote | backslash) & HIGHS
}

/// Index of the byte that the lowest hit of [`needs_escape`] marks.
#[inline(always)]
fn first(hits: u64) -> Option<usize> {
    (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize)
}

/// Bit `k` set when byte `k` of the 16 bytes at `src` needs escaping.
///
/// # Safety
/// `src..src + 16` must be readable.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn block_mask(src: *const u8) -> (core::arch::x86_64::__m128i, u32) {
    use core::arch::x86_64::*;
    // SAFETY: the caller guarantees 16 readable bytes and the load is unaligned;
    // the other intrinsics only need SSE2, which every x86_64 CPU has.
    unsafe {
        let x = _mm_loadu_si128(src.cast());
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `x <= 0x1f`: SSE2 has no unsigned compare, but `max(x, 0x1f) == 0x1f`.
        let limit = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(x, limit), limit);
        let hits = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (x, _mm_movemask_epi8(hits) as u32)
    }
}

/// Copies one block from `src` to `dst` and returns the index in it of the first
/// byte that needs escaping (the copy is made either way).
///
/// # Safety
/// `src..src + BLOCK` must be readable, `dst..dst + BLOCK` writable, and the two
/// must not overlap.
#[inline(always)]
unsafe fn scan_copy(src: *const u8, dst: *mut u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract, for 16 bytes each side.
    unsafe {
        let (x, mask) = block_mask(src);
        core::arch::x86_64::_mm_storeu_si128(dst.cast(), x);
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: the caller's contract, for 8 bytes each side.
    unsafe {
        let w = core::ptr::read_unaligned(src.cast::<u64>());
        core::ptr::write_unaligned(dst.cast::<u64>(), w);
        first(needs_escape(w))
    }
}

/// The `n < 8` bytes at `src` as the low bytes of a `u64` (the rest zero), read
/// with at most three loads whatever `n` is.
///
/// # Safety
/// `src..src + n` must be readable and `n < 8`.
#[inline(always)]
unsafe fn read_partial(src: *const u8, n: usize) -> u64 {
    debug_assert!(n < 8);
    // SAFETY: every load below stays within `src..src + n`.
    unsafe {
        if n >= 4 {
            // Two 4-byte loads that overlap in the middle; the overlap holds the
            // same bytes in both, so OR-ing them is exact.
            let lo = u64::from(core::ptr::read_unaligned(src.cast::<u32>()));
            let hi = u64::from(core::ptr::read_unaligned(src.add(n - 4).cast::<u32>()));
            lo | hi << (8 * (n - 4))
        } else if n > 0 {
            let a = u64::from(*src);
            let b = u64::from(*src.add(n / 2));
            let c = u64::from(*src.add(n - 1));
            a | b << (8 * (n / 2)) | c << (8 * (n - 1))
        } else {
            0
        }
    }
}

/// [`needs_escape`] limited to the low `n < 8` bytes of `w`.
#[inline(always)]
fn partial_hit(w: u64, n: usize) -> Option<usize> {
    // The zero padding above byte `n` counts as a control character: mask it off.
    // A hit only carries into higher bytes, so nothing below `n` is disturbed.
    let valid = (1u64 << (8 * n)) - 1;
    first(needs_escape(w) & valid)
}

/// Copies the `n < BLOCK` bytes at `src` to `dst` and returns the index of the
/// first one that needs escaping.
///
/// # Safety
/// `src..src + n` must be readable and `dst..dst + 8` writable (up to 8 bytes are
/// stored even when `n` is smaller; the caller ignores the excess).
#[inline(always)]
unsafe fn scan_copy_short(src: *const u8, dst: *mut u8, n: usize) -> Option<usize> {
    debug_assert!(n < BLOCK);
    // SAFETY: the caller's contract; for `n >= 8` the two words lie in `0..n`.
    unsafe {
        if BLOCK > 8 && n >= 8 {
            // Two words overlapping in the middle, like `read_partial`.
            let a = core::ptr::read_unaligned(src.cast::<u64>());
            let b = core::ptr::read_unaligned(src.add(n - 8).cast::<u64>());
            core::ptr::write_unaligned(dst.cast::<u64>(), a);
            core::ptr::write_unaligned(dst.add(n - 8).cast::<u64>(), b);
            first(needs_escape(a)).or_else(|| first(needs_escape(b)).map(|k| n - 8 + k))
        } else {
            let w = read_partial(src, n);
            core::ptr::write_unaligned(dst.cast::<u64>(), w);
            partial_hit(w, n)
        }
    }
}

/// Copies two blocks; otherwise like [`scan_copy`]. One branch for both: on the
/// long clean strings of the unicode sample this loop is most of the work.
///
/// # Safety
/// As [`scan_copy`], for `2 * BLOCK` bytes.
#[inline(always)]
unsafe fn scan_copy2(src: *const u8, dst: *mut u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract, for 32 bytes each side.
    unsafe {
        use core::arch::x86_64::_mm_storeu_si128;
        let (x, lo) = block_mask(src);
        let (y, hi) = block_mask(src.add(16));
        _mm_storeu_si128(dst.cast(), x);
        _mm_storeu_si128(dst.add(16).cast(), y);
        let mask = lo | hi << 16;
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: the caller's contract, for two blocks each side.
    unsafe {
        scan_copy(src, dst).or_else(|| scan_copy(src.add(BLOCK), dst.add(BLOCK)).map(|k| BLOCK + k))
    }
}

/// Strings at least this long try AVX2 first (when the CPU has it): below it the
/// feature check and the 64-byte loop's setup are not worth it.
#[cfg(target_arch = "x86_64")]
const AVX2_MIN: usize = 128;

/// Copies 64-byte chunks of `src[..n]` to `dst` while they need no escape.
/// Returns `Ok(done)`, how many bytes were copied (all of them clean, fewer than
/// 64 left), or `Err(at)`, the index of the first byte that needs escaping.
///
/// # Safety
/// The CPU must have AVX2, `src..src + n` must be readable and `dst..dst + n`
/// writable, not overlapping.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn copy_clean_avx2(src: *const u8, dst: *mut u8, n: usize) -> Result<usize, usize> {
    use core::arch::x86_64::*;
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let limit = _mm256_set1_epi8(0x1f);
    let hits = |x: __m256i| {
        let control = _mm256_cmpeq_epi8(_mm256_max_epu8(x, limit), limit);
        let special = _mm256_or_si256(_mm256_cmpeq_epi8(x, quote), _mm256_cmpeq_epi8(x, backslash));
        _mm256_movemask_epi8(_mm256_or_si256(special, control)) as u32
    };
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: `i + 64 <= n`, so both 32-byte loads and stores are in bounds;
        // they are unaligned.
        let (x, y) = unsafe {
            let x = _mm256_loadu_si256(src.add(i).cast());
            let y = _mm256_loadu_si256(src.add(i + 32).cast());
            _mm256_storeu_si256(dst.add(i).cast(), x);
            _mm256_storeu_si256(dst.add(i + 32).cast(), y);
            (x, y)
        };
        let mask = u64::from(hits(x)) | u64::from(hits(y)) << 32;
        if mask != 0 {
            return Err(i + mask.trailing_zeros() as usize);
        }
        i += 64;
    }
    Ok(i)
}

/// Copies `src` to `dst` up to the first byte that needs escaping and returns
/// that byte's index, or copies all of it and returns `None`.
///
/// Bytes past the returned index (up to `BLOCK` of them past the end of `src`)
/// may be written too: the caller counts only what it asked for.
///
/// # Safety
/// `dst..dst + src.len() + BLOCK` must be writable and must not overlap `src`.
#[inline(always)]
pub(crate) unsafe fn copy_until_escape(src: &[u8], dst: *mut u8) -> Option<usize> {
    let n = src.len();
    let p = src.as_ptr();
    // SAFETY: reads stay within `src`: blocks while they fit, then one block that
    // ends at `n` and overlaps bytes already found clean (so its first hit, if
    // any, is a new one), or the short path when `n < BLOCK`. Writes mirror the
    // reads, except the short path's single word, which the caller's `BLOCK`
    // bytes of slack cover. The AVX2 loop runs only when the CPU has AVX2 and
    // stays within `0..n` itself.
    unsafe {
        if n < BLOCK {
            return scan_copy_short(p, dst, n);
        }
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if n >= AVX2_MIN && std::is_x86_feature_detected!("avx2") {
            // Measured on the unicode sample (long clean non-ASCII strings), same
            // run as orjson: 1.69x orjson's time with the 32-byte SSE2 loop alone,
            // 1.38x with this 64-byte AVX2 loop in front of it.
            match copy_clean_avx2(p, dst, n) {
                Ok(done) => i = done,
                Err(at) => return Some(at),
            }
        }
        while i + 2 * BLOCK <= n {
            if let Some(k) = scan_copy2(p.add(i), dst.add(i)) {
                return Some(i + k);
            }
            i += 2 * BLOCK;
        }
        if i + BLOCK <= n {
            if let Some(k) = scan_copy(p.add(i), dst.add(i)) {
                return Some(i + k);
            }
            i += BLOCK;
        }
        if i < n {
            let last = n - BLOCK;
            return scan_copy(p.add(last), dst.add(last)).map(|k| last + k);
        }
        None
    }
}
