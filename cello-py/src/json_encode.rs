//! Python objects → JSON bytes, written straight into a buffer with cello-json's
//! writer: no intermediate tree.
//!
//! The common types (exact str, dict, list, int, float, bool, None) take a raw-FFI
//! path: one type-pointer comparison each, borrowed references from `PyDict_Next`
//! and `PyList_GetItem`, no reference counting. Dict keys seen earlier in the same
//! call are copied from a small cache (`KeyCache`), and the buffer starts at the
//! size of the previous document. Anything else (subclasses, tuples, dates...) goes
//! through `write_other`, dispatched on type pointers looked up once.
//!
//! Python code can run mid-walk (`isoformat`, a key's `__str__`, a finalizer) and
//! free or resize any container above the value being written. All of it runs
//! through `Encoder::python`, which first takes a strong reference to every open
//! dict and list not yet held (`OpenContainers`: once per container, and only when
//! Python code runs under it, so a plain walk pays no reference counting) and
//! records each open dict's size; a dict the code resized is an error as soon as it
//! returns, as it is when iterating a dict in Python. Nothing else on the fast path
//! runs Python code or allocates a Python object (CPython 3.11 may collect garbage,
//! and run finalizers, when a tracked object is allocated).
//!
//! Measured with `instr-per-request.sh` (CPython 3.11, abi3): holding every
//! container up front cost 6.9% of a 50-record response, holding them lazily 2.4%;
//! writing `str` items without a call to `fast_value` paid that back (the response
//! 201.5K → 197.3K instructions, `/json` within noise).
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

mod key_cache;
mod models;
mod open_containers;
mod other;

use key_cache::KeyCache;
use open_containers::OpenContainers;
use other::{write_int, write_key, write_other};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
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
    ENCODER.with(|cell| {
        // A nested call (Python code run by `write_other` calling `json_dumps`)
        // finds the encoder in use and gets a fresh one.
        let mut nested;
        let mut outer;
        let enc: &mut Encoder = match cell.try_borrow_mut() {
            Ok(enc) => {
                outer = enc;
                &mut outer
            }
            Err(_) => {
                nested = Box::new(Encoder::new());
                &mut nested
            }
        };
        enc.start_call(obj.as_ptr());
        // SAFETY: `obj` is alive for the call (the caller's `Bound`) and the GIL is
        // held.
        let result = unsafe { fast_value(obj.py(), obj.as_ptr(), buf, enc, 0) };
        // SAFETY: GIL held.
        unsafe { enc.open.release() };
        result
    })?;
    LAST_LEN.store(buf.len() - start, Ordering::Relaxed);
    Ok(())
}

/// A model instance (dataclass, pydantic v2 model, msgspec Struct, enum) as JSON, or
/// None when `obj` is not one: for a handler's return value, once the plain types
/// were ruled out. A pydantic model's bytes come from its own serializer.
pub fn encode_model(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    match models::kind(obj)? {
        None => Ok(None),
        Some(models::Model::Pydantic(ser)) => models::pydantic_bytes(obj, &ser).map(Some),
        Some(_) => {
            let mut buf = Vec::with_capacity(64);
            encode(obj, &mut buf)?;
            Ok(Some(buf))
        }
    }
}

thread_local! {
    static ENCODER: RefCell<Encoder> = const { RefCell::new(Encoder::new()) };
}

/// The state of one `encode` call.
struct Encoder {
    keys: KeyCache,
    open: OpenContainers,
}

impl Encoder {
    const fn new() -> Self {
        Encoder {
            keys: KeyCache::new(),
            open: OpenContainers::new(),
        }
    }

    fn start_call(&mut self, root: *mut ffi::PyObject) {
        self.keys.start_call();
        self.open.start(root);
    }

    /// Runs `f`, which may run Python code: every open container is held first and
    /// the key cache is paused, then emptied. A dict being written that the code
    /// resized is an error.
    fn python<T>(
        &mut self,
        _py: Python<'_>,
        f: impl FnOnce(&mut Self) -> PyResult<T>,
    ) -> PyResult<T> {
        // SAFETY: GIL held (`_py`); the open containers are alive, since no Python
        // code has run since the unpinned ones were entered.
        unsafe { self.open.pin() };
        self.keys.pause();
        let out = f(self);
        self.keys.resume();
        // SAFETY: GIL held; every open container is pinned.
        if out.is_ok() && unsafe { self.open.dict_resized() } {
            return Err(dict_changed_size());
        }
        out
    }
}

/// Writes `obj` (a borrowed reference, kept alive by its container or caller).
///
/// # Safety
/// The GIL must be held and `obj` must be alive when the call starts: at depth 0
/// the caller holds it for the whole call; below, it was just read from an open
/// container with no Python code run since. Python code runs on this path only
/// inside `Encoder::python`.
unsafe fn fast_value(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
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
            write_exact_str(py, obj, buf)?;
        } else if ty == &raw mut ffi::PyDict_Type {
            dict_items(py, obj, buf, enc, depth)?;
        } else if ty == &raw mut ffi::PyList_Type {
            list_items(py, obj, buf, enc, depth)?;
        } else if ty == &raw mut ffi::PyLong_Type {
            let mut overflow: std::os::raw::c_int = 0;
            let v = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
            if overflow == 0 {
                if v == -1 && !ffi::PyErr_Occurred().is_null() {
                    return Err(PyErr::fetch(py));
                }
                cello_json::write_i64(buf, v);
            } else {
                // An exact int: `str()` runs no Python code.
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
            // Everything the branches above did not take: subclasses, tuples,
            // dates... The reference is taken and dropped inside `python`: dropping
            // it can free the object and run its finalizer.
            enc.python(py, |enc| {
                write_other(&Bound::from_borrowed_ptr(py, obj), buf, enc, depth)
            })?;
        }
    }
    Ok(())
}

