//! Dict keys written earlier in the same `encode` call, by object address.

use pyo3::ffi;

/// Slots in the key cache (a power of two).
const SLOTS: usize = 256;
/// Bytes kept per cached key: `"key":` must fit, so keys up to 29 bytes.
pub(super) const KEY_ROOM: usize = 32;
/// Cached text is not grown past this within one call.
const MAX_KEY_TEXT: usize = SLOTS * KEY_ROOM * 4;

/// Dict keys written earlier in the same `encode` call, found by object address,
/// with their JSON text and the colon (`"id":`). A key repeated across a list of
/// records then costs one 32-byte copy instead of `PyUnicode_AsUTF8AndSize` (a
/// call under the limited API) and a scan: measured on the 1,000 records, keys
/// are 8 of every 13 strings written.
///
/// An address identifies a key only while the key is alive. Keys are borrowed
/// from dicts being written, and nothing frees one unless Python code runs: the
/// encoder pauses the cache while Python code runs and empties it after (`pause`,
/// `resume`). Each call starts empty (a new generation: slots from older
/// generations never match).
pub(super) struct KeyCache {
    slots: [KeySlot; SLOTS],
    generation: u64,
    paused: u32,
    /// `KEY_ROOM` bytes per entry.
    text: Vec<u8>,
}

#[derive(Clone, Copy)]
struct KeySlot {
    key: *mut ffi::PyObject,
    generation: u64,
    offset: u32,
    len: u32,
}

impl KeyCache {
    pub(super) const fn new() -> Self {
        let empty = KeySlot {
            key: std::ptr::null_mut(),
            generation: 0,
            offset: 0,
            len: 0,
        };
        KeyCache {
            slots: [empty; SLOTS],
            generation: 0,
            paused: 0,
            text: Vec::new(),
        }
    }

    pub(super) fn start_call(&mut self) {
        self.forget();
        self.text.clear();
        self.paused = 0;
    }

    /// Drops every entry: Python code ran and may have freed cached keys.
    pub(super) fn forget(&mut self) {
        self.generation += 1;
    }

    #[cfg(test)]
    fn generation(&self) -> u64 {
        self.generation
    }

