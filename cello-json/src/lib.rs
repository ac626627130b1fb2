#![doc = include_str!("../README.md")]

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
