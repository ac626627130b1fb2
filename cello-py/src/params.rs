//! Parameters a handler declares that arrive as text — the query string
//! (`limit: int = 10`), a header, a cookie, a path segment the router leaves as
//! text — converted and checked in Rust. A value that does not convert or breaks a
//! constraint is recorded in the request's [`Errors`] (`loc: [source, name]`).

use crate::constraints::Constraints;
use crate::sources::{Source, Sources};
use crate::validation::{Errors, Failure};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use std::borrow::Cow;

/// What a text parameter is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `int` (64-bit).
    Int,
    /// `float`.
    Float,
    /// `str`, as sent (percent- and `+`-decoded in a query string).
    Str,
    /// `bool`: `true/false`, `1/0`, `yes/no`, `on/off`, any case.
    Bool,
    /// `uuid.UUID`.
    Uuid,
    /// `datetime.date`, as pydantic parses it.
    Date,
    /// `datetime.datetime`, as pydantic parses it.
    DateTime,
    /// One of a `Literal`'s values.
    Literal,
    /// One of an `Enum`'s members, by value.
    Enum,
}

/// `(name, type, required, default, choices, source, options)` from
/// `cello._signature.RouteSignature.engine_args`.
type Spec<'py> = (
    String,
    String,
    bool,
    Py<PyAny>,
    Option<Vec<(String, Py<PyAny>, String)>>,
    String,
    Bound<'py, PyDict>,
);

/// A text parameter of a route, from its handler's signature.
pub struct TextParam {
    /// Where its text comes from (and the first step of an error's `loc`).
    pub(crate) source: Source,
    /// Its name as declared: the query key, the header's name, the cookie's name.
    pub(crate) name: String,
    kind: Kind,
    /// `list[kind]`: every value of a repeated key or header, in order.
    pub(crate) list: bool,
    /// Missing is a 422.
    required: bool,
    /// What a missing, optional parameter gets.
    default: Py<PyAny>,
    /// Called instead of using `default` (`Query(default_factory=list)`).
    default_factory: Option<Py<PyAny>>,
    /// For `Literal`/`Enum`: each allowed text, the value it gives, and how an error
    /// names it (`'red'`, `1`).
    choices: Vec<(String, Py<PyAny>, String)>,
    /// `ge`, `max_length`, `pattern`...: None for most parameters.
    constraints: Option<Box<Constraints>>,
}

impl TextParam {
    /// The engine spec `cello._signature` makes; a pattern the `regex` crate rejects
    /// is a `ValueError` naming the handler.
    pub fn from_spec(spec: &Bound<'_, PyAny>, handler: &str) -> PyResult<Self> {
        let (name, kind, required, default, choices, source, options): Spec =
            spec.extract().map_err(|_| {
                PyValueError::new_err(format!(
                    "handler {handler}: an argument must be None, a path parameter's name or \
                     (name, type, required, default, choices, source, options), not {spec}"
                ))
            })?;
        let source = Source::from_spec(&source, &name)
            .map_err(|e| PyValueError::new_err(format!("handler {handler}: {e}")))?;
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
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            "literal" => Kind::Literal,
            "enum" => Kind::Enum,
            other => {
                return Err(PyValueError::new_err(format!(
                    "handler {handler}: parameter `{name}` has unknown type `{other}`"
                )))
            }
        };
        let default_factory = options
            .get_item("default_factory")?
            .filter(|f| !f.is_none())
            .map(Bound::unbind);
        let constraints = Constraints::from_options(&options)
            .map_err(|e| {
                PyValueError::new_err(format!("handler {handler}: parameter `{name}`: {e}"))
            })?
            .map(Box::new);
        Ok(TextParam {
            source,
            name,
            kind,
            list,
            required,
            default,
            default_factory,
            choices: choices.unwrap_or_default(),
            constraints,
        })
    }

    fn loc(&self) -> Vec<crate::validation::Loc> {
        vec![self.source.label().into(), self.name.clone().into()]
    }

    /// A field of a urlencoded form body (`Form()`).
    pub fn is_form(&self) -> bool {
        matches!(self.source, Source::Form)
    }

    /// This parameter's value for one request as a Python object: converted from
    /// the text `sources` hold for it, or its default. A failure is recorded in
    /// `errors` and stands in as None.
    pub fn convert<'py>(
        &self,
        py: Python<'py>,
        sources: &mut Sources<'_>,
        errors: &mut Errors,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = sources.values(self);
        if values.is_empty() {
            return self.missing(py, errors);
        }
        let mut converted = Vec::with_capacity(values.len());
        let mut failed = false;
        for (i, value) in values.iter().enumerate() {
            match scalar(py, self, value)? {
                Ok(obj) => converted.push(obj),
                Err((kind, msg, ctx)) => {
                    failed = true;
                    let mut loc = self.loc();
                    if self.list {
                        loc.push(i.into());
                    }
                    errors.push(Failure {
                        loc,
                        kind,
                        msg,
                        input: Some(PyString::new(py, value).into_any().unbind()),
                        ctx,
                    });
                }
            }
        }
        if failed {
            return Ok(py.None().into_bound(py));
        }
        if !self.list {
            return Ok(converted.pop().unwrap_or_else(|| py.None().into_bound(py)));
        }
        if let Some(c) = &self.constraints {
            if let Some((kind, msg, ctx)) = c.check_list_len(py, values.len())? {
                errors.push(Failure {
                    loc: self.loc(),
                    kind,
                    msg,
                    input: Some(
                        PyList::new(py, values.iter().map(|v| v.as_ref()))?
                            .into_any()
                            .unbind(),
                    ),
                    ctx,
                });
                return Ok(py.None().into_bound(py));
            }
        }
        Ok(PyList::new(py, converted)?.into_any())
    }

    /// A parameter with no value: a `missing` failure, the factory's value, or a copy
    /// of the default.
    fn missing<'py>(&self, py: Python<'py>, errors: &mut Errors) -> PyResult<Bound<'py, PyAny>> {
        if self.required {
            errors.push(Failure {
                loc: self.loc(),
                kind: "missing",
                msg: "Field required".into(),
                input: None,
                ctx: None,
            });
            return Ok(py.None().into_bound(py));
        }
        if let Some(factory) = &self.default_factory {
            return factory.bind(py).call0();
        }
        let default = self.default.bind(py);
        // A list default is copied: a handler that appends to it must not change the
        // next request's.
        match default.cast::<PyList>() {
            Ok(list) => Ok(PyList::new(py, list.iter())?.into_any()),
            Err(_) => Ok(default.clone()),
        }
    }
}

