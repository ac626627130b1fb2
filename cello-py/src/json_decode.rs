//! JSON bytes → Python objects, by walking cello-json's tape: no intermediate tree.
//!
//! Objects are built with raw FFI calls (lists presized, references stolen where
//! the API allows) and object keys go through a small cache of `str` objects, so the
//! keys of a list of records are created once, not once per record (orjson does the
//! same).

use cello_json::{JsonError, Node};
use pyo3::ffi;
use pyo3::prelude::*;
use std::cell::RefCell;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

/// Parses `input` into Python objects.
pub fn decode<'py>(py: Python<'py>, input: &[u8]) -> Result<Bound<'py, PyAny>, DecodeError> {
    // simd-json rewrites its buffer in place (strings are unescaped there).
    let mut buf = input.to_vec();
    let tape = cello_json::parse_tape(&mut buf).map_err(DecodeError::Json)?;
    let nodes = tape.nodes();
    if nodes.iter().any(maybe_big_int) {
        return exact(py, input).map_err(DecodeError::Py);
    }
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        // SAFETY: GIL held (`py`); `build` returns a new reference or null with an
        // exception set.
        let (ptr, _) = unsafe { build(nodes, 0, &mut cache) };
        if ptr.is_null() {
            Err(DecodeError::Py(PyErr::fetch(py)))
        } else {
            // SAFETY: a new, owned reference.
            Ok(unsafe { Bound::from_owned_ptr(py, ptr) })
        }
    })
}

/// A number past the 64-bit integers that has no fraction: the tape holds it as the
/// nearest float, and the text may have been an integer (`10**30`), which Python
/// reads exactly. Such documents are rare.
pub(crate) fn maybe_big_int(node: &Node<'_>) -> bool {
    matches!(node, Node::F64(v) if v.abs() >= 9_223_372_036_854_775_808.0 && v.fract() == 0.0)
}

/// `input` (valid JSON: it parsed) decoded by the stdlib's `json.loads`, which reads
/// integers of any size exactly and floats as this decoder does.
#[cold]
pub(crate) fn exact<'py>(py: Python<'py>, input: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let text = pyo3::types::PyBytes::new(py, input);
    py.import(pyo3::intern!(py, "json"))?
        .getattr(pyo3::intern!(py, "loads"))?
        .call1((text,))
}

/// The value at `nodes[i]` of a parsed tape as Python objects.
pub fn node_to_py<'py>(
    py: Python<'py>,
    nodes: &[Node<'_>],
    i: usize,
) -> PyResult<Bound<'py, PyAny>> {
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        // SAFETY: GIL held (`py`); `build` returns a new reference or null with an
        // exception set.
        let (ptr, _) = unsafe { build(nodes, i, &mut cache) };
        if ptr.is_null() {
            Err(PyErr::fetch(py))
        } else {
            // SAFETY: a new, owned reference.
            Ok(unsafe { Bound::from_owned_ptr(py, ptr) })
        }
    })
}

/// Why decoding failed.
pub enum DecodeError {
    /// The bytes are not JSON.
    Json(JsonError),
    /// Building a Python object failed (out of memory).
    Py(PyErr),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Json(e) => e.fmt(f),
            DecodeError::Py(e) => e.fmt(f),
        }
    }
}

const CACHE_SLOTS: usize = 512;
const MAX_CACHED_KEY: usize = 64;

/// Recently seen object keys: slot by hash, exact bytes compared on hit.
struct KeyCache {
    slots: Vec<Option<CachedKey>>,
}

/// A key's bytes and the `str` made from them.
type CachedKey = (Box<[u8]>, Py<PyAny>);

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache { slots: (0..CACHE_SLOTS).map(|_| None).collect() });
}

fn slot_of(key: &[u8]) -> usize {
    // FNV-1a: short keys, no need for more.
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize % CACHE_SLOTS
}

/// # Safety
/// GIL held. Returns a new reference, or null with a Python exception set.
unsafe fn new_str(s: &str) -> *mut ffi::PyObject {
    // SAFETY: valid UTF-8 pointer and length.
    unsafe { ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t) }
}

