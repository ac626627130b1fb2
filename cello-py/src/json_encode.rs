//! Python objects → JSON bytes, written straight into a buffer with cello-json's
//! writer: no intermediate tree.
//!
//! The common types (exact str, dict, list, int, float, bool, None) take a raw-FFI
//! path: one type-pointer comparison each, borrowed references from `PyDict_Next`
//! and `PyList_GetItem`, no reference counting. Dict keys seen earlier in the same
//! call are copied from a small cache (`KeyCache`), and the buffer starts at the
//! size of the previous document. Anything else (subclasses, tuples, dates...)
//! goes through `write_other`.
//!
//! Measured with benches/json_micro.py (abi3 wheel, CPython 3.11, µs per call,
//! same run as orjson 3.13; the machine is shared, so ratios matter more than
//! times):
//!
//! | sample | before | after | orjson |
//! |---|---:|---:|---:|
//! | small dict | 0.39 | 0.30 | 0.24 |
//! | nested API response | 9.84 | 6.09 | 5.30 |
//! | list of 1,000 records | 372 | 228 | 171 |
//! | unicode-heavy strings | 6.96 | 1.98 | 1.44 |
//!
//! What is left is mostly the limited API: `PyDict_Next`, `PyUnicode_AsUTF8AndSize`,
//! `PyLong_AsLongLongAndOverflow` and `PyList_GetItem` are calls (a quarter of the
//! records profile) where orjson reads the structs.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Nesting deeper than this is refused: it is either a mistake or a cycle.
const MAX_DEPTH: usize = 255;

/// The size of the last document encoded, reserved up front for the next one:
/// responses of one application tend to be alike, and growing the buffer by
/// doubling cost 7 reallocations and copies on the 12 KB unicode sample.
static LAST_LEN: AtomicUsize = AtomicUsize::new(0);

/// Reserving more than this on a guess is not worth the memory.
const MAX_GUESS: usize = 1 << 20;

/// Appends `obj` as JSON to `buf`.
pub fn encode(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
    let start = buf.len();
    buf.reserve(LAST_LEN.load(Ordering::Relaxed).min(MAX_GUESS));
    KEYS.with(|cell| {
        // A nested call (Python code run by `write_other` calling `json_dumps`)
        // finds the cache in use and gets a fresh one.
        let mut nested;
        let mut outer;
        let keys: &mut KeyCache = match cell.try_borrow_mut() {
            Ok(keys) => {
                outer = keys;
                &mut outer
            }
            Err(_) => {
                nested = Box::new(KeyCache::new());
                &mut nested
            }
        };
        keys.start_call();
        // SAFETY: `obj` is alive for the call and the GIL is held (it is a `Bound`).
        unsafe { fast_value(obj.py(), obj.as_ptr(), buf, keys, 0) }
    })?;
    LAST_LEN.store(buf.len() - start, Ordering::Relaxed);
    Ok(())
}

thread_local! {
    static KEYS: RefCell<KeyCache> = const { RefCell::new(KeyCache::new()) };
}

/// Slots in the key cache (a power of two).
const SLOTS: usize = 256;
/// Bytes kept per cached key: `"key":` must fit, so keys up to 29 bytes.
const KEY_ROOM: usize = 32;
/// Cached text is not grown past this within one call.
const MAX_KEY_TEXT: usize = SLOTS * KEY_ROOM * 4;