/// Why a value did not convert or validate, as pydantic says it: its error type,
/// message and context (`{"ge": 1}`).
pub(crate) type Failed = (&'static str, Cow<'static, str>, Option<Py<PyAny>>);

/// One value converted to `param`'s kind and checked against its constraints, or why not.
fn scalar<'py>(
    py: Python<'py>,
    param: &TextParam,
    value: &str,
) -> PyResult<Result<Bound<'py, PyAny>, Failed>> {
    let failed = |kind: &'static str, msg: &'static str| Err((kind, msg.into(), None));
    // List constraints bound the list's length, not its items.
    let checks = param.constraints.as_deref().filter(|_| !param.list);
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
                None,
            )),
        },
        Kind::Str => match checks
            .map(|c| c.check_str(py, value))
            .transpose()?
            .flatten()
        {
            Some(f) => Err(f),
            None => Ok(PyString::new(py, value).into_any()),
        },
        Kind::Int => match value.trim().parse::<i64>() {
            Ok(i) => match checks
                .map(|c| c.check_number(py, i as f64, Some(i)))
                .transpose()?
                .flatten()
            {
                Some(f) => Err(f),
                None => Ok(PyInt::new(py, i).into_any()),
            },
            Err(_) => match big_int(py, value.trim()) {
                BigInt::Int(int) => {
                    let x = value.trim().parse::<f64>().unwrap_or(f64::NAN);
                    match checks
                        .map(|c| c.check_number(py, x, None))
                        .transpose()?
                        .flatten()
                    {
                        Some(f) => Err(f),
                        None => Ok(int),
                    }
                }
                BigInt::TooLarge => failed(
                    "int_parsing_size",
                    "Unable to parse input string as an integer, exceeded maximum size",
                ),
                BigInt::NotInt => failed(
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                ),
            },
        },
        Kind::Float => match value.trim().parse::<f64>() {
            Ok(x) => match checks
                .map(|c| c.check_number(py, x, None))
                .transpose()?
                .flatten()
            {
                Some(f) => Err(f),
                None => Ok(PyFloat::new(py, x).into_any()),
            },
            Err(_) => failed(
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            ),
        },
        Kind::Bool => match parse_bool(value) {
            Some(b) => Ok(PyBool::new(py, b).to_owned().into_any()),
            None => failed(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            ),
        },
        Kind::Uuid => match uuid::Uuid::try_parse(value.trim()) {
            Ok(u) => Ok(crate::request::param_to_py(
                py,
                &cello_router::ParamValue::Uuid(u),
            )?),
            Err(_) => failed(
                "uuid_parsing",
                "Input should be a valid UUID, unable to parse string as a UUID",
            ),
        },
        Kind::Date => crate::dates::date(py, value)?,
        Kind::DateTime => crate::dates::datetime(py, value)?,
    })
}

/// CPython's default limit on the digits of an int read from text
/// (`sys.get_int_max_str_digits()`); pydantic reports longer ones as too large.
const MAX_INT_DIGITS: usize = 4300;

/// Text that did not fit an `i64`, read as pydantic reads it.
pub(crate) enum BigInt<'py> {
    /// `[+-]digits`: Python's own int, exact.
    Int(Bound<'py, PyAny>),
    /// An integer with more digits than CPython reads (its default limit, or the
    /// app's own `sys.set_int_max_str_digits`): `int_parsing_size`.
    TooLarge,
    /// Not an integer: `int_parsing`.
    NotInt,
}

/// `text` (trimmed, not an `i64`) as an integer of any size.
pub(crate) fn big_int<'py>(py: Python<'py>, text: &str) -> BigInt<'py> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return BigInt::NotInt;
    }
    if digits.len() > MAX_INT_DIGITS {
        return BigInt::TooLarge;
    }
    match py.get_type::<PyInt>().call1((text,)) {
        Ok(int) => BigInt::Int(int),
        Err(_) => BigInt::TooLarge,
    }
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
