//! Model instances as JSON, as FastAPI's `jsonable_encoder` writes them: stdlib
//! dataclasses field by field (recursively, through the encoder), pydantic v2 models
//! and msgspec Structs by their own serializer's bytes (no re-parse), enums by their
//! value. Reached only once every plain type was ruled out, so plain data never pays
//! for these lookups. pydantic and msgspec are never imported here: an instance of
//! their classes can only exist once the application imported them.

use super::{child, Encoder};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};

/// What kind of model an object is, with what writes it.
pub(super) enum Model<'py> {
    /// A pydantic v2 model: its class's `__pydantic_serializer__`.
    Pydantic(Bound<'py, PyAny>),
    /// A `msgspec.Struct`: `msgspec.json.encode`.
    Msgspec(Bound<'py, PyAny>),
    /// A stdlib dataclass instance.
    Dataclass,
    /// An `enum.Enum` member (one not already a str or int).
    Enum,
}

/// `dataclasses.fields` and `enum.Enum`, imported once (both stdlib).
struct Stdlib {
    fields: Py<PyAny>,
    enum_type: Py<PyType>,
}

static STDLIB: PyOnceLock<Stdlib> = PyOnceLock::new();

/// `msgspec.Struct` and `msgspec.json.encode`, once msgspec is imported.
static MSGSPEC: PyOnceLock<(Py<PyType>, Py<PyAny>)> = PyOnceLock::new();

fn stdlib(py: Python<'_>) -> PyResult<&Stdlib> {
    STDLIB.get_or_try_init(py, || {
        Ok(Stdlib {
            fields: py.import("dataclasses")?.getattr("fields")?.unbind(),
            enum_type: py
                .import("enum")?
                .getattr("Enum")?
                .cast_into::<PyType>()?
                .unbind(),
        })
    })
}

/// msgspec's Struct and encoder, or None while the application has not imported it.
fn msgspec(py: Python<'_>) -> PyResult<Option<&(Py<PyType>, Py<PyAny>)>> {
    if let Some(m) = MSGSPEC.get(py) {
        return Ok(Some(m));
    }
    let modules = py.import("sys")?.getattr("modules")?;
    if modules.get_item("msgspec").is_err() {
        return Ok(None);
    }
    MSGSPEC
        .get_or_try_init(py, || {
            let msgspec = py.import("msgspec")?;
            Ok((
                msgspec.getattr("Struct")?.cast_into::<PyType>()?.unbind(),
                msgspec.getattr("json")?.getattr("encode")?.unbind(),
            ))
        })
        .map(Some)
}

/// The kind of model `obj` is, or None.
pub(super) fn kind<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Model<'py>>> {
    let py = obj.py();
    let ty = obj.get_type();
    // Before dataclasses: a pydantic dataclass has both, and its serializer knows it.
    if let Some(ser) = ty.getattr_opt(pyo3::intern!(py, "__pydantic_serializer__"))? {
        if ser.hasattr(pyo3::intern!(py, "to_json"))? {
            return Ok(Some(Model::Pydantic(ser)));
        }
    }
    if ty.hasattr(pyo3::intern!(py, "__dataclass_fields__"))? {
        return Ok(Some(Model::Dataclass));
    }
    if ty.is_subclass(stdlib(py)?.enum_type.bind(py))? {
        return Ok(Some(Model::Enum));
    }
    if let Some((struct_type, encode)) = msgspec(py)? {
        if ty.is_subclass(struct_type.bind(py))? {
            return Ok(Some(Model::Msgspec(encode.bind(py).clone())));
        }
    }
    Ok(None)
}

/// Writes `obj`, a model of kind `model`. Python code runs here (the caller is inside
/// `Encoder::python`).
pub(super) fn write(
    obj: &Bound<'_, PyAny>,
    model: Model<'_>,
    buf: &mut Vec<u8>,
    enc: &mut Encoder,
    depth: usize,
) -> PyResult<()> {
    let py = obj.py();
    match model {
        Model::Pydantic(ser) => {
            cello_json::write_raw(buf, pydantic_json(obj, &ser)?.as_bytes());
        }
        Model::Msgspec(encode) => {
            let bytes = encode.call1((obj,))?;
            cello_json::write_raw(buf, bytes.cast::<PyBytes>()?.as_bytes());
        }
        Model::Enum => child(&obj.getattr(pyo3::intern!(py, "value"))?, buf, enc, depth)?,
        Model::Dataclass => {
            let names = dataclass_names(obj)?;
            buf.push(b'{');
            for (i, name) in names.iter().enumerate() {
                let name = name.cast::<PyString>()?;
                if i > 0 {
                    buf.push(b',');
                }
                cello_json::write_str(buf, name.to_str()?);
                buf.push(b':');
                child(&obj.getattr(name)?, buf, enc, depth + 1)?;
            }
            buf.push(b'}');
        }
    }
    Ok(())
}

/// Field names per dataclass, so a list of them reads `dataclasses.fields` once per
/// class, not once per object (a list of 1,000 took 5.2 ms with it per object).
static DATACLASS_NAMES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Classes made at run time would grow the cache without end; past this many, their
/// names are read each time.
const MAX_CACHED_CLASSES: usize = 1024;

/// The names of a dataclass instance's fields (`fields()` leaves out ClassVar and
/// InitVar pseudo-fields), as a tuple.
fn dataclass_names<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let py = obj.py();
    let cache = DATACLASS_NAMES
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    let ty = obj.get_type();
    if let Some(names) = cache.get_item(&ty)? {
        return Ok(names.cast_into::<PyTuple>()?);
    }
    let fields = stdlib(py)?.fields.bind(py).call1((obj,))?;
    let names = fields
        .try_iter()?
        .map(|f| f?.getattr(pyo3::intern!(py, "name")))
        .collect::<PyResult<Vec<_>>>()?;
    let names = PyTuple::new(py, names)?;
    if cache.len() < MAX_CACHED_CLASSES {
        cache.set_item(ty, &names)?;
    }
    Ok(names)
}

/// A pydantic model's JSON straight from its serializer.
pub(super) fn pydantic_bytes(obj: &Bound<'_, PyAny>, ser: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    Ok(pydantic_json(obj, ser)?.as_bytes().to_vec())
}

/// `model_dump_json(by_alias=True)` as bytes: fields under their aliases, as FastAPI's
/// `jsonable_encoder` sends them.
fn pydantic_json<'py>(
    obj: &Bound<'py, PyAny>,
    ser: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let py = obj.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(pyo3::intern!(py, "by_alias"), true)?;
    Ok(ser
        .call_method(pyo3::intern!(py, "to_json"), (obj,), Some(&kwargs))?
        .cast_into::<PyBytes>()?)
}
