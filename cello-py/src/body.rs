//! A route's body parameters (`item: Item`, `Body()`): the Content-Type checked,
//! the JSON parsed once, the whole body validated against the schema compiled at
//! registration (or handed to msgspec/pydantic), and each parameter's value picked.

use crate::model::{Model, Models, Schema};
use crate::model_check::{depth, Validator};
use crate::validation::{Errors, Failure, Loc};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

/// Nesting deeper than this is refused before validation (a 400).
pub const MAX_DEPTH: usize = 128;

/// What the body of a route must be.
pub struct BodySpec {
    root: Schema,
    models: Models,
    /// An empty body is a `missing` failure (else `default` stands in).
    required: bool,
    default: Py<PyAny>,
    /// `validate(bytes) -> (ok, value or FastAPI error dicts)`: msgspec/pydantic.
    foreign: Option<Py<PyAny>>,
    /// A body `foreign` refused is validated again against `root` (msgspec's
    /// Struct, which reports only its first failure).
    recheck: bool,
    /// Which key of the body (an object of the parameters) this argument takes;
    /// None: the whole body.
    key: Option<Py<PyString>>,
}

/// What reading the body gave.
#[derive(Clone)]
pub enum Read<'py> {
    /// The body's value (a dict of the parameters when embedded).
    Value(Bound<'py, PyAny>),
    /// It did not validate: the failures are recorded.
    Invalid,
    /// Refused outright (415, 400): answered instead of a 422.
    Refused,
}

impl BodySpec {
    /// From the dict `cello._signature` makes: `{"source": "body", "root", "models",
    /// "required", "default", "validate", "recheck", "key"}`.
    pub fn from_spec(spec: &Bound<'_, PyDict>, handler: &str) -> PyResult<BodySpec> {
        let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            spec.get_item(k)?.ok_or_else(|| {
                PyValueError::new_err(format!("handler {handler}: body spec without `{k}`"))
            })
        };
        let compile = || -> PyResult<(Schema, Models)> {
            let models = get("models")?
                .try_iter()?
                .map(|m| Model::from_spec(&m?))
                .collect::<PyResult<Models>>()?;
            Ok((Schema::from_spec(&get("root")?)?, models))
        };
        let recheck: bool = get("recheck")?.extract()?;
        let (root, models) = match compile() {
            // What the engine cannot check in a Struct (a pattern its regex engine
            // refuses) leaves the body to msgspec alone: it is then only checked to be JSON.
            Err(_) if recheck => (Schema::Any, Models::new()),
            compiled => compiled?,
        };
        let foreign = get("validate")?;
        let key = get("key")?;
        Ok(BodySpec {
            root,
            models,
            required: get("required")?.extract()?,
            default: get("default")?.unbind(),
            foreign: (!foreign.is_none()).then(|| foreign.unbind()),
            recheck,
            key: if key.is_none() {
                None
            } else {
                Some(key.cast_into::<PyString>()?.unbind())
            },
        })
    }

    /// Reads and validates `body`; failures go to `errors`, a refusal to `refused`.
    pub fn read<'py>(
        &self,
        py: Python<'py>,
        parts: &http::request::Parts,
        body: &[u8],
        errors: &mut Errors,
        refused: &mut Option<PyErr>,
    ) -> PyResult<Read<'py>> {
        if body.is_empty() {
            if self.key.is_none() {
                if self.required {
                    errors.push(Failure {
                        loc: vec![Loc::from("body")],
                        kind: "missing",
                        msg: "Field required".into(),
                        input: None,
                        ctx: None,
                    });
                    return Ok(Read::Invalid);
                }
                return Ok(Read::Value(self.default.bind(py).clone()));
            }
            // Embedded parameters: validated as an empty object, each reported missing.
            return self.validate(py, b"{}", &mut b"{}".to_vec(), errors, refused);
        }
        if let Some(found) = not_json(parts) {
            *refused = Some(http_error(
                py,
                415,
                format!("Unsupported Media Type: the body must be application/json, not {found}"),
            )?);
            return Ok(Read::Refused);
        }
        if let Some(validate) = &self.foreign {
            let (ok, out): (bool, Bound<'py, PyAny>) = validate
                .bind(py)
                .call1((PyBytes::new(py, body),))?
                .extract()?;
            if ok {
                return Ok(Read::Value(out));
            }
            let refusal = out.cast::<PyList>()?;
            if self.recheck {
                return self.recheck(py, body, refusal, errors);
            }
            for detail in refusal.iter() {
                errors.push_detail(detail.unbind());
            }
            return Ok(Read::Invalid);
        }
        self.validate(py, body, &mut body.to_vec(), errors, refused)
    }

    /// A body msgspec refused, validated again against the Struct's schema: every
    /// failure in pydantic's words, as for a dataclass (invalid JSON included). Its
    /// own failure is kept where that pass finds none (a check only msgspec makes:
    /// strict types, `multiple_of`, a type the schema does not model), unless the
    /// body is not JSON at all (msgspec may stop before the bytes that break it).
    #[cold]
    fn recheck<'py>(
        &self,
        py: Python<'py>,
        body: &[u8],
        refusal: &Bound<'py, PyList>,
        errors: &mut Errors,
    ) -> PyResult<Read<'py>> {
        let mut found = Errors::default();
        // Too deep for the engine: msgspec's answer stands.
        let mut too_deep = None;
        self.validate(py, body, &mut body.to_vec(), &mut found, &mut too_deep)?;
        if found.has_kind("json_invalid") {
            errors.append(found);
            return Ok(Read::Invalid);
        }
        for detail in refusal.iter() {
            let loc = detail
                .get_item("loc")?
                .try_iter()?
                .map(|step| {
                    let step = step?;
                    Ok(match step.extract::<usize>() {
                        Ok(i) => Loc::Index(i),
                        Err(_) => Loc::from(step.extract::<String>()?),
                    })
                })
                .collect::<PyResult<Vec<Loc>>>()?;
            if !found.reaches(&loc) {
                found.push_detail(detail.unbind());
            }
        }
        errors.append(found);
        Ok(Read::Invalid)
    }

    fn validate<'py>(
        &self,
        py: Python<'py>,
        original: &[u8],
        buf: &mut [u8],
        errors: &mut Errors,
        refused: &mut Option<PyErr>,
    ) -> PyResult<Read<'py>> {
        let tape = match cello_json::parse_tape(buf) {
            Ok(t) => t,
            Err(e) if e.is_too_deep() => return too_deep(py, refused),
            Err(e) => {
                errors.push(Failure {
                    loc: vec![Loc::from("body"), Loc::Index(e.position())],
                    kind: "json_invalid",
                    msg: "JSON decode error".into(),
                    input: Some(PyDict::new(py).into_any().unbind()),
                    ctx: None,
                });
                return Ok(Read::Invalid);
            }
        };
        let nodes = tape.nodes();
        // Depth is at most the node count: small bodies skip the scan.
        if nodes.len() > MAX_DEPTH && depth(nodes) > MAX_DEPTH {
            return too_deep(py, refused);
        }
        let mut v = Validator {
            py,
            nodes,
            models: &self.models,
            path: Vec::new(),
            errors,
            original,
            exact: None,
        };
        Ok(match v.value(&self.root, 0)? {
            Some(value) => Read::Value(value),
            None => Read::Invalid,
        })
    }

    /// This argument's value out of the body's.
    pub fn pick<'py>(&self, py: Python<'py>, read: &Read<'py>) -> PyResult<Bound<'py, PyAny>> {
        match (read, &self.key) {
            (Read::Value(v), None) => Ok(v.clone()),
            (Read::Value(v), Some(key)) => Ok(v
                .cast::<PyDict>()
                .ok()
                .and_then(|d| d.get_item(key.bind(py)).ok().flatten())
                .unwrap_or_else(|| py.None().into_bound(py))),
            _ => Ok(py.None().into_bound(py)),
        }
    }
}

