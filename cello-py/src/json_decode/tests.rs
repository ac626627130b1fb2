//! The decoder's error paths and its key cache, in an interpreter started by the test.

use super::*;
use cello_json::Node;
use pyo3::exceptions::PyMemoryError;
use pyo3::types::{PyDict, PyList};

fn loads<'py>(py: Python<'py>, text: &[u8]) -> Result<Bound<'py, PyAny>, DecodeError> {
    decode(py, text)
}

/// The JSON error for `text`: its position and message.
fn json_error(py: Python<'_>, text: &[u8]) -> (usize, String) {
    match loads(py, text) {
        Err(DecodeError::Json(e)) => (e.position(), DecodeError::Json(e).to_string()),
        Err(DecodeError::Py(e)) => panic!("{text:?}: a Python error, not a JSON one: {e}"),
        Ok(v) => panic!("{text:?} decoded to {v}"),
    }
}

/// Builds the value of a hand-written tape, as `decode` does after parsing.
fn build_nodes<'py>(py: Python<'py>, nodes: &[Node<'_>]) -> PyResult<Bound<'py, PyAny>> {
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        // SAFETY: GIL held; `build` returns a new reference or null with an
        // exception set.
        let (ptr, _) = unsafe { build(nodes, 0, &mut cache) };
        if ptr.is_null() {
            Err(PyErr::fetch(py))
        } else {
            // SAFETY: a new, owned reference.
            Ok(unsafe { Bound::from_owned_ptr(py, ptr) })
        }
    })
}

fn first_key<'py>(dict: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
    dict.cast::<PyDict>().unwrap().keys().get_item(0).unwrap()
}

/// More elements than a list can hold: `PyList_New` fails with MemoryError.
const TOO_LONG: usize = isize::MAX as usize;

#[test]
fn invalid_json_names_the_byte_where_it_stops_being_json() {
    Python::attach(|py| {
        for (text, position) in [
            (&b"[1,]"[..], 3),
            (b"{\"a\" 1}", 5),
            (b"nul", 3),
            (b"1 2", 2),
        ] {
            let (at, message) = json_error(py, text);
            assert_eq!(at, position, "{message}");
            assert!(
                message.contains(&format!("at byte {position}")),
                "{message}"
            );
        }
    });
}

#[test]
fn empty_truncated_and_non_utf8_input_are_json_errors() {
    Python::attach(|py| {
        for text in [&b""[..], b"{", b"[1, 2", b"\"abc", b"\"\xff\"", b"   "] {
            let (_, message) = json_error(py, text);
            assert!(message.starts_with("invalid JSON at byte"), "{message}");
        }
    });
}

#[test]
fn nesting_too_deep_is_an_error_not_a_crash() {
    Python::attach(|py| {
        // simd-json's limit is 1,024 levels: the 1,025th bracket is the error.
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(loads(py, &nested(1024)).is_ok());
        let (at, message) = json_error(py, &nested(100_000));
        assert_eq!(at, 1024, "{message}");
    });
}

#[test]
fn a_python_allocation_failure_is_a_python_error() {
    Python::attach(|py| {
        let err = build_nodes(
            py,
            &[Node::Array {
                len: TOO_LONG,
                count: 0,
            }],
        )
        .unwrap_err();
        assert!(err.is_instance_of::<PyMemoryError>(py));
        // `DecodeError` shows it as Python would.
        assert!(DecodeError::Py(err).to_string().contains("MemoryError"));
    });
}

#[test]
fn a_failure_deep_inside_releases_everything_built_so_far() {
    Python::attach(|py| {
        // `{"kept": "a value", "bad": [1, <a list too long>]}`: the key cache keeps
        // "kept" and "bad", so their reference counts show whether the half-built
        // dict was released.
        assert_ne!(slot_of(b"kept"), slot_of(b"bad"));
        let nodes = [
            Node::Object { len: 2, count: 7 },
            Node::Str("kept"),
            Node::Str("a value"),
            Node::Str("bad"),
            Node::Array { len: 2, count: 2 },
            Node::I64(1),
            Node::Array {
                len: TOO_LONG,
                count: 0,
            },
        ];
        let warm = build_nodes(
            py,
            &[
                Node::Object { len: 2, count: 4 },
                Node::Str("kept"),
                Node::Null,
                Node::Str("bad"),
                Node::Null,
            ],
        )
        .unwrap();
        let keys: Vec<Bound<'_, PyAny>> = warm.cast::<PyDict>().unwrap().keys().iter().collect();
        drop(warm);
        let getrefcount = py.import("sys").unwrap().getattr("getrefcount").unwrap();
        let counts = |keys: &[Bound<'_, PyAny>]| {
            keys.iter()
                .map(|k| getrefcount.call1((k,)).unwrap().extract::<isize>().unwrap())
                .collect::<Vec<_>>()
        };
        let before = counts(&keys);
        for _ in 0..3 {
            let err = build_nodes(py, &nodes).unwrap_err();
            assert!(err.is_instance_of::<PyMemoryError>(py));
        }
        assert_eq!(counts(&keys), before);
    });
}

#[test]
fn a_tape_shorter_than_it_announces_fills_in_none() {
    Python::attach(|py| {
        let value = build_nodes(py, &[Node::Array { len: 3, count: 2 }, Node::I64(7)]).unwrap();
        let list = value.cast::<PyList>().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list.get_item(0).unwrap().extract::<i64>().unwrap(), 7);
        assert!(list.get_item(1).unwrap().is_none());
        assert!(list.get_item(2).unwrap().is_none());
    });
}

#[test]
fn keys_repeated_across_documents_are_one_cached_str() {
    Python::attach(|py| {
        let first = loads(py, br#"[{"id": 1}, {"id": 2}]"#).ok().unwrap();
        let second = loads(py, br#"{"id": 3}"#).ok().unwrap();
        let a = first_key(&first.get_item(0).unwrap());
        let b = first_key(&first.get_item(1).unwrap());
        let c = first_key(&second);
        assert!(a.is(&b) && b.is(&c));
        assert_eq!(a.extract::<String>().unwrap(), "id");
    });
}

#[test]
fn long_keys_are_not_cached_but_read_right() {
    Python::attach(|py| {
        let key = "k".repeat(MAX_CACHED_KEY + 1);
        let text = format!(r#"[{{"{key}": 1}}, {{"{key}": 2}}]"#);
        let value = loads(py, text.as_bytes()).ok().unwrap();
        let a = first_key(&value.get_item(0).unwrap());
        let b = first_key(&value.get_item(1).unwrap());
        assert!(!a.is(&b));
        assert_eq!(a.extract::<String>().unwrap(), key);
        assert_eq!(b.extract::<String>().unwrap(), key);
    });
}

#[test]
fn keys_sharing_a_cache_slot_are_each_read_right() {
    Python::attach(|py| {
        let slot = slot_of(b"a0");
        let other = (1..100_000)
            .map(|i| format!("a{i}"))
            .find(|k| slot_of(k.as_bytes()) == slot)
            .unwrap();
        let text = format!(r#"[{{"a0": 1}}, {{"{other}": 2}}, {{"a0": 3}}]"#);
        let value = loads(py, text.as_bytes()).ok().unwrap();
        let json: String = py
            .import("json")
            .unwrap()
            .call_method1("dumps", (value,))
            .unwrap()
            .extract()
            .unwrap();
        assert_eq!(
            json,
            format!(r#"[{{"a0": 1}}, {{"{other}": 2}}, {{"a0": 3}}]"#)
        );
    });
}
