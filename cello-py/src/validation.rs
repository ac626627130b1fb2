//! Validation failures of one request, gathered from every source (query string,
//! headers, cookies, body) and answered at once in FastAPI's shape: a 422 whose
//! `detail` lists `{"type", "loc", "msg", "input"}` per failure.

use crate::runtime;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::borrow::Cow;

/// One step of a failure's location: `["query", "tags", 2]`, `["body", "items", 0, "name"]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Loc {
    /// A source, parameter or field name.
    Key(Cow<'static, str>),
    /// A position in a list.
    Index(usize),
}

impl From<&'static str> for Loc {
    fn from(s: &'static str) -> Self {
        Loc::Key(Cow::Borrowed(s))
    }
}

impl From<String> for Loc {
    fn from(s: String) -> Self {
        Loc::Key(Cow::Owned(s))
    }
}

impl From<usize> for Loc {
    fn from(i: usize) -> Self {
        Loc::Index(i)
    }
}

/// What did not validate, where, and why, in pydantic's words.
pub struct Failure {
    /// Where: the source first.
    pub loc: Vec<Loc>,
    /// Pydantic's error type: `missing`, `int_parsing`...
    pub kind: &'static str,
    /// Pydantic's message.
    pub msg: Cow<'static, str>,
    /// The value as sent; None for a missing one.
    pub input: Option<Py<PyAny>>,
    /// Pydantic's `ctx` (`{"ge": 1}`), when it gives one.
    pub ctx: Option<Py<PyAny>>,
}

/// The failures of one request so far.
#[derive(Default)]
pub struct Errors(Vec<Entry>);

/// A failure, or one already in FastAPI's shape (from pydantic or msgspec).
enum Entry {
    Failure(Failure),
    Detail(Py<PyAny>),
}

impl Errors {
    /// Records a failure.
    pub fn push(&mut self, failure: Failure) {
        self.0.push(Entry::Failure(failure));
    }

    /// Records a failure already shaped `{"type", "loc", "msg", "input"}`.
    pub fn push_detail(&mut self, detail: Py<PyAny>) {
        self.0.push(Entry::Detail(detail));
    }

    /// Whether a failure was recorded at `loc` or inside it.
    pub fn reaches(&self, loc: &[Loc]) -> bool {
        self.0
            .iter()
            .any(|entry| matches!(entry, Entry::Failure(f) if f.loc.starts_with(loc)))
    }

    /// Whether a failure of this type (`json_invalid`...) was recorded.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.0
            .iter()
            .any(|entry| matches!(entry, Entry::Failure(f) if f.kind == kind))
    }

    /// Moves `other`'s failures here, after the ones recorded so far.
    pub fn append(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    /// `HTTPException(422, detail=[...])` listing every failure, or None.
    pub fn into_exception(self, py: Python<'_>) -> PyResult<Option<PyErr>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let mut failures = self.0;
        // FastAPI lists them by source (path, query, header, cookie, then the body),
        // each source in the signature's order; the sort is stable.
        failures.sort_by_key(|entry| match entry {
            Entry::Failure(Failure { loc: first_loc, .. }) => match first_loc.first() {
                Some(Loc::Key(k)) => ["path", "query", "header", "cookie"]
                    .iter()
                    .position(|s| s == k)
                    .unwrap_or(4),
                _ => 4,
            },
            Entry::Detail(_) => 4,
        });
        let detail = PyList::empty(py);
        for entry in failures {
            let f = match entry {
                Entry::Failure(f) => f,
                Entry::Detail(d) => {
                    detail.append(d)?;
                    continue;
                }
            };
            let item = PyDict::new(py);
            item.set_item("type", f.kind)?;
            let loc = PyList::empty(py);
            for step in &f.loc {
                match step {
                    Loc::Key(k) => loc.append(k.as_ref())?,
                    Loc::Index(i) => loc.append(*i)?,
                }
            }
            item.set_item("loc", loc)?;
            item.set_item("msg", f.msg.as_ref())?;
            item.set_item("input", f.input)?;
            if let Some(ctx) = f.ctx {
                item.set_item("ctx", ctx)?;
            }
            detail.append(item)?;
        }
        let exc = runtime::get(py)?
            .http_exception
            .bind(py)
            .call1((422, detail))?;
        Ok(Some(PyErr::from_value(exc)))
    }
}