/// # Safety
/// GIL held. Returns a new reference (or null with an exception set).
unsafe fn key_str(key: &str, cache: &mut KeyCache) -> *mut ffi::PyObject {
    if key.len() > MAX_CACHED_KEY {
        // SAFETY: GIL held.
        return unsafe { new_str(key) };
    }
    let slot = slot_of(key.as_bytes());
    if let Some((bytes, obj)) = &cache.slots[slot] {
        if **bytes == *key.as_bytes() {
            let p = obj.as_ptr();
            // SAFETY: a live object owned by the cache; we hand out a new reference.
            unsafe { ffi::Py_IncRef(p) };
            return p;
        }
    }
    // SAFETY: GIL held.
    let p = unsafe { new_str(key) };
    if !p.is_null() {
        // SAFETY: GIL held; `p` is a new reference, one more is kept by the cache.
        unsafe { ffi::Py_IncRef(p) };
        // SAFETY: the GIL is held, so an attached token may be assumed.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: `p` is a valid owned reference (the extra one taken above).
        let owned = unsafe { Bound::from_owned_ptr(py, p) }.unbind();
        cache.slots[slot] = Some((key.as_bytes().into(), owned));
    }
    p
}

/// Builds the value at `nodes[i]`; returns it (new reference, or null with an
/// exception set) and the index after it.
///
/// # Safety
/// The GIL must be held.
unsafe fn build(nodes: &[Node<'_>], i: usize, cache: &mut KeyCache) -> (*mut ffi::PyObject, usize) {
    let Some(node) = nodes.get(i) else {
        // SAFETY: GIL held.
        return (unsafe { none() }, i + 1);
    };
    // SAFETY (whole match): GIL held; every created object is either returned or
    // given to a container that steals or increfs it, and released on error.
    unsafe {
        match *node {
            Node::Null => (none(), i + 1),
            Node::Bool(b) => (ffi::PyBool_FromLong(std::os::raw::c_long::from(b)), i + 1),
            Node::I64(v) => (ffi::PyLong_FromLongLong(v), i + 1),
            Node::U64(v) => (ffi::PyLong_FromUnsignedLongLong(v), i + 1),
            Node::F64(v) => (ffi::PyFloat_FromDouble(v), i + 1),
            Node::Str(s) => (new_str(s), i + 1),
            Node::Array { len, .. } => {
                let list = ffi::PyList_New(len as ffi::Py_ssize_t);
                if list.is_null() {
                    return (list, i + 1);
                }
                let mut j = i + 1;
                for k in 0..len {
                    let (v, next) = build(nodes, j, cache);
                    if v.is_null() {
                        ffi::Py_DecRef(list);
                        return (std::ptr::null_mut(), next);
                    }
                    // Steals `v`.
                    ffi::PyList_SetItem(list, k as ffi::Py_ssize_t, v);
                    j = next;
                }
                (list, j)
            }
            Node::Object { len, .. } => {
                let dict = ffi::PyDict_New();
                if dict.is_null() {
                    return (dict, i + 1);
                }
                let mut j = i + 1;
                for _ in 0..len {
                    let key = match nodes.get(j) {
                        Some(Node::Str(k)) => key_str(k, cache),
                        _ => new_str(""),
                    };
                    let (v, next) = build(nodes, j + 1, cache);
                    if key.is_null() || v.is_null() {
                        if !key.is_null() {
                            ffi::Py_DecRef(key);
                        }
                        if !v.is_null() {
                            ffi::Py_DecRef(v);
                        }
                        ffi::Py_DecRef(dict);
                        return (std::ptr::null_mut(), next);
                    }
                    let rc = ffi::PyDict_SetItem(dict, key, v);
                    ffi::Py_DecRef(key);
                    ffi::Py_DecRef(v);
                    if rc != 0 {
                        ffi::Py_DecRef(dict);
                        return (std::ptr::null_mut(), next);
                    }
                    j = next;
                }
                (dict, j)
            }
        }
    }
}

/// # Safety
/// GIL held.
unsafe fn none() -> *mut ffi::PyObject {
    // SAFETY: GIL held; Py_None is immortal or refcounted, either way incref is valid.
    unsafe {
        let n = ffi::Py_None();
        ffi::Py_IncRef(n);
        n
    }
}
