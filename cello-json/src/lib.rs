//! SIMD JSON parsing and a fast JSON writer for Cello.
//!
//! # Why it looks like this
//!
//! Cello never encodes or decodes JSON in Python. A request body is parsed here,
//! and cello-py turns the result into Python objects; a handler's return value
//! is walked by cello-py, which writes JSON through the functions here.
//!
//! * **Parsing uses [simd-json]**, which finds the structure of a document with
//!   SIMD instructions and is several times faster than a byte-at-a-time parser
//!   on the kind of documents APIs receive (see `benches/json.rs`).
//! * **The result is a flat [`Tape`]**, not a tree: a pre-order list of
//!   [`Node`]s where each container says how many nodes follow it. Building
//!   Python objects from the tape is one linear walk, with no intermediate
//!   `Value` tree to allocate and drop, and strings borrow the input buffer.
//!   Pure-Rust users who want a tree get [`parse_value`] or, for their own
//!   types, [`from_slice`].
//! * **Errors point at the byte.** simd-json reports some offsets imprecisely;
//!   when it rejects a document, a small scalar validator finds the exact offset
//!   and reason ([`JsonError::position`]). That runs only on invalid input.
//! * **Writing is free functions over `&mut Vec<u8>`** ([`write_str`],
//!   [`write_i64`], [`write_f64`], ...), so a caller walking its own objects
//!   writes straight into the response buffer. Output matches serde_json's.
//!
//! # Accepted input
//!
//! Exactly RFC 8259: one value with optional whitespace around it. Rejected:
//! empty input, trailing characters, invalid UTF-8 (in strings or anywhere),
//! lone surrogate escapes such as `"\ud800"`, unescaped control characters in
//! strings, numbers that overflow an `f64` (`1e400`), and nesting deeper than
//! 1024 levels. Integers beyond the `u64`/`i64` range are not errors: like
//! serde_json they become the nearest `f64`. Duplicate object keys are all kept
//! on the tape; [`parse_value`] keeps the last one.
//!
//! # Example
//!
//! ```
//! use cello_json::{parse_tape, write_str, write_u64, Node};
//!
//! // Parse: the buffer is mutable because strings are unescaped in place.
//! let mut body = br#"{"user": "ada", "tags": ["x", "y\n"], "age": 36}"#.to_vec();
//! let tape = parse_tape(&mut body).unwrap();
//! let nodes = tape.nodes();
//! assert_eq!(nodes[0], Node::Object { len: 3, count: 8 });
//! assert_eq!(nodes[1], Node::Str("user"));
//! assert_eq!(nodes[6], Node::Str("y\n"));
//! // Skip the "tags" array by its span to reach the next key.
//! let tags = 4;
//! assert_eq!(nodes[tags + nodes[tags].span()], Node::Str("age"));
//!
//! // Write: append JSON pieces to a buffer.
//! let mut out = Vec::new();
//! out.push(b'{');
//! write_str(&mut out, "user");
//! out.push(b':');
//! write_str(&mut out, "ada \"the first\"");
//! out.push(b',');
//! write_str(&mut out, "age");
//! out.push(b':');
//! write_u64(&mut out, 36);
//! out.push(b'}');
//! assert_eq!(out, br#"{"user":"ada \"the first\"","age":36}"#);
//! ```
//!
//! [simd-json]: https://docs.rs/simd-json

mod error;
mod escape;
mod locate;
mod parse;
mod scan;
mod tape;
mod write;

pub use error::{JsonError, NonFiniteFloat};
pub use escape::write_str;
pub use parse::{from_slice, parse_tape, parse_value};
pub use tape::{Node, Tape};
pub use write::{write_bool, write_f64, write_i64, write_null, write_raw, write_u64};

/// The owned value tree that [`parse_value`] returns (simd-json's).
pub use simd_json::OwnedValue;

/// Traits to read an [`OwnedValue`] (`as_str`, `as_u64`, `get`, indexing, ...).
pub mod prelude {
    pub use simd_json::prelude::*;
}
