//! [`Params`]: the converted parameters of one match, stored inline for the common case.

use std::fmt;

use crate::param::ParamValue;
use crate::pattern::ParamSpec;

/// Parameters up to this count live on the stack; more spill to a `Vec`. Routes rarely
/// have more than three (matchit makes the same bet).
const INLINE: usize = 4;

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
    /// The route's declared parameters; names are read from here so a lookup stores only
    /// values (a smaller `Match` to move around).
    specs: &'a [ParamSpec],
    values: Values<'a>,
}

#[derive(Clone, PartialEq)]
enum Values<'a> {
    Inline {
        len: usize,
        items: [ParamValue<'a>; INLINE],
    },
    Heap(Vec<ParamValue<'a>>),
}

const EMPTY: ParamValue<'static> = ParamValue::Int(0);

impl<'a> Params<'a> {
    /// Room for the values of a route declaring `specs`, pushed in the same order.
    pub(crate) fn new(specs: &'a [ParamSpec]) -> Self {
        let values = if specs.len() <= INLINE {
            Values::Inline {
                len: 0,
                items: [EMPTY; INLINE],
            }
        } else {
            Values::Heap(Vec::with_capacity(specs.len()))
        };
        Self { specs, values }
    }

    /// Appends the value of the next declared parameter.
    pub(crate) fn push(&mut self, value: ParamValue<'a>) {
        match &mut self.values {
            Values::Inline { len, items } => {
                if let Some(slot) = items.get_mut(*len) {
                    *slot = value;
                    *len += 1;
                }
            }
            Values::Heap(vec) => vec.push(value),
        }
    }

    /// The values, in the order they appear in the pattern (without their names).
    pub fn values(&self) -> &[ParamValue<'a>] {
        match &self.values {
            Values::Inline { len, items } => &items[..*len],
            Values::Heap(vec) => vec,
        }
    }

    /// The value of the parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue<'a>> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// `(name, value)` pairs in the order they appear in the pattern.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &ParamValue<'a>)> + '_ {
        let specs = self.specs;
        specs.iter().map(|s| &*s.name).zip(self.values())
    }

    /// How many parameters the route has.
    pub fn len(&self) -> usize {
        self.values().len()
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
        let values = match self.values {
            Values::Inline { len, items } => {
                let mut vec = Vec::from(items);
                vec.truncate(len);
                vec
            }
            Values::Heap(vec) => vec,
        };
        IntoIter {
            names: self.specs.iter(),
            values: values.into_iter(),
        }
    }
}

/// Owning iterator over [`Params`], from `Params::into_iter`.
#[derive(Debug)]
pub struct IntoIter<'a> {
    names: std::slice::Iter<'a, ParamSpec>,
    values: std::vec::IntoIter<ParamValue<'a>>,
}

impl<'a> Iterator for IntoIter<'a> {
    type Item = (&'a str, ParamValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        Some((&*self.names.next()?.name, self.values.next()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
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
    use crate::param::ParamType;

    fn specs(names: &[&str]) -> Vec<ParamSpec> {
        names
            .iter()
            .map(|n| ParamSpec {
                name: (*n).into(),
                ty: ParamType::Int,
            })
            .collect()
    }

    #[test]
    fn more_params_than_fit_inline_go_to_the_heap_in_order() {
        let specs = specs(&["a", "b", "c", "d", "e", "f"]);
        let mut params = Params::new(&specs);
        for i in 0..6 {
            params.push(ParamValue::Int(i));
        }
        assert_eq!(params.len(), 6);
        assert_eq!(params.get("f"), Some(&ParamValue::Int(5)));
        let owned: Vec<_> = params.into_iter().collect();
        assert_eq!(owned.len(), 6);
        assert_eq!(owned[4], ("e", ParamValue::Int(4)));
    }

    #[test]
    fn owned_iteration_skips_unused_inline_slots() {
        let specs = specs(&["x"]);
        let mut params = Params::new(&specs);
        params.push(ParamValue::Int(1));
        let owned: Vec<_> = params.into_iter().collect();
        assert_eq!(owned, [("x", ParamValue::Int(1))]);
    }
}
