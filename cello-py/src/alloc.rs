//! The Rust side's allocator: mimalloc (Python's objects keep CPython's own).
//!
//! glibc's malloc and free cost ~150 instructions a pair on the request path, and a
//! typed request makes tens of Rust allocations. The `mimalloc` crate's allocator
//! asks for the alignment on every call (`mi_malloc_aligned`, a slower path); this
//! one calls the plain functions whenever mimalloc's natural alignment (16 bytes)
//! covers the layout. The module is loaded with `dlopen`, so mimalloc is built with
//! local-dynamic TLS (initial-exec TLS cannot be allocated there). Measured in
//! `benches/NOTES.md` ("The allocator").

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// What `mi_malloc` guarantees (`MI_MAX_ALIGN_SIZE`).
const NATURAL_ALIGN: usize = 16;

/// mimalloc, through its unaligned entry points where they suffice.
pub struct Mimalloc;

// SAFETY: every block comes from mimalloc and goes back to it; the alignment asked
// for is either covered by mimalloc's natural alignment or passed on explicitly.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain calls into mimalloc with the caller's size (and alignment).
        unsafe {
            if layout.align() <= NATURAL_ALIGN {
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
            if layout.align() <= NATURAL_ALIGN {
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
            if layout.align() <= NATURAL_ALIGN {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}
