//! FastAPI's constraints on a text parameter (`Query(ge=1)`, `Header(max_length=64)`,
//! `Path(pattern="^[a-z]+$")`), read once at registration and checked per value with
//! pydantic's error types, messages and `ctx`.

use crate::params::Failed;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt};

/// A number's bound: `ge=1`.
struct Limit {
    /// Pydantic's name for the failure: `greater_than_equal`...
    kind: &'static str,
    /// FastAPI's name for the option, the key of `ctx`: `ge`...
    key: &'static str,
    /// "greater than or equal to".
    words: &'static str,
    /// The bound, exact when it was given as an int.
    int: Option<i64>,
    value: f64,
    /// As Python prints it, for the message.
    shown: String,
    /// As given, for `ctx`.
    given: Py<PyAny>,
}

impl Limit {
    /// Whether `x` (exactly `int` when it is an int) is within the bound.
    fn allows(&self, x: f64, int: Option<i64>) -> bool {
        let order = match (int, self.int) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => x.partial_cmp(&self.value),
        };
        use std::cmp::Ordering::*;
        matches!(
            (self.key, order),
            ("le", Some(Less | Equal))
                | ("lt", Some(Less))
                | ("ge", Some(Greater | Equal))
                | ("gt", Some(Greater))
        )
    }
}

/// The constraints of one parameter.
pub struct Constraints {
    /// In pydantic's order of checking: le, lt, ge, gt.
    limits: Vec<Limit>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    /// Searched for anywhere in the value (`re.search`), as pydantic does.
    pattern: Option<(regex::Regex, String)>,
}

/// The number options, in the order pydantic checks them.
const LIMITS: [(&str, &str, &str); 4] = [
    ("le", "less_than_equal", "less than or equal to"),
    ("lt", "less_than", "less than"),
    ("ge", "greater_than_equal", "greater than or equal to"),
    ("gt", "greater_than", "greater than"),
];

impl Constraints {
    /// The constraints among a parameter's engine options, or None when it has none.
    /// A pattern the `regex` crate cannot compile is an error saying why.
    pub fn from_options(options: &Bound<'_, PyDict>) -> Result<Option<Self>, String> {
        let mut out = Constraints {
            limits: Vec::new(),
            min_length: None,
            max_length: None,
            pattern: None,
        };
        for (key, kind, words) in LIMITS {
            let Some(given) = options.get_item(key).ok().flatten() else {
                continue;
            };
            let value: f64 = given
                .extract()
                .map_err(|_| format!("`{key}` must be a number, not {given}"))?;
            let int = given
                .is_instance_of::<PyInt>()
                .then(|| given.extract::<i64>().ok())
                .flatten();
            let shown = given
                .str()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| value.to_string());
            out.limits.push(Limit {
                kind,
                key,
                words,
                int,
                value,
                shown,
                given: given.unbind(),
            });
        }
        let length = |key: &str| -> Result<Option<usize>, String> {
            match options.get_item(key).ok().flatten() {
                Some(v) => v
                    .extract::<usize>()
                    .map(Some)
                    .map_err(|_| format!("`{key}` must be a non-negative int, not {v}")),
                None => Ok(None),
            }
        };
        out.min_length = length("min_length")?;
        out.max_length = length("max_length")?;
        if let Some(p) = options.get_item("pattern").ok().flatten() {
            let text: String = p
                .extract()
                .map_err(|_| format!("`pattern` must be a str, not {p}"))?;
            let re = regex::Regex::new(&text).map_err(|e| {
                format!("pattern {text:?} is not a regular expression Cello can use: {e}")
            })?;
            out.pattern = Some((re, text));
        }
        let empty = out.limits.is_empty()
            && out.min_length.is_none()
            && out.max_length.is_none()
            && out.pattern.is_none();
        Ok((!empty).then_some(out))
    }

    /// A number (exactly `int` when it is an int) against `ge`/`gt`/`le`/`lt`.
    pub fn check_number(
        &self,
        py: Python<'_>,
        x: f64,
        int: Option<i64>,
    ) -> PyResult<Option<Failed>> {
        for limit in &self.limits {
            if !limit.allows(x, int) {
                let msg = format!("Input should be {} {}", limit.words, limit.shown);
                let ctx = ctx(py, &[(limit.key, limit.given.bind(py).clone())])?;
                return Ok(Some((limit.kind, msg.into(), Some(ctx))));
            }
        }
        Ok(None)
    }

    /// A string against `min_length`, `max_length` (in characters) and `pattern`.
    pub fn check_str(&self, py: Python<'_>, s: &str) -> PyResult<Option<Failed>> {
        if self.min_length.is_some() || self.max_length.is_some() {
            let n = s.chars().count();
            if let Some(min) = self.min_length.filter(|&min| n < min) {
                let msg = format!("String should have at least {min} character{}", plural(min));
                let ctx = ctx(py, &[("min_length", int(py, min))])?;
                return Ok(Some(("string_too_short", msg.into(), Some(ctx))));
            }
            if let Some(max) = self.max_length.filter(|&max| n > max) {
                let msg = format!("String should have at most {max} character{}", plural(max));
                let ctx = ctx(py, &[("max_length", int(py, max))])?;
                return Ok(Some(("string_too_long", msg.into(), Some(ctx))));
            }
        }
        if let Some((re, text)) = &self.pattern {
            if !re.is_match(s) {
                let msg = format!("String should match pattern '{text}'");
                let given = pyo3::types::PyString::new(py, text).into_any();
                let ctx = ctx(py, &[("pattern", given)])?;
                return Ok(Some(("string_pattern_mismatch", msg.into(), Some(ctx))));
            }
        }
        Ok(None)
    }

    /// A list's length against `min_length` and `max_length`.
    pub fn check_list_len(&self, py: Python<'_>, n: usize) -> PyResult<Option<Failed>> {
        let (kind, key, bound, words) = match (self.min_length, self.max_length) {
            (Some(min), _) if n < min => ("too_short", "min_length", min, "at least"),
            (_, Some(max)) if n > max => ("too_long", "max_length", max, "at most"),
            _ => return Ok(None),
        };
        let msg = format!(
            "List should have {words} {bound} item{} after validation, not {n}",
            plural(bound)
        );
        let field_type = pyo3::types::PyString::new(py, "List").into_any();
        let ctx = ctx(
            py,
            &[
                ("field_type", field_type),
                (key, int(py, bound)),
                ("actual_length", int(py, n)),
            ],
        )?;
        Ok(Some((kind, msg.into(), Some(ctx))))
    }
}

/// Pydantic's plural: "1 character", "3 characters".
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn int(py: Python<'_>, n: usize) -> Bound<'_, PyAny> {
    match i64::try_from(n) {
        Ok(i) => PyInt::new(py, i).into_any(),
        Err(_) => PyFloat::new(py, n as f64).into_any(),
    }
}

/// A failure's `ctx` dict.
fn ctx<'py>(py: Python<'py>, items: &[(&str, Bound<'py, PyAny>)]) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    for (k, v) in items {
        d.set_item(k, v)?;
    }
    Ok(d.into_any().unbind())
}
