//! The flat, pre-order node list that [`parse_tape`](crate::parse_tape) returns.

/// One JSON value on a [`Tape`]; containers are followed by their contents.
///
/// Numbers keep the type the text had: a non-negative integer is `U64`, a
/// negative one `I64`, anything with a fraction or exponent `F64`. Integers
/// outside both 64-bit ranges become the nearest `F64`, as serde_json does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer (or `-0`) that fits in an `i64`.
    I64(i64),
    /// A non-negative integer that fits in a `u64`.
    U64(u64),
    /// A number with a fraction or exponent, or an integer too large for 64 bits.
    F64(f64),
    /// A string, unescaped, borrowed from the (rewritten) input buffer.
    Str(&'a str),
    /// An array of `len` elements whose nodes are the next `count` nodes.
    Array {
        /// Number of elements.
        len: usize,
        /// Number of nodes after this one that belong to the array, nested ones included.
        count: usize,
    },
    /// An object of `len` members whose nodes are the next `count` nodes: each
    /// member is a [`Node::Str`] key followed by the value's nodes.
    Object {
        /// Number of members.
        len: usize,
        /// Number of nodes after this one that belong to the object, keys included.
        count: usize,
    },
}

impl Node<'_> {
    /// How many nodes this value occupies on the tape, itself included: add it
    /// to an index to skip the whole value.
    ///
    /// ```
    /// use cello_json::Node;
    /// assert_eq!(Node::Null.span(), 1);
    /// assert_eq!(Node::Array { len: 2, count: 2 }.span(), 3);
    /// ```
    #[must_use]
    pub fn span(&self) -> usize {
        match *self {
            Node::Array { count, .. } | Node::Object { count, .. } => count + 1,
            _ => 1,
        }
    }
}

/// A parsed document as a flat list of [`Node`]s in pre-order: the root is
/// `nodes()[0]`, and a container's contents follow it.
///
/// Strings borrow the input buffer, so walking a tape allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape<'a> {
    nodes: Vec<Node<'a>>,
}

/// Tapes of up to this many nodes (24 bytes each) go back to a per-thread pool when
/// dropped, for the next document on the thread; bigger ones are freed.
pub(crate) const POOLED_NODES: usize = 4096;

thread_local! {
    /// The allocation of the last tape dropped on this thread, empty.
    pub(crate) static NODES: std::cell::Cell<Vec<Node<'static>>> =
        const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Tape<'_> {
    fn drop(&mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        if nodes.capacity() <= POOLED_NODES {
            // After the thread's locals are gone (a tape dropped at thread exit),
            // the allocation is simply freed.
            let _ = NODES.try_with(|pool| pool.set(crate::parse::relife(nodes)));
        }
    }
}

impl<'a> Tape<'a> {
    pub(crate) fn from_nodes(nodes: Vec<Node<'a>>) -> Self {
        Self { nodes }
    }

    /// All nodes; never empty for a tape returned by [`parse_tape`](crate::parse_tape).
    #[must_use]
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// The root node.
    #[must_use]
    pub fn root(&self) -> Node<'a> {
        self.nodes.first().copied().unwrap_or(Node::Null)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use crate::parse_tape;

    #[test]
    fn a_dropped_tape_lends_its_allocation_to_the_next_document_on_the_thread() {
        let mut first = br#"{"a": [1, 2, 3], "b": "x"}"#.to_vec();
        let tape = parse_tape(&mut first).expect("valid");
        let (ptr, cap) = (tape.nodes().as_ptr(), tape.nodes.capacity());
        drop(tape);
        let mut second = br#"[true, null, {"c": 1.5}]"#.to_vec();
        let tape = parse_tape(&mut second).expect("valid");
        assert_eq!((tape.nodes().as_ptr(), tape.nodes.capacity()), (ptr, cap));
        assert_eq!(tape.nodes().len(), 6);
        // A tape that is still alive is not reused under it.
        let mut third = b"[1]".to_vec();
        let other = parse_tape(&mut third).expect("valid");
        assert_ne!(other.nodes().as_ptr(), tape.nodes().as_ptr());
        assert_eq!(other.root(), crate::Node::Array { len: 1, count: 1 });
    }
}
