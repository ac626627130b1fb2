//! [`Params`]: the converted parameters of one match, stored inline for the common case.

use std::fmt;

use crate::param::ParamValue;

/// Parameters up to this count live on the stack; more spill to a `Vec`. Routes rarely
/// have more than three (matchit makes the same bet).
const INLINE: usize = 4;

type Entry<'a> = (&'a str, ParamValue<'a>);

/// The typed path parameters of a [`Match`](crate::Match), in pattern order.
///
/// ```
/// use cello_router::{ParamValue, RouterBuilder};
/// use http::Method;
///
/// let mut builder = RouterBuilder::new();
/// builder.insert(Method::GET, "/repos/{owner}/{repo}/issues/{n:int}", ())?;
/// let router = builder.freeze();
///
/// let found = router.lookup(&Method::GET, "/repos/rust-lang/rust/issues/42")?;
/// assert_eq!(found.params.get("n"), Some(&ParamValue::Int(42)));
/// let names: Vec<&str> = found.params.iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["owner", "repo", "n"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Params<'a> {
    list: List<'a>,
}

#[derive(Clone, PartialEq)]
enum List<'a> {
    Inline {
        len: usize,
        items: [Entry<'a>; INLINE],
    },
    Heap(Vec<Entry<'a>>),
}

const EMPTY: Entry<'static> = ("", ParamValue::Int(0));

impl<'a> Params<'a> {
    pub(crate) fn new() -> Self {
        Self {
            list: List::Inline {
                len: 0,
                items: [EMPTY; INLINE],
            },
        }
    }

    pub(crate) fn push(&mut self, name: &'a str, value: ParamValue<'a>) {
        match &mut self.list {
            List::Inline { len, items } if *len < INLINE => {
                items[*len] = (name, value);
                *len += 1;
            }
            List::Inline { items, .. } => {
                let mut spilled: Vec<Entry<'a>> = items
                    .iter_mut()
                    .map(|e| std::mem::replace(e, EMPTY))
                    .collect();
                spilled.push((name, value));
                self.list = List::Heap(spilled);
            }
            List::Heap(vec) => vec.push((name, value)),
        }
    }

    fn as_slice(&self) -> &[Entry<'a>] {
        match &self.list {
            List::Inline { len, items } => &items[..*len],
            List::Heap(vec) => vec,
        }
    }

    /// The value of the parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue<'a>> {
        self.as_slice()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// `(name, value)` pairs in the order they appear in the pattern.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &ParamValue<'a>)> + '_ {
        self.as_slice().iter().map(|(n, v)| (*n, v))
    }

    /// How many parameters the route has.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = (&'a str, ParamValue<'a>);
    type IntoIter = IntoIter<'a>;

    fn into_iter(self) -> IntoIter<'a> {
        let vec = match self.list {
            List::Inline { len, items } => {
                let mut vec = Vec::from(items);
                vec.truncate(len);
                vec
            }
            List::Heap(vec) => vec,
        };
        IntoIter {
            inner: vec.into_iter(),
        }
    }
}

/// Owning iterator over [`Params`], from `Params::into_iter`.
#[derive(Debug)]
pub struct IntoIter<'a> {
    inner: std::vec::IntoIter<Entry<'a>>,
}

impl<'a> Iterator for IntoIter<'a> {
    type Item = (&'a str, ParamValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_params_than_fit_inline_spill_in_order() {
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut params = Params::new();
        for (i, n) in names.iter().enumerate() {
            params.push(n, ParamValue::Int(i as i64));
        }
        assert_eq!(params.len(), 6);
        assert_eq!(params.get("f"), Some(&ParamValue::Int(5)));
        let owned: Vec<_> = params.into_iter().collect();
        assert_eq!(owned.len(), 6);
        assert_eq!(owned[4], ("e", ParamValue::Int(4)));
    }

    #[test]
    fn owned_iteration_skips_unused_inline_slots() {
        let mut params = Params::new();
        params.push("x", ParamValue::Int(1));
        let owned: Vec<_> = params.into_iter().collect();
        assert_eq!(owned, [("x", ParamValue::Int(1))]);
    }
}