/// Dict keys written earlier in the same `encode` call, found by object address,
/// with their JSON text and the colon (`"id":`). A key repeated across a list of
/// records then costs one 32-byte copy instead of `PyUnicode_AsUTF8AndSize` (a
/// call under the limited API) and a scan: measured on the 1,000 records, keys
/// are 8 of every 13 strings written.
///
/// An address identifies a key only while the key is alive. Keys are borrowed
/// from dicts the caller keeps alive, and nothing frees one unless Python code
/// runs, which only the slow path does: the cache is paused inside it and
/// emptied after it (see `without_keys`), and each call starts empty (a new
/// generation: slots from older generations never match).
struct KeyCache {
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
    const fn new() -> Self {
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

    fn start_call(&mut self) {
        self.forget();
        self.text.clear();
        self.paused = 0;
    }

    /// Drops every entry: Python code ran and may have freed cached keys.
    fn forget(&mut self) {
        self.generation += 1;
    }

    fn slot(key: *mut ffi::PyObject) -> usize {
        // Fibonacci hashing: the top bits of address times 2^64 / phi.
        ((key as usize as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % SLOTS
    }

    /// Appends the cached `"key":` for `key` and returns true, or returns false.
    #[inline(always)]
    fn write_cached(&self, key: *mut ffi::PyObject, buf: &mut Vec<u8>) -> bool {
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
    fn insert(&mut self, key: *mut ffi::PyObject, text: &[u8]) {
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

    /// Runs `f`, which may run Python code, with the cache paused, then empties it.
    fn without_keys<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.paused += 1;
        let out = f(self);
        self.paused -= 1;
        self.forget();
        out
    }
}

/// Writes `obj` (a borrowed reference, kept alive by its container or caller).
///
/// # Safety
/// The GIL must be held and `obj` must stay alive during the call. Containers are
/// read through borrowed references; no Python code runs on this path except in
/// `write_other`, which takes its own reference first.
unsafe fn fast_value(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    keys: &mut KeyCache,
    depth: usize,
) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "cannot encode as JSON: nesting deeper than 255 levels (is there a cycle?)",
        ));
    }
    // SAFETY (whole body): see the function's contract; every FFI call below gets a
    // live object of the type just checked.
    unsafe {
        let ty = ffi::Py_TYPE(obj);
        if ty == &raw mut ffi::PyUnicode_Type {
            let mut len: ffi::Py_ssize_t = 0;
            let p = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
            if p.is_null() {
                return Err(PyErr::fetch(py));
            }
            let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len as usize);
            cello_json::write_str(buf, std::str::from_utf8_unchecked(bytes));
        } else if ty == &raw mut ffi::PyDict_Type {
            buf.push(b'{');
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k: *mut ffi::PyObject = std::ptr::null_mut();
            let mut v: *mut ffi::PyObject = std::ptr::null_mut();
            let mut first = true;
            while ffi::PyDict_Next(obj, &mut pos, &mut k, &mut v) != 0 {
                if !first {
                    buf.push(b',');
                }
                first = false;
                // Keys of the top-level dict are written once: caching them
                // would only cost.
                if depth > 0 && keys.write_cached(k, buf) {
                    // Written from the cache.
                } else if ffi::Py_TYPE(k) == &raw mut ffi::PyUnicode_Type {
                    let mut len: ffi::Py_ssize_t = 0;
                    let p = ffi::PyUnicode_AsUTF8AndSize(k, &mut len);
                    if p.is_null() {
                        return Err(PyErr::fetch(py));
                    }
                    let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len as usize);
                    let start = buf.len();
                    cello_json::write_str(buf, std::str::from_utf8_unchecked(bytes));
                    buf.push(b':');
                    if depth > 0 {
                        keys.insert(k, buf.get(start..).unwrap_or_default());
                    }
                } else {
                    keys.without_keys(|_| write_key(&Bound::from_borrowed_ptr(py, k), buf))?;
                    buf.push(b':');
                }
                fast_value(py, v, buf, keys, depth + 1)?;
            }
            buf.push(b'}');
        } else if ty == &raw mut ffi::PyList_Type {
            buf.push(b'[');
            let n = ffi::PyList_Size(obj);
            for i in 0..n {
                let item = ffi::PyList_GetItem(obj, i);
                if item.is_null() {
                    // Only `write_other` runs Python code, which could have
                    // shrunk the list: stop at its new end.
                    ffi::PyErr_Clear();
                    break;
                }
                if i > 0 {
                    buf.push(b',');
                }
                fast_value(py, item, buf, keys, depth + 1)?;
            }
            buf.push(b']');
        } else if ty == &raw mut ffi::PyLong_Type {
            let mut overflow: std::os::raw::c_int = 0;
            let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
            if overflow == 0 {
                if v == -1 && !ffi::PyErr_Occurred().is_null() {
                    return Err(PyErr::fetch(py));
                }
                cello_json::write_i64(buf, v);
            } else {
                write_int(&Bound::from_borrowed_ptr(py, obj), buf)?;
            }
        } else if obj == ffi::Py_None() {
            cello_json::write_null(buf);
        } else if obj == ffi::Py_True() {
            cello_json::write_bool(buf, true);
        } else if obj == ffi::Py_False() {
            cello_json::write_bool(buf, false);
        } else if ty == &raw mut ffi::PyFloat_Type {
            let v = ffi::PyFloat_AsDouble(obj);
            cello_json::write_f64(buf, v)
                .map_err(|e| PyValueError::new_err(format!("cannot encode as JSON: {e}")))?;
        } else {
            let obj = Bound::from_borrowed_ptr(py, obj);
            // Everything the branches above did not take: subclasses, tuples, dates...
            keys.without_keys(|keys| write_other(&obj, buf, keys, depth))?;
        }
    }
    Ok(())
}

