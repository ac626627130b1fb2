//! Python objects → JSON bytes, written straight into a buffer with cello-json's
//! writer: no intermediate tree, exact-type checks first so the common types cost one
//! pointer comparison each.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Nesting deeper than this is refused: it is either a mistake or a cycle.
const MAX_DEPTH: usize = 255;

/// Appends `obj` as JSON to `buf`.
pub fn encode(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>) -> PyResult<()> {
    write_value(obj, buf, 0)
}

fn write_value(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>, depth: usize) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "cannot encode as JSON: nesting deeper than 255 levels (is there a cycle?)",
        ));
    }
    if obj.is_exact_instance_of::<PyString>() {
        // SAFETY: the exact type was checked on the line above.
        let s = unsafe { obj.cast_unchecked::<PyString>() };
        cello_json::write_str(buf, s.to_str()?);
    } else if obj.is_exact_instance_of::<PyDict>() {
        // SAFETY: exact type checked.
        write_dict(unsafe { obj.cast_unchecked::<PyDict>() }, buf, depth)?;
    } else if obj.is_exact_instance_of::<PyList>() {
        // SAFETY: exact type checked.
        let list = unsafe { obj.cast_unchecked::<PyList>() };
        buf.push(b'[');
        for (i, item) in list.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            write_value(&item, buf, depth + 1)?;
        }
        buf.push(b']');
    } else if obj.is_exact_instance_of::<PyInt>() {
        write_int(obj, buf)?;
    } else if obj.is_none() {
        cello_json::write_null(buf);
    } else if obj.is_exact_instance_of::<PyBool>() {
        cello_json::write_bool(buf, obj.is_truthy()?);
    } else if obj.is_exact_instance_of::<PyFloat>() {
        // SAFETY: exact type checked.
        let v = unsafe { obj.cast_unchecked::<PyFloat>() }.value();
        cello_json::write_f64(buf, v)
            .map_err(|e| PyValueError::new_err(format!("cannot encode as JSON: {e}")))?;
    } else {
        write_other(obj, buf, depth)?;
    }
    Ok(())
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

fn write_dict(dict: &Bound<'_, PyDict>, buf: &mut Vec<u8>, depth: usize) -> PyResult<()> {
    buf.push(b'{');
    for (i, (k, v)) in dict.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_key(&k, buf)?;
        buf.push(b':');
        write_value(&v, buf, depth + 1)?;
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
fn write_other(obj: &Bound<'_, PyAny>, buf: &mut Vec<u8>, depth: usize) -> PyResult<()> {
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
        write_dict(d, buf, depth)?;
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        buf.push(b'[');
        for (i, item) in obj.try_iter()?.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            write_value(&item?, buf, depth + 1)?;
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
