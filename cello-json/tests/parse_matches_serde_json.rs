//! Parsing a corpus with cello-json and serde_json gives the same values.

use cello_json::{parse_tape, parse_value, Node};
use serde_json::Value;

/// Builds a serde_json value from the tape value at `nodes[0]`.
fn tape_to_value(nodes: &[Node<'_>]) -> Value {
    match nodes[0] {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::I64(i) => Value::from(i),
        Node::U64(u) => Value::from(u),
        Node::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Node::Str(s) => Value::String(s.to_owned()),
        Node::Array { len, count } => {
            let mut items = Vec::with_capacity(len);
            let mut i = 1;
            while i <= count {
                items.push(tape_to_value(&nodes[i..]));
                i += nodes[i].span();
            }
            assert_eq!(items.len(), len);
            Value::Array(items)
        }
        Node::Object { len, count } => {
            let mut map = serde_json::Map::new();
            let mut members = 0;
            let mut i = 1;
            while i <= count {
                let Node::Str(key) = nodes[i] else {
                    panic!("object key is not a string")
                };
                let value = tape_to_value(&nodes[i + 1..]);
                i += 1 + nodes[i + 1].span();
                map.insert(key.to_owned(), value);
                members += 1;
            }
            assert_eq!(members, len);
            Value::Object(map)
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            // serde_json's default float parsing may be one ulp off.
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

fn short(doc: &str) -> &str {
    doc.get(..80).unwrap_or(doc)
}

fn check(doc: &str) {
    let expected: Value = serde_json::from_str(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let mut buf = doc.as_bytes().to_vec();
    let tape = parse_tape(&mut buf).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let got = tape_to_value(tape.nodes());
    assert!(same(&got, &expected), "{}: tape gave {got}", short(doc));
    let mut buf = doc.as_bytes().to_vec();
    let owned = parse_value(&mut buf).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let owned: Value = serde_json::to_value(&owned).unwrap_or_else(|e| panic!("{doc}: {e}"));
    assert!(
        same(&owned, &expected),
        "{}: value gave {owned}",
        short(doc)
    );
}

#[test]
fn parses_scalars_like_serde_json() {
    for doc in [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "1",
        "-1",
        "42",
        " 7 ",
        "\t\n\r 3",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "1.5",
        "-0.0",
        "1e308",
        "-1e308",
        "5e-324",
        "2.2250738585072014e-308",
        "1E2",
        "1e-400",
        "0.1",
        "3.141592653589793",
        "123456789.123456789e-5",
    ] {
        check(doc);
    }
}

#[test]
fn turns_integers_beyond_64_bits_into_floats_like_serde_json() {
    check("18446744073709551616");
    check("-9223372036854775809");
    check("[123456789012345678901234567890, -123456789012345678901234567890]");
    let mut buf = b"18446744073709551616".to_vec();
    let tape = parse_tape(&mut buf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tape.nodes(), &[Node::F64(18446744073709551616.0)]);
}

#[test]
fn keeps_integer_kinds_on_the_tape() {
    let mut buf = b"[0, -0, 1, -1, 1.0]".to_vec();
    let tape = parse_tape(&mut buf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        &tape.nodes()[1..],
        &[
            Node::U64(0),
            Node::I64(0),
            Node::U64(1),
            Node::I64(-1),
            Node::F64(1.0)
        ]
    );
}

#[test]
fn parses_strings_with_every_escape_and_unicode() {
    for doc in [
        r#""""#,
        r#""plain ascii""#,
        r#""\" \\ \/ \b \f \n \r \t""#,
        r#""\u0000\u0001\u001f\u007f\u00e9\u4e2d\uffff""#,
        r#""\ud83d\ude00 surrogate pair""#,
        r#""\uD83D\uDE00 upper-case hex""#,
        "\"héllo wörld — 日本語 😀🎉 \u{10FFFF}\"",
        "\"a long string that crosses several sixty-four byte blocks of the simd stage, \\n with an escape near the end\"",
        r#"{"key with \"quotes\"": "value\\with\\backslashes"}"#,
    ] {
        check(doc);
    }
}

#[test]
fn parses_containers_empty_and_nested() {
    for doc in [
        "[]",
        "{}",
        "[[]]",
        "[{}]",
        "{\"a\":{}}",
        " [ 1 , [ 2 , [ 3 ] ] ] ",
        r#"{"a":{"b":[1,2,{"c":3}]},"d":"e","f":[true,false,null]}"#,
        r#"{"dup": 1, "dup": 2}"#,
        r#"[{"id":1,"name":"ada","tags":["x","y"],"score":9.5,"active":true,"meta":null}]"#,
    ] {
        check(doc);
    }
}

#[test]
fn parses_500_levels_of_nesting_which_serde_json_refuses() {
    // serde_json stops at 128 levels; cello-json allows 1024.
    let doc = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    let mut buf = doc.into_bytes();
    let tape = parse_tape(&mut buf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tape.nodes().len(), 501);
    assert_eq!(tape.nodes()[0], Node::Array { len: 1, count: 500 });
    assert_eq!(tape.nodes()[499], Node::Array { len: 1, count: 1 });
    assert_eq!(tape.nodes()[500], Node::U64(1));

    let doc = format!("{}{}", "{\"k\":".repeat(500), "}".repeat(500)).replace(":}", ":null}");
    let mut buf = doc.into_bytes();
    assert!(parse_value(&mut buf).is_ok());
}

#[test]
fn accepts_1024_levels_and_rejects_1025() {
    let ok = format!("{}{}", "[".repeat(1024), "]".repeat(1024));
    assert!(parse_tape(&mut ok.into_bytes()).is_ok());
    let deep = format!("{}{}", "[".repeat(1025), "]".repeat(1025));
    let err = parse_tape(&mut deep.into_bytes()).err();
    assert!(
        err.as_ref()
            .is_some_and(|e| e.is_too_deep() && e.position() == 1024),
        "{err:?}"
    );
}

#[test]
fn parses_a_generated_api_response_like_serde_json() {
    let mut doc = String::from("{\"data\":[");
    for i in 0..300 {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            r#"{{"id":{i},"neg":-{i},"f":{i}.25e-3,"name":"user \"{i}\" ✓","nested":{{"ok":{},"list":[{i},"{i}",null]}}}}"#,
            i % 2 == 0
        ));
    }
    doc.push_str("],\"total\":300}");
    check(&doc);
}

#[test]
fn deserializes_serde_types_with_from_slice() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct User {
        id: u64,
        name: String,
        tags: Vec<String>,
    }
    let mut buf = br#"{"id": 1, "name": "\u00e9", "tags": ["a\n"]}"#.to_vec();
    let user: User = cello_json::from_slice(&mut buf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        user,
        User {
            id: 1,
            name: "é".into(),
            tags: vec!["a\n".into()]
        }
    );

    let mut buf = br#"{"id": "one", "name": "x", "tags": []}"#.to_vec();
    let err = cello_json::from_slice::<User>(&mut buf).err();
    assert!(
        err.as_ref()
            .is_some_and(|e| e.to_string().contains("does not match the expected type")),
        "{err:?}"
    );
}