/// # Safety
/// GIL held; `obj` is a live exact `str`.
#[inline(always)]
unsafe fn write_exact_str(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
) -> PyResult<()> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: see the contract; the UTF-8 buffer belongs to `obj` and is read
    // before any Python code can run.
    unsafe {
        let p = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
        if p.is_null() {
            return Err(PyErr::fetch(py));
        }
        let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len as usize);
        cello_json::write_str(buf, std::str::from_utf8_unchecked(bytes));
    }
    Ok(())
}

/// Writes the dict `obj` (exact or a subclass: its items as stored, as
/// `PyDict_Next` reads them).
///
/// # Safety
/// GIL held; `obj` is a live dict, as for `fast_value`.
#[inline(always)]
unsafe fn dict_items(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    enc.open.enter(obj);
    // SAFETY: forwarded contract; `obj` is open until `leave`.
    let result = unsafe { dict_walk(py, obj, buf, enc, depth) };
    enc.open.leave();
    result
}

/// # Safety
/// GIL held; `obj` is an open dict.
#[inline(always)]
unsafe fn dict_walk(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    buf.push(b'{');
    let mut pos: ffi::Py_ssize_t = 0;
    let mut k: *mut ffi::PyObject = std::ptr::null_mut();
    let mut v: *mut ffi::PyObject = std::ptr::null_mut();
    let mut first = true;
    // SAFETY (whole loop): `obj` is a live dict (contract: open, so held whenever
    // Python code runs); `k` and `v` are borrowed from it and used before any
    // Python code runs, except on the slow key path, which holds them first.
    unsafe {
        while ffi::PyDict_Next(obj, &mut pos, &mut k, &mut v) != 0 {
            if !first {
                buf.push(b',');
            }
            first = false;
            // Keys of the top-level dict are written once: caching them
            // would only cost.
            if depth > 0 && enc.keys.write_cached(k, buf) {
                // Written from the cache.
            } else if ffi::Py_TYPE(k) == &raw mut ffi::PyUnicode_Type {
                let start = buf.len();
                write_exact_str(py, k, buf)?;
                buf.push(b':');
                if depth > 0 {
                    enc.keys.insert(k, buf.get(start..).unwrap_or_default());
                }
            } else {
                // The key's `__str__` may run Python code that drops `v` from
                // the dict: hold it until it is written.
                let value = Bound::from_borrowed_ptr(py, v);
                let mut written =
                    enc.python(py, |_| write_key(&Bound::from_borrowed_ptr(py, k), buf));
                if written.is_ok() {
                    buf.push(b':');
                    written = fast_value(py, value.as_ptr(), buf, enc, depth + 1);
                }
                enc.python(py, |_| {
                    drop(value);
                    Ok(())
                })?;
                written?;
                continue;
            }
            // Strings, the most common value, skip the call.
            if ffi::Py_TYPE(v) == &raw mut ffi::PyUnicode_Type {
                write_exact_str(py, v, buf)?;
            } else {
                fast_value(py, v, buf, enc, depth + 1)?;
            }
        }
    }
    buf.push(b'}');
    Ok(())
}

/// Writes the list `obj` (exact or a subclass, as stored). A list that Python
/// code shrinks mid-walk ends at its new end, as iterating it would; items it
/// gains are not written (a list that grows at each item would never end).
///
/// # Safety
/// GIL held; `obj` is a live list, as for `fast_value`.
#[inline(always)]
unsafe fn list_items(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    enc.open.enter(obj);
    // SAFETY: forwarded contract; `obj` is open until `leave`.
    let result = unsafe { list_walk(py, obj, buf, enc, depth) };
    enc.open.leave();
    result
}

/// # Safety
/// GIL held; `obj` is an open list.
#[inline(always)]
unsafe fn list_walk(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    buf.push(b'[');
    // SAFETY: `obj` is a live list (contract: open, so held whenever Python code
    // runs); each item is borrowed from it and handed to `fast_value` before any
    // Python code runs.
    unsafe {
        let n = ffi::PyList_Size(obj);
        for i in 0..n {
            let item = ffi::PyList_GetItem(obj, i);
            if item.is_null() {
                // Python code run by an earlier item shrank the list.
                ffi::PyErr_Clear();
                break;
            }
            if i > 0 {
                buf.push(b',');
            }
            if ffi::Py_TYPE(item) == &raw mut ffi::PyUnicode_Type {
                write_exact_str(py, item, buf)?;
            } else {
                fast_value(py, item, buf, enc, depth + 1)?;
            }
        }
    }
    buf.push(b']');
    Ok(())
}

fn dict_changed_size() -> PyErr {
    PyRuntimeError::new_err(
        "cannot encode as JSON: a dict changed size while it was being encoded \
         (Python code the encoder ran, such as __str__, isoformat or a finalizer, \
         added or removed keys); finish building the data before returning it",
    )
}

/// A child value: back to the fast path.
fn child(
    obj: &Bound<'_, PyAny>,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    // SAFETY: `obj` is a live `Bound` (GIL held, reference owned for the call).
    unsafe { fast_value(obj.py(), obj.as_ptr(), buf, enc, depth) }
}
