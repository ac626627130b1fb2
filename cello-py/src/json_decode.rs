//! JSON bytes → Python objects, by walking cello-json's tape: no intermediate tree.

use cello_json::{JsonError, Node};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// Parses `buf` (rewritten in place by simd-json) into Python objects.
pub fn decode<'py>(py: Python<'py>, buf: &mut [u8]) -> Result<Bound<'py, PyAny>, DecodeError> {
    let tape = cello_json::parse_tape(buf).map_err(DecodeError::Json)?;
    let nodes = tape.nodes();
    let (value, _) = build(py, nodes, 0).map_err(DecodeError::Py)?;
    Ok(value)
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

/// Builds the value at `nodes[i]`; returns it and the index after it.
fn build<'py>(
    py: Python<'py>,
    nodes: &[Node<'_>],
    i: usize,
) -> PyResult<(Bound<'py, PyAny>, usize)> {
    let Some(node) = nodes.get(i) else {
        return Ok((py.None().into_bound(py), i + 1));
    };
    Ok(match *node {
        Node::Null => (py.None().into_bound(py), i + 1),
        Node::Bool(b) => (pyo3::types::PyBool::new(py, b).to_owned().into_any(), i + 1),
        Node::I64(v) => (v.into_pyobject(py)?.into_any(), i + 1),
        Node::U64(v) => (v.into_pyobject(py)?.into_any(), i + 1),
        Node::F64(v) => (pyo3::types::PyFloat::new(py, v).into_any(), i + 1),
        Node::Str(s) => (PyString::new(py, s).into_any(), i + 1),
        Node::Array { len, .. } => {
            let list = PyList::empty(py);
            let mut j = i + 1;
            for _ in 0..len {
                let (v, next) = build(py, nodes, j)?;
                list.append(v)?;
                j = next;
            }
            (list.into_any(), j)
        }
        Node::Object { len, .. } => {
            let dict = PyDict::new(py);
            let mut j = i + 1;
            for _ in 0..len {
                let key = match nodes.get(j) {
                    Some(Node::Str(k)) => PyString::new(py, k),
                    _ => PyString::new(py, ""),
                };
                let (v, next) = build(py, nodes, j + 1)?;
                dict.set_item(key, v)?;
                j = next;
            }
            (dict.into_any(), j)
        }
    })
}