/// A child value: back to the fast path.
fn child(
    obj: &Bound<'_, PyAny>,
    buf: &mut Vec<u8>,
    keys: &mut KeyCache,
    depth: usize,
) -> PyResult<()> {
    // SAFETY: `obj` is a live `Bound` (GIL held, reference owned for the call).
    unsafe { fast_value(obj.py(), obj.as_ptr(), buf, keys, depth) }
}

fn write_int(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(v) = obj.extract::<i64>() {
        cello_json::write_i64(buf, v);
    } else if let Ok(v) = obj.extract::<u64>() {
        cello_json::write_u64(buf, v);
    } else {
        // Arbitrary-precision integers: JSON allows any number of digits.
        let digits = obj.str()?;
        cello_json::write_raw(buf, digits.to_str()?.as_bytes());
    }
    Ok(())
}

fn write_dict(
    dict: &Bound<'_, PyDict>,
    buf: &mut Vec<u8>,
    keys: &mut KeyCache,
    depth: usize,
) -> PyResult<()> {
    buf.push(b'{');
    for (i, (k, v)) in dict.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_key(&k, buf)?;
        buf.push(b':');
        child(&v, buf, keys, depth + 1)?;
    }
    buf.push(b'}');
    Ok(())
}

/// Keys are strings; int, float, bool and None keys are written as their JSON text
/// in quotes, as the stdlib `json` does.
fn write_key(k: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(s) = k.cast::<PyString>() {
        cello_json::write_str(buf, s.to_str()?);
        return Ok(());
    }
    let text = if k.is_none() {
        "null".to_string()
    } else if k.is_instance_of::<PyBool>() {
        if k.is_truthy()? { "true" } else { "false" }.to_string()
    } else if k.is_instance_of::<PyInt>() || k.is_instance_of::<PyFloat>() {
        k.str()?.to_str()?.to_string()
    } else {
        return Err(PyTypeError::new_err(format!(
            "cannot encode as JSON: dict keys must be str, int, float, bool or None, not {}",
            k.get_type().name()?
        )));
    };
    cello_json::write_str(buf, &text);
    Ok(())
}

/// Subclasses and the common non-JSON types a handler returns: tuples, str/int/dict
/// subclasses (enums included), dates (ISO 8601), UUIDs and Decimals (as strings).
fn write_other(
    obj: &Bound<'_, PyAny>,
    buf: &mut Vec<u8>,
    keys: &mut KeyCache,
    depth: usize,
) -> PyResult<()> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        cello_json::write_str(buf, s.to_str()?);
    } else if obj.is_instance_of::<PyBool>() {
        cello_json::write_bool(buf, obj.is_truthy()?);
    } else if obj.is_instance_of::<PyInt>() {
        write_int(obj, buf)?;
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        cello_json::write_f64(buf, f.value())
            .map_err(|e| PyValueError::new_err(format!("cannot encode as JSON: {e}")))?;
    } else if let Ok(d) = obj.cast::<PyDict>() {
        write_dict(d, buf, keys, depth)?;
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        buf.push(b'[');
        for (i, item) in obj.try_iter()?.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            child(&item?, buf, keys, depth + 1)?;
        }
        buf.push(b']');
    } else if obj.hasattr(pyo3::intern!(py, "isoformat"))? {
        let s = obj.call_method0(pyo3::intern!(py, "isoformat"))?;
        cello_json::write_str(buf, s.str()?.to_str()?);
    } else {
        let ty = obj.get_type();
        let name = ty.name()?;
        let name = name.to_str()?;
        if name == "UUID" || name == "Decimal" {
            cello_json::write_str(buf, obj.str()?.to_str()?);
        } else {
            return Err(PyTypeError::new_err(format!(
                "cannot encode as JSON: object of type {name}"
            )));
        }
    }
    Ok(())
}
