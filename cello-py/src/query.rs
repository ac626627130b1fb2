//! Query parameters declared in a handler's signature (`limit: int = 10`), read from
//! the query string and converted in Rust. A parameter that does not convert is
//! recorded in the request's [`Errors`] (`loc: ["query", name]`).

use crate::request::parse_urlencoded;
use crate::validation::{Errors, Failure};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString};

/// What a query parameter is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `int` (64-bit).
    Int,
    /// `float`.
    Float,
    /// `str`, as sent (percent- and `+`-decoded).
    Str,
    /// `bool`: `true/false`, `1/0`, `yes/no`, `on/off`, any case.
    Bool,
    /// `uuid.UUID`.
    Uuid,
    /// One of a `Literal`'s values.
    Literal,
    /// One of an `Enum`'s members, by value.
    Enum,
}

/// `(name, type, required, default, choices)` from `cello.app._compile`.
type Spec = (
    String,
    String,
    bool,
    Py<PyAny>,
    Option<Vec<(String, Py<PyAny>, String)>>,
);

/// A query parameter of a route, from its handler's signature.
pub struct QueryParam {
    name: String,
    kind: Kind,
    /// `list[kind]`: every value of the repeated key, in order.
    list: bool,
    /// Missing is a 422.
    required: bool,
    /// What a missing, optional parameter gets.
    default: Py<PyAny>,
    /// For `Literal`/`Enum`: each allowed text, the value it gives, and how an error
    /// names it (`'red'`, `1`).
    choices: Vec<(String, Py<PyAny>, String)>,
}

impl QueryParam {
    /// `(name, type, required, default, choices)`, as `cello.app._compile` makes it.
    pub fn from_spec(spec: &Bound<'_, PyAny>, handler: &str) -> PyResult<Self> {
        let (name, kind, required, default, choices): Spec = spec.extract().map_err(|_| {
            PyValueError::new_err(format!(
                "handler {handler}: an argument must be None, a path parameter's name or \
                 (name, type, required, default, choices), not {spec}"
            ))
        })?;
        let (list, kind) = match kind.strip_prefix("list[").and_then(|k| k.strip_suffix(']')) {
            Some(item) => (true, item),
            None => (false, kind.as_str()),
        };
        let kind = match kind {
            "int" => Kind::Int,
            "float" => Kind::Float,
            "str" => Kind::Str,
            "bool" => Kind::Bool,
            "uuid" => Kind::Uuid,
            "literal" => Kind::Literal,
            "enum" => Kind::Enum,
            other => {
                return Err(PyValueError::new_err(format!(
                    "handler {handler}: query parameter `{name}` has unknown type `{other}`"
                )))
            }
        };
        Ok(QueryParam {
            name,
            kind,
            list,
            required,
            default,
            choices: choices.unwrap_or_default(),
        })
    }
}

/// One request's query string, parsed on the first parameter that asks.
pub struct Query<'a> {
    raw: Option<&'a str>,
    pairs: Option<Vec<(String, String)>>,
}

impl<'a> Query<'a> {
    /// The query string of a request (`None` when it has none). Nothing is parsed yet.
    pub fn new(raw: Option<&'a str>) -> Self {
        Query { raw, pairs: None }
    }

