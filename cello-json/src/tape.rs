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
