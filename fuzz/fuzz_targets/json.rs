//! Fuzzes cello-json: parsing never panics, the tape and the value parser
//! agree, cello-json accepts what serde_json accepts (within its limits) with
//! the same value, and `write_str` round-trips through serde_json.
#![no_main]

use cello_json::{parse_tape, parse_value, write_str, Node};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn tape_to_value(nodes: &[Node<'_>]) -> Value {
    match nodes[0] {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::I64(i) => Value::from(i),
        Node::U64(u) => Value::from(u),
        Node::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Node::Str(s) => Value::String(s.to_owned()),
        Node::Array { count, .. } => {
            let mut items = Vec::new();
            let mut i = 1;
            while i <= count {
                items.push(tape_to_value(&nodes[i..]));
                i += nodes[i].span();
            }
            Value::Array(items)
        }
        Node::Object { count, .. } => {
            let mut map = serde_json::Map::new();
            let mut i = 1;
            while i <= count {
                let Node::Str(key) = nodes[i] else {
                    panic!("non-string key on tape")
                };
                map.insert(key.to_owned(), tape_to_value(&nodes[i + 1..]));
                i += 1 + nodes[i + 1].span();
            }
            Value::Object(map)
        }
    }
}

/// Equal, allowing serde_json's default float parsing to be one ulp off.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x.to_bits() as i64 - y.to_bits() as i64).abs() <= 1
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Bracket depth, ignoring strings: an upper bound good enough to tell whether
/// serde_json's recursion limit (128) explains a disagreement.
fn depth(data: &[u8]) -> usize {
    let (mut d, mut max) = (0usize, 0usize);
    for &b in data {
        match b {
            b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b']' | b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fuzz_target!(|data: &[u8]| {
    let mut tape_buf = data.to_vec();
    let tape = parse_tape(&mut tape_buf);
    let mut value_buf = data.to_vec();
    let value = parse_value(&mut value_buf);
    match (&tape, &value) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "tape and value parsers disagree on the error");
            assert!(a.position() <= data.len(), "error past the end of input");
        }
        _ => panic!(
            "tape: {:?}, value: {:?}",
            tape.as_ref().err(),
            value.as_ref().err()
        ),
    }

    let serde: Result<Value, _> = serde_json::from_slice(data);
    match (&tape, &serde) {
        (Ok(tape), Ok(expected)) => {
            let got = tape_to_value(tape.nodes());
            assert!(same(&got, expected), "tape {got} != serde_json {expected}");
            if let Ok(v) = &value {
                let got = serde_json::to_value(v).unwrap_or(Value::Null);
                assert!(same(&got, expected), "value {got} != serde_json {expected}");
            }
        }
        (Err(e), Ok(_)) => panic!("serde_json accepts, cello-json rejects: {e}"),
        (Ok(_), Err(e)) => assert!(
            depth(data) > 128,
            "cello-json accepts, serde_json rejects: {e}"
        ),
        (Err(_), Err(_)) => {}
    }

    if let Ok(s) = std::str::from_utf8(data) {
        let mut out = Vec::new();
        write_str(&mut out, s);
        let expected = serde_json::to_string(s).unwrap_or_default();
        assert_eq!(out, expected.as_bytes());
        let back: String = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(back, s);
    }
});
