//! The Rust side's allocator: mimalloc (Python's objects keep CPython's own).
//!
//! glibc's malloc and free cost ~150 instructions a pair on the request path, and a
//! typed request makes tens of Rust allocations. The `mimalloc` crate's allocator
//! asks for the alignment on every call (`mi_malloc_aligned`, a slower path); this
//! one calls the plain functions whenever mimalloc's natural alignment covers the
//! layout (alignment up to 16 bytes, and no larger than the size). The module is loaded with `dlopen`, so mimalloc is built with
//! local-dynamic TLS (initial-exec TLS cannot be allocated there). Measured in
//! `benches/NOTES.md` ("The allocator").

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// What `mi_malloc` guarantees (`MI_MAX_ALIGN_SIZE`) for blocks at least that large.
const NATURAL_ALIGN: usize = 16;

/// Whether `mi_malloc(size)` is aligned enough: mimalloc's own rule
/// (`mi_malloc_is_naturally_aligned`), as std's allocators apply it. A block smaller
/// than its alignment comes from a smaller size class, aligned only to that class.
#[inline]
fn natural(align: usize, size: usize) -> bool {
    align <= NATURAL_ALIGN && align <= size
}

/// mimalloc, through its unaligned entry points where they suffice.
pub struct Mimalloc;

// SAFETY: every block comes from mimalloc and goes back to it; the alignment asked
// for is either covered by mimalloc's natural alignment or passed on explicitly.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain calls into mimalloc with the caller's size (and alignment).
        unsafe {
            if natural(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if natural(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract).
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout` (GlobalAlloc's contract).
        unsafe {
            if natural(layout.align(), new_size) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::Mimalloc;
    use std::alloc::{GlobalAlloc, Layout};

    #[test]
    fn every_block_has_the_alignment_its_layout_asks_for() {
        // Small blocks with large alignments are the case mimalloc's plain entry
        // points do not cover; reallocations that shrink into them too.
        for (size, align) in [(1, 16), (8, 16), (24, 16), (8, 32), (100, 64), (4096, 4096)] {
            let layout = Layout::from_size_align(size, align).expect("valid layout");
            // SAFETY: a non-zero size; each block is freed with its layout below.
            unsafe {
                let p = Mimalloc.alloc(layout);
                assert!(
                    !p.is_null() && p as usize % align == 0,
                    "alloc {size}/{align}"
                );
                let z = Mimalloc.alloc_zeroed(layout);
                assert!(z as usize % align == 0, "alloc_zeroed {size}/{align}");
                assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                let grown = Mimalloc.realloc(p, layout, size * 3);
                assert!(grown as usize % align == 0, "realloc up {size}/{align}");
                let big = Layout::from_size_align(size * 3, align).expect("valid layout");
                let shrunk = Mimalloc.realloc(grown, big, 1);
                assert!(shrunk as usize % align == 0, "realloc down {size}/{align}");
                Mimalloc.dealloc(shrunk, Layout::from_size_align(1, align).expect("valid"));
                Mimalloc.dealloc(z, layout);
            }
        }
    }
}
