//! Invalid documents are rejected with the byte offset of the problem.

use cello_json::{parse_tape, parse_value, JsonError};

fn error_of(doc: &[u8]) -> JsonError {
    let tape = parse_tape(&mut doc.to_vec()).err();
    let value = parse_value(&mut doc.to_vec()).err();
    assert_eq!(tape, value, "{}", String::from_utf8_lossy(doc));
    tape.unwrap_or_else(|| panic!("accepted {}", String::from_utf8_lossy(doc)))
}

fn assert_error(doc: &[u8], position: usize, message: &str) {
    let err = error_of(doc);
    assert_eq!(
        err.to_string(),
        format!("invalid JSON at byte {position}: {message}"),
        "input {:?}",
        String::from_utf8_lossy(doc)
    );
    assert_eq!(err.position(), position);
}

#[test]
fn rejects_empty_and_blank_input_at_its_end() {
    assert_error(b"", 0, "unexpected end of input");
    assert_error(b"   ", 3, "unexpected end of input");
    assert!(error_of(b"").is_eof());
}

#[test]
fn rejects_truncated_input_at_its_end() {
    assert_error(b"[1,2", 4, "unexpected end of input");
    assert_error(b"{\"a\":1", 6, "unexpected end of input");
    assert_error(b"{\"a\":", 5, "unexpected end of input");
    assert_error(b"\"abc", 4, "unexpected end of input");
    assert_error(b"nul", 3, "unexpected end of input");
    assert_error(b"[1e", 3, "unexpected end of input");
}

#[test]
fn rejects_trailing_characters_where_they_start() {
    assert_error(b"{}x", 2, "trailing characters after the JSON value");
    assert_error(b"[1,2] 3", 6, "trailing characters after the JSON value");
    assert_error(b"true false", 5, "trailing characters after the JSON value");
    assert_error(b"1 2", 2, "trailing characters after the JSON value");
    assert_error(b"[1]\0", 3, "trailing characters after the JSON value");
}

#[test]
fn rejects_structural_mistakes_at_the_offending_byte() {
    assert_error(b"[1,,2]", 3, "unexpected character");
    assert_error(b"[1, 2, x]", 7, "unexpected character");
    assert_error(b"[1 2]", 3, "expected ',' or ']' after an array element");
    assert_error(b"{\"a\" 1}", 5, "expected ':' after an object key");
    assert_error(b"{\"a\":1,}", 7, "expected a string as object key");
    assert_error(
        b"{\"a\":1 \"b\":2}",
        7,
        "expected ',' or '}' after an object member",
    );
    assert_error(b"[1,]", 3, "unexpected character");
    assert_error(
        b"{\"key\": [1, 2, 3], \"b\": nul}",
        27,
        "unexpected character",
    );
    assert_error(b"\x0c[1]", 0, "unexpected character");
}

#[test]
fn rejects_bad_numbers_at_the_offending_byte() {
    assert_error(b"[01]", 2, "invalid number");
    assert_error(b"[1.]", 3, "invalid number");
    assert_error(b"[-]", 2, "invalid number");
    assert_error(b"[1e]", 3, "invalid number");
    assert_error(b"[+1]", 1, "unexpected character");
    assert_error(b"[.5]", 1, "unexpected character");
    assert_error(b"[1, 1e400]", 4, "number out of range of a 64-bit float");
    assert_error(b"-1e400", 0, "number out of range of a 64-bit float");
}

#[test]
fn rejects_bad_strings_at_the_offending_byte() {
    assert_error(b"[\"a\\x\"]", 4, "invalid escape sequence in string");
    assert_error(
        b"[\"\\u12\"]",
        6,
        "invalid \\u escape: expected four hex digits",
    );
    assert_error(
        b"[\"a\tb\"]",
        3,
        "unescaped control character in string (escape it as \\n, \\t or \\u00XX)",
    );
    assert_error(b"[\"ok\", \"\xff\"]", 8, "invalid UTF-8");
    assert_error(b"[\"\xc3\"]", 2, "invalid UTF-8");
    assert_error(b"\xef\xbb\xbf[]", 0, "unexpected character");
}

#[test]
fn rejects_lone_surrogate_escapes_at_their_backslash() {
    assert_error(
        b"[\"a\", \"\\ud800\"]",
        7,
        "lone UTF-16 surrogate in \\u escape",
    );
    assert_error(
        b"[\"\\ud800\\u0041\"]",
        2,
        "lone UTF-16 surrogate in \\u escape",
    );
    assert_error(b"[\"\\udc00\"]", 2, "lone UTF-16 surrogate in \\u escape");
    assert_error(
        b"\"\\ude00\\ud83d\"",
        1,
        "lone UTF-16 surrogate in \\u escape",
    );
}

#[test]
fn reports_positions_in_the_original_text_after_earlier_escaped_strings() {
    // simd-json unescapes "a\"b\\c" in place before reaching the error; the
    // position must still refer to the input as the caller sent it.
    let doc = br#"{"k\"ey": "a\"b\\c\u00e9", "x": [1, 2,, 3]}"#;
    assert_error(doc, 38, "unexpected character");
    let doc = br#"["\n\n\n\n\n\n", "\u0041", "\q"]"#;
    assert_error(doc, 29, "invalid escape sequence in string");
}

#[test]
fn reports_positions_past_a_simd_block_boundary() {
    let mut doc = format!("[{}", "\"padding\", ".repeat(20)).into_bytes();
    let at = doc.len();
    doc.extend_from_slice(b"tru]");
    let err = error_of(&doc);
    assert_eq!(err.position(), at + 3);
}