    /// `param`'s value as a Python object: its last value in the query string
    /// converted (every value, for a list), or its default. A failure is recorded in
    /// `errors` and stands in as None.
    pub fn convert<'py>(
        &mut self,
        py: Python<'py>,
        param: &QueryParam,
        errors: &mut Errors,
    ) -> PyResult<Bound<'py, PyAny>> {
        let raw = self.raw;
        let pairs = self
            .pairs
            .get_or_insert_with(|| parse_urlencoded(raw.unwrap_or("").as_bytes()));
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == param.name)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            if param.required {
                errors.push(Failure {
                    loc: vec!["query".into(), param.name.clone().into()],
                    kind: "missing",
                    msg: "Field required".into(),
                    input: None,
                });
                return Ok(py.None().into_bound(py));
            }
            let default = param.default.bind(py);
            // A list default is copied: a handler that appends to it must not change
            // the next request's.
            return match default.cast::<PyList>() {
                Ok(list) => Ok(PyList::new(py, list.iter())?.into_any()),
                Err(_) => Ok(default.clone()),
            };
        }
        // A scalar takes the last value, as Starlette's `QueryParams` gives it.
        let taken = if param.list {
            &values[..]
        } else {
            &values[values.len() - 1..]
        };
        let mut converted = Vec::with_capacity(taken.len());
        let mut failed = false;
        for (i, value) in taken.iter().enumerate() {
            match scalar(py, param, value)? {
                Ok(obj) => converted.push(obj),
                Err((kind, msg)) => {
                    failed = true;
                    let mut loc = vec!["query".into(), param.name.clone().into()];
                    if param.list {
                        loc.push(i.into());
                    }
                    errors.push(Failure {
                        loc,
                        kind,
                        msg,
                        input: Some(PyString::new(py, value).into_any().unbind()),
                    });
                }
            }
        }
        if failed {
            return Ok(py.None().into_bound(py));
        }
        if param.list {
            return Ok(PyList::new(py, converted)?.into_any());
        }
        Ok(converted.pop().unwrap_or_else(|| py.None().into_bound(py)))
    }
}

/// What a value that did not convert is called, and the message, as pydantic says it.
type Failed = (&'static str, std::borrow::Cow<'static, str>);

/// One value converted to `kind`, or why not.
fn scalar<'py>(
    py: Python<'py>,
    param: &QueryParam,
    value: &str,
) -> PyResult<Result<Bound<'py, PyAny>, Failed>> {
    let failed = |kind: &'static str, msg: &'static str| (kind, msg.into());
    Ok(match param.kind {
        Kind::Literal | Kind::Enum => match param.choices.iter().find(|(text, _, _)| text == value)
        {
            Some((_, chosen, _)) => Ok(chosen.bind(py).clone()),
            None => Err((
                if param.kind == Kind::Enum {
                    "enum"
                } else {
                    "literal_error"
                },
                expected(&param.choices).into(),
            )),
        },
        Kind::Str => Ok(PyString::new(py, value).into_any()),
        Kind::Int => value
            .trim()
            .parse::<i64>()
            .map(|i| PyInt::new(py, i).into_any())
            .map_err(|_| {
                failed(
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                )
            }),
        Kind::Float => value
            .trim()
            .parse::<f64>()
            .map(|f| PyFloat::new(py, f).into_any())
            .map_err(|_| {
                failed(
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number",
                )
            }),
        Kind::Bool => parse_bool(value)
            .map(|b| PyBool::new(py, b).to_owned().into_any())
            .ok_or_else(|| {
                failed(
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                )
            }),
        Kind::Uuid => match uuid::Uuid::try_parse(value.trim()) {
            Ok(u) => Ok(crate::request::param_to_py(
                py,
                &cello_router::ParamValue::Uuid(u),
            )?),
            Err(_) => Err(failed(
                "uuid_parsing",
                "Input should be a valid UUID, unable to parse string as a UUID",
            )),
        },
    })
}

/// Pydantic's message for a value outside the choices: "Input should be 'a', 'b' or 'c'".
fn expected(choices: &[(String, Py<PyAny>, String)]) -> String {
    let labels: Vec<&str> = choices.iter().map(|(_, _, label)| label.as_str()).collect();
    match labels.split_last() {
        Some((last, [])) => format!("Input should be {last}"),
        Some((last, rest)) => format!("Input should be {} or {last}", rest.join(", ")),
        None => "Input should be one of no values".to_owned(),
    }
}

/// Pydantic's words for booleans.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bool;

    #[test]
    fn booleans_read_as_pydantic_reads_them_and_nothing_else() {
        for yes in ["true", "True", "1", "yes", "ON", "t", "y"] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["false", "0", "No", "off", "f", "n"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        for bad in ["", "2", "maybe", "truthy"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }
}
