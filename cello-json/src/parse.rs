//! Parsing with simd-json into a [`Tape`], an owned value, or a serde type.

use std::cell::{Cell, RefCell};

use simd_json::{Buffers, ErrorType, StaticNode};

use crate::error::{JsonError, Reason};
use crate::locate::locate;
use crate::tape::{Node, Tape};

/// Documents up to this size reuse a per-thread set of parser buffers; larger
/// ones get fresh buffers, so one huge body does not pin its memory to the thread.
const REUSE_LIMIT: usize = 1 << 20;

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::new(4096));
}

/// Runs `f` with parser buffers (the thread's cached ones when free), and turns
/// a rejection into a [`JsonError`] with an exact position.
///
/// simd-json unescapes strings in place, so by the time it fails, earlier strings
/// with escapes may have been rewritten. The locator needs the original text, so
/// an input that has a backslash is copied first; one without is never rewritten.
fn with_buffers<'a, T>(
    input: &'a mut [u8],
    f: impl FnOnce(&'a mut [u8], &mut Buffers) -> simd_json::Result<T>,
) -> Result<T, JsonError> {
    let backup = input.contains(&b'\\').then(|| input.to_vec());
    let len = input.len();
    let ptr: *mut u8 = input.as_mut_ptr();
    // SAFETY: `ptr`/`len` come from `input`, an exclusive borrow for 'a that is
    // not used again; the parser gets this reborrow of it instead, so `ptr` stays
    // valid for the error path below.
    let input: &'a mut [u8] = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
    let result = if len <= REUSE_LIMIT {
        BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buffers) => f(input, &mut buffers),
            Err(_) => f(input, &mut Buffers::new(len)),
        })
    } else {
        f(input, &mut Buffers::new(len))
    };
    result.map_err(|err| {
        let original: &[u8] = match &backup {
            Some(copy) => copy,
            // SAFETY: `f` has returned and dropped its borrow of `input` (the
            // error borrows nothing from it), `ptr`/`len` describe that same
            // live slice, and without a backslash simd-json wrote nothing to it.
            None => unsafe { std::slice::from_raw_parts(ptr, len) },
        };
        to_json_error(original, &err)
    })
}

#[cold]
fn to_json_error(original: &[u8], err: &simd_json::Error) -> JsonError {
    if let Some((position, reason)) = locate(original) {
        return JsonError::new(position, reason);
    }
    // The locator found the text valid: a limit that only simd-json knows.
    let reason = match err.error() {
        ErrorType::InputTooLarge => Reason::TooLarge,
        ErrorType::DepthLimitExceeded => Reason::TooDeep,
        ErrorType::InvalidNumber => Reason::NumberOutOfRange,
        ErrorType::Serde(_) | ErrorType::Unexpected(..) => Reason::Shape,
        e if err.is_data() && !matches!(e, ErrorType::InternalError) => Reason::Shape,
        _ => Reason::Other,
    };
    JsonError::new(err.index().min(original.len()), reason)
}

/// Parses a JSON document into a flat [`Tape`] of [`Node`]s.
///
/// `input` is used as scratch space: strings with escapes are unescaped in
/// place and the tape's strings borrow it, so its content is unspecified
/// afterwards. Nesting is limited to 1024 levels; deeper input is an error.
///
/// # Errors
/// [`JsonError`] when `input` is not one valid JSON value (RFC 8259) surrounded
/// by optional whitespace: empty or truncated input, trailing characters,
/// invalid UTF-8, lone surrogate escapes such as `"\ud800"`, numbers that
/// overflow an `f64`, nesting deeper than 1024.
///
/// ```
/// use cello_json::{parse_tape, Node};
/// let mut doc = br#"{"a": [1, -2]}"#.to_vec();
/// let tape = parse_tape(&mut doc).unwrap();
/// assert_eq!(
///     tape.nodes(),
///     &[
///         Node::Object { len: 1, count: 4 },
///         Node::Str("a"),
///         Node::Array { len: 2, count: 2 },
///         Node::U64(1),
///         Node::I64(-2),
///     ]
/// );
/// ```
pub fn parse_tape(input: &mut [u8]) -> Result<Tape<'_>, JsonError> {
    // `try_with`: during the thread's teardown there is no pool, only fresh vectors.
    let pooled = SIMD_NODES.try_with(Cell::take).unwrap_or_default();
    let mut simd = simd_json::Tape(relife(pooled));
    with_buffers(input, |input, buffers| {
        simd_json::fill_tape(input, buffers, &mut simd)
    })?;
    let mut nodes = relife(crate::tape::NODES.try_with(Cell::take).unwrap_or_default());
    nodes.extend(simd.0.iter().map(convert));
    if simd.0.capacity() <= crate::tape::POOLED_NODES {
        let _ = SIMD_NODES.try_with(|pool| pool.set(relife(simd.0)));
    }
    Ok(Tape::from_nodes(nodes))
}