    fn slot(key: *mut ffi::PyObject) -> usize {
        // Fibonacci hashing: the top bits of address times 2^64 / phi.
        ((key as usize as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % SLOTS
    }

    /// Appends the cached `"key":` for `key` and returns true, or returns false.
    #[inline(always)]
    pub(super) fn write_cached(&self, key: *mut ffi::PyObject, buf: &mut Vec<u8>) -> bool {
        let slot = self.slots[Self::slot(key)];
        if slot.key != key || slot.generation != self.generation || self.paused != 0 {
            return false;
        }
        let Some(entry) = self
            .text
            .get(slot.offset as usize..slot.offset as usize + KEY_ROOM)
        else {
            return false;
        };
        buf.reserve(KEY_ROOM);
        // SAFETY: `KEY_ROOM` bytes were reserved past `len` and `entry` holds that
        // many; `slot.len <= KEY_ROOM` of them are the key's text, the rest is
        // padding beyond the new length.
        unsafe {
            let len = buf.len();
            std::ptr::copy_nonoverlapping(entry.as_ptr(), buf.as_mut_ptr().add(len), KEY_ROOM);
            buf.set_len(len + slot.len as usize);
        }
        true
    }

    /// Remembers that `key` was just written as `text` (`"key":`).
    pub(super) fn insert(&mut self, key: *mut ffi::PyObject, text: &[u8]) {
        if self.paused != 0 || text.len() > KEY_ROOM || self.text.len() >= MAX_KEY_TEXT {
            return;
        }
        let offset = self.text.len();
        self.text.extend_from_slice(text);
        self.text.resize(offset + KEY_ROOM, 0);
        self.slots[Self::slot(key)] = KeySlot {
            key,
            generation: self.generation,
            offset: offset as u32,
            len: text.len() as u32,
        };
    }

    /// Stops reading and filling the cache: Python code is about to run.
    pub(super) fn pause(&mut self) {
        self.paused += 1;
    }

    /// Ends a `pause` and empties the cache: the Python code that ran may have
    /// freed cached keys.
    pub(super) fn resume(&mut self) {
        self.paused -= 1;
        self.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct fake addresses: the cache compares them, never dereferences them.
    fn addr(n: usize) -> *mut ffi::PyObject {
        (0x1000 + n * 64) as *mut ffi::PyObject
    }

    fn cached(cache: &KeyCache, key: *mut ffi::PyObject) -> Option<Vec<u8>> {
        let mut buf = b"prefix".to_vec();
        cache
            .write_cached(key, &mut buf)
            .then(|| buf.split_off(b"prefix".len()))
    }

    #[test]
    fn a_key_written_once_is_copied_back_exactly() {
        let mut cache = KeyCache::new();
        cache.start_call();
        cache.insert(addr(1), br#""id":"#);
        cache.insert(addr(2), br#""a_29_byte_key_xxxxxxxxxxxxxx":"#);
        assert_eq!(cached(&cache, addr(1)).as_deref(), Some(&br#""id":"#[..]));
        assert_eq!(
            cached(&cache, addr(2)).as_deref(),
            Some(&br#""a_29_byte_key_xxxxxxxxxxxxxx":"#[..])
        );
        assert_eq!(cached(&cache, addr(3)), None);
    }

    #[test]
    fn keys_longer_than_a_slot_are_not_cached() {
        let mut cache = KeyCache::new();
        cache.start_call();
        let text = format!("\"{}\":", "k".repeat(KEY_ROOM - 2));
        assert_eq!(text.len(), KEY_ROOM + 1);
        cache.insert(addr(1), text.as_bytes());
        assert_eq!(cached(&cache, addr(1)), None);
    }

    #[test]
    fn forgetting_drops_every_entry_and_changes_the_generation() {
        let mut cache = KeyCache::new();
        cache.start_call();
        cache.insert(addr(1), br#""id":"#);
        let before = cache.generation();
        cache.forget();
        assert_ne!(cache.generation(), before);
        assert_eq!(cached(&cache, addr(1)), None);
        // A key cached after forgetting is found again.
        cache.insert(addr(1), br#""new":"#);
        assert_eq!(cached(&cache, addr(1)).as_deref(), Some(&br#""new":"#[..]));
    }

    #[test]
    fn a_new_call_starts_with_an_empty_cache() {
        let mut cache = KeyCache::new();
        cache.start_call();
        cache.insert(addr(1), br#""id":"#);
        cache.start_call();
        assert_eq!(cached(&cache, addr(1)), None);
    }

    #[test]
    fn nothing_is_read_or_cached_while_paused_and_all_is_forgotten_after() {
        let mut cache = KeyCache::new();
        cache.start_call();
        cache.insert(addr(1), br#""id":"#);
        let before = cache.generation();
        cache.pause();
        assert_eq!(cached(&cache, addr(1)), None);
        cache.insert(addr(2), br#""inside":"#);
        // Nested pauses stay paused until the outermost ends.
        cache.pause();
        cache.resume();
        assert_eq!(cached(&cache, addr(2)), None);
        cache.resume();
        assert_ne!(cache.generation(), before);
        assert_eq!(cached(&cache, addr(1)), None);
        assert_eq!(cached(&cache, addr(2)), None);
    }

    #[test]
    fn a_key_sharing_a_slot_replaces_the_older_one() {
        let mut cache = KeyCache::new();
        cache.start_call();
        let first = addr(1);
        let slot = KeyCache::slot(first);
        let other = (2..100_000)
            .map(addr)
            .find(|&a| KeyCache::slot(a) == slot)
            .unwrap_or(first);
        assert_ne!(other, first, "no colliding address found");
        cache.insert(first, br#""first":"#);
        cache.insert(other, br#""other":"#);
        assert_eq!(cached(&cache, first), None);
        assert_eq!(cached(&cache, other).as_deref(), Some(&br#""other":"#[..]));
    }

    #[test]
    fn the_cached_text_stops_growing_at_its_limit() {
        let mut cache = KeyCache::new();
        cache.start_call();
        let entries = MAX_KEY_TEXT / KEY_ROOM;
        for n in 0..entries + 10 {
            cache.insert(addr(n), br#""k":"#);
        }
        assert_eq!(cache.text.len(), MAX_KEY_TEXT);
        // The last keys did not fit; the cache still answers, just without them.
        assert_eq!(cached(&cache, addr(entries + 5)), None);
    }
}
