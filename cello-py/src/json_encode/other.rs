//! The encoder's slow path: subclasses of the JSON types, tuples, dates, UUIDs,
//! Decimals, and dict keys that are not exact `str`. Python code may run here
//! (`__str__`, `isoformat`, `__iter__`): the fast path calls in only through
//! `Encoder::python`.

use super::{child, dict_items, models, Encoder};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

/// The types written besides the JSON ones, imported once per process and compared
/// by type pointer (subclasses included), as pydantic-core does: a class that only
/// shares a name with one of them is not taken for it.
struct KnownTypes {
    /// `datetime.date`, and so `datetime.datetime`: ISO 8601.
    date: Py<PyType>,
    /// `datetime.time`: ISO 8601.
    time: Py<PyType>,
    /// `uuid.UUID`: its `str()`.
    uuid: Py<PyType>,
    /// `decimal.Decimal`: its `str()`, so no digit is lost.
    decimal: Py<PyType>,
}

static KNOWN: PyOnceLock<KnownTypes> = PyOnceLock::new();

fn known(py: Python<'_>) -> PyResult<&KnownTypes> {
    KNOWN.get_or_try_init(py, || {
        let import = |module: &str, name: &str| -> PyResult<Py<PyType>> {
            Ok(py
                .import(module)?
                .getattr(name)?
                .cast_into::<PyType>()?
                .unbind())
        };
        Ok(KnownTypes {
            date: import("datetime", "date")?,
            time: import("datetime", "time")?,
            uuid: import("uuid", "UUID")?,
            decimal: import("decimal", "Decimal")?,
        })
    })
}

/// Writes an `int` (or subclass) that may not fit in 64 bits.
pub(super) fn write_int(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
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

/// Keys are strings; int, float, bool and None keys are written as their JSON text
/// in quotes, as the stdlib `json` does.
pub(super) fn write_key(k: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
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
/// subclasses (str and int enums included), dates (ISO 8601), UUIDs and Decimals (as
/// strings), models (dataclasses, pydantic, msgspec) and other enums.
pub(super) fn write_other(
    obj: &Bound<'_, PyAny>,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
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
    } else if obj.is_instance_of::<PyDict>() {
        // SAFETY: GIL held; `obj` is a dict held by its `Bound` for the call.
        unsafe { dict_items(py, obj.as_ptr(), buf, enc, depth)? };
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        buf.push(b'[');
        for (i, item) in obj.try_iter()?.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            child(&item?, buf, enc, depth + 1)?;
        }
        buf.push(b']');
    } else {
        let known = known(py)?;
        let ty = obj.get_type();
        if ty.is_subclass(known.date.bind(py))? || ty.is_subclass(known.time.bind(py))? {
            write_isoformat(obj, buf)?;
        } else if ty.is_subclass(known.uuid.bind(py))? || ty.is_subclass(known.decimal.bind(py))? {
            cello_json::write_str(buf, obj.str()?.to_str()?);
        } else if let Some(model) = models::kind(obj)? {
            models::write(obj, model, buf, enc, depth)?;
        } else if obj.hasattr(pyo3::intern!(py, "isoformat"))? {
            // Date-like classes of other libraries (arrow, pendulum).
            write_isoformat(obj, buf)?;
        } else {
            return Err(PyTypeError::new_err(format!(
                "cannot encode as JSON: object of type {}",
                ty.name()?
            )));
        }
    }
    Ok(())
}

fn write_isoformat(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
    let s = obj.call_method0(pyo3::intern!(obj.py(), "isoformat"))?;
    cello_json::write_str(buf, s.str()?.to_str()?);
    Ok(())
}