thread_local! {
    /// simd-json's own tape, kept between documents (see [`crate::tape::NODES`]).
    static SIMD_NODES: Cell<Vec<simd_json::Node<'static>>> = const { Cell::new(Vec::new()) };
}

/// An emptied vector of nodes, for a document of another lifetime, in the same
/// allocation: in-place collection reuses it, as the element types are the same but
/// for the lifetime (measured: without the pools, the two tapes' allocations cost a
/// typed POST about 600 instructions; `benches/NOTES.md`).
pub(crate) fn relife<'b, T, U>(nodes: Vec<T>) -> Vec<U>
where
    T: Retag<'b, Out = U>,
{
    nodes.into_iter().filter_map(|_| None).collect()
}

/// A node type and the same type borrowing for another lifetime.
pub(crate) trait Retag<'b> {
    type Out;
}
impl<'b> Retag<'b> for simd_json::Node<'_> {
    type Out = simd_json::Node<'b>;
}
impl<'b> Retag<'b> for Node<'_> {
    type Out = Node<'b>;
}

#[inline]
fn convert<'a>(node: &simd_json::Node<'a>) -> Node<'a> {
    match *node {
        simd_json::Node::String(s) => Node::Str(s),
        simd_json::Node::Object { len, count } => Node::Object { len, count },
        simd_json::Node::Array { len, count } => Node::Array { len, count },
        simd_json::Node::Static(StaticNode::Null) => Node::Null,
        simd_json::Node::Static(StaticNode::Bool(b)) => Node::Bool(b),
        simd_json::Node::Static(StaticNode::I64(i)) => Node::I64(i),
        simd_json::Node::Static(StaticNode::U64(u)) => Node::U64(u),
        simd_json::Node::Static(StaticNode::F64(f)) => Node::F64(f),
    }
}

/// Parses a JSON document into simd-json's owned value tree, for Rust code that
/// wants a tree rather than a tape. Same rules and errors as [`parse_tape`].
///
/// # Errors
/// [`JsonError`] when `input` is not valid JSON; see [`parse_tape`].
///
/// ```
/// use cello_json::prelude::*;
/// let mut doc = br#"{"name": "cello", "strings": 4}"#.to_vec();
/// let value = cello_json::parse_value(&mut doc).unwrap();
/// assert_eq!(value["name"].as_str(), Some("cello"));
/// assert_eq!(value["strings"].as_u64(), Some(4));
/// ```
pub fn parse_value(input: &mut [u8]) -> Result<simd_json::OwnedValue, JsonError> {
    with_buffers(input, |input, buffers| {
        simd_json::to_owned_value_with_buffers(input, buffers)
    })
}

/// Parses a JSON document straight into any `serde` type (via simd-json's tape).
///
/// # Errors
/// [`JsonError`] when `input` is not valid JSON (see [`parse_tape`]); when it is
/// valid but does not fit `T`, the error says so, at the position simd-json
/// reported (approximate).
///
/// ```
/// #[derive(serde::Deserialize, PartialEq, Debug)]
/// struct Item { id: u32, name: String }
/// let mut doc = br#"{"id": 7, "name": "bow"}"#.to_vec();
/// let item: Item = cello_json::from_slice(&mut doc).unwrap();
/// assert_eq!(item, Item { id: 7, name: "bow".into() });
/// ```
pub fn from_slice<T: serde::de::DeserializeOwned>(input: &mut [u8]) -> Result<T, JsonError> {
    with_buffers(input, |input, buffers| {
        simd_json::serde::from_slice_with_buffers(input, buffers)
    })
}