fn too_deep<'py>(py: Python<'py>, refused: &mut Option<PyErr>) -> PyResult<Read<'py>> {
    *refused = Some(http_error(
        py,
        400,
        format!("the JSON body nests deeper than {MAX_DEPTH} levels; send a flatter document"),
    )?);
    Ok(Read::Refused)
}

/// The Content-Type when the request declares one that is not JSON
/// (`application/json` or `application/*+json`); None when it is JSON or absent.
fn not_json(parts: &http::request::Parts) -> Option<String> {
    let value = parts.headers.get(http::header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let mime = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = mime == "application/json"
        || mime
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"));
    (!json).then(|| {
        if mime.is_empty() {
            "an empty Content-Type".to_owned()
        } else {
            mime
        }
    })
}

fn http_error(py: Python<'_>, status: u16, detail: String) -> PyResult<PyErr> {
    let exc = crate::runtime::get(py)?
        .http_exception
        .bind(py)
        .call1((status, detail))?;
    Ok(PyErr::from_value(exc))
}

/// The 415 for a JSON body parameter given a multipart form.
pub fn json_refusal(py: Python<'_>, parts: &http::request::Parts) -> PyResult<Option<PyErr>> {
    let found = not_json(parts).unwrap_or_else(|| "multipart/form-data".to_owned());
    http_error(
        py,
        415,
        format!("Unsupported Media Type: the body must be application/json, not {found}"),
    )
    .map(Some)
}

/// Why a request's body cannot be read as a urlencoded form (a 415 for another
/// Content-Type, a 400 for bytes that are not UTF-8), or None when it can.
pub fn form_refusal(
    py: Python<'_>,
    parts: &http::request::Parts,
    body: &[u8],
) -> PyResult<Option<PyErr>> {
    let mime = parts.headers.get(http::header::CONTENT_TYPE).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let (status, detail) = match mime.as_deref() {
        None | Some("application/x-www-form-urlencoded") => match std::str::from_utf8(body) {
            Ok(_) => return Ok(None),
            Err(_) => (400, "the form body is not valid UTF-8".to_owned()),
        },
        // A multipart form was parsed before the handler ran; one that reaches here
        // was not `multipart/form-data` (e.g. `multipart/mixed`).
        Some(other) => (
            415,
            format!(
                "Unsupported Media Type: the body must be \
                 application/x-www-form-urlencoded or multipart/form-data, not {other}"
            ),
        ),
    };
    http_error(py, status, detail).map(Some)
}
