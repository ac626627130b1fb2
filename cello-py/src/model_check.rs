//! A body validated against its [`Schema`] straight from the JSON tape: no
//! intermediate dict, each value converted as pydantic's JSON mode converts it, every
//! failure recorded with its location under `body`.

use crate::json_decode::node_to_py;
use crate::model::{Choice, Default, Model, Schema};
use crate::params::BigInt;
use crate::validation::{Errors, Failure, Loc};
use cello_json::Node;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};
use std::borrow::Cow;

/// One body being validated: its tape, the models, where we are, what failed.
pub struct Validator<'a, 'py> {
    /// The interpreter.
    pub py: Python<'py>,
    /// The parsed body.
    pub nodes: &'a [Node<'a>],
    /// The route's models.
    pub models: &'a [Model],
    /// The location under `body` of the value being validated (made into a [`Loc`]
    /// only when something fails there).
    pub path: Vec<Step<'a>>,
    /// The request's failures.
    pub errors: &'a mut Errors,
    /// The body as received (the tape's buffer was rewritten by the parser).
    pub original: &'a [u8],
    /// The body read by `json.loads`, once one of its integers turned out to be past
    /// 64 bits (the tape holds those as the nearest float).
    pub exact: Option<Bound<'py, PyAny>>,
}

/// One step of the path being validated, borrowed from the tape or the schema.
#[derive(Clone, Copy)]
pub enum Step<'a> {
    /// A key of an object.
    Key(&'a str),
    /// A position in an array.
    Index(usize),
}

type Checked<'py> = PyResult<Option<Bound<'py, PyAny>>>;

impl<'a, 'py> Validator<'a, 'py> {
    fn fail(
        &mut self,
        i: usize,
        kind: &'static str,
        msg: impl Into<Cow<'static, str>>,
    ) -> Checked<'py> {
        let input = node_to_py(self.py, self.nodes, i)?.unbind();
        self.fail_with(kind, msg.into(), Some(input), None, None);
        Ok(None)
    }

    fn fail_with(
        &mut self,
        kind: &'static str,
        msg: Cow<'static, str>,
        input: Option<Py<PyAny>>,
        key: Option<Loc>,
        ctx: Option<Py<PyAny>>,
    ) {
        let mut loc = Vec::with_capacity(self.path.len() + 2);
        loc.push(Loc::from("body"));
        loc.extend(self.path.iter().map(|step| match *step {
            Step::Key(k) => Loc::from(k.to_owned()),
            Step::Index(i) => Loc::Index(i),
        }));
        loc.extend(key);
        self.errors.push(Failure {
            loc,
            kind,
            msg,
            input,
            ctx,
        });
    }

    /// A date (`date`) or datetime from a string, or from a number (a Unix timestamp,
    /// read as its text is), with pydantic's errors.
    #[cold]
    fn date_like(&mut self, date: bool, i: usize) -> Checked<'py> {
        let text: Cow<'_, str> = match self.nodes[i] {
            Node::Str(s) => Cow::Borrowed(s),
            Node::I64(v) => Cow::Owned(v.to_string()),
            Node::U64(v) => Cow::Owned(v.to_string()),
            Node::F64(v) => Cow::Owned(v.to_string()),
            _ if date => return self.fail(i, "date_type", "Input should be a valid date"),
            _ => return self.fail(i, "datetime_type", "Input should be a valid datetime"),
        };
        let parsed = if date {
            crate::dates::date(self.py, &text)?
        } else {
            crate::dates::datetime(self.py, &text)?
        };
        match parsed {
            Ok(v) => Ok(Some(v)),
            Err((kind, msg, ctx)) => {
                let input = node_to_py(self.py, self.nodes, i)?.unbind();
                self.fail_with(kind, msg, Some(input), None, ctx);
                Ok(None)
            }
        }
    }

    /// The value at `nodes[i]` converted to `inner`, then checked against
    /// `constraints` as pydantic checks them (on the converted value).
    fn constrained(
        &mut self,
        inner: &'a Schema,
        constraints: &crate::constraints::Constraints,
        i: usize,
    ) -> Checked<'py> {
        let py = self.py;
        let Some(value) = self.value(inner, i)? else {
            return Ok(None);
        };
        let failed = match inner {
            Schema::Int => match value.extract::<i64>() {
                Ok(int) => constraints.check_number(py, int as f64, Some(int))?,
                // Past 64 bits (a u64): compared as a float.
                Err(_) => constraints.check_number(py, value.extract()?, None)?,
            },
            Schema::Float => constraints.check_number(py, value.extract()?, None)?,
            Schema::Str => constraints.check_str(py, value.cast::<PyString>()?.to_str()?)?,
            Schema::List(_) => constraints.check_list_len(py, value.len()?)?,
            _ => None,
        };
        match failed {
            None => Ok(Some(value)),
            Some((kind, msg, ctx)) => {
                let input = node_to_py(py, self.nodes, i)?.unbind();
                self.fail_with(kind, msg, Some(input), None, ctx);
                Ok(None)
            }
        }
    }

    /// The value being validated (at `self.path`) as `json.loads` reads the body:
    /// integers of any size exactly. Rare (only documents with such integers), so the
    /// whole body is decoded again, once per request.
    ///
    /// None where `json.loads`' document has nothing at this path: a key repeated in
    /// an object, whose earlier values the tape holds but the document (like the
    /// model, which takes the last) does not; or an integer past the app's own
    /// `sys.set_int_max_str_digits`.
    #[cold]
    fn exact_here(&mut self) -> Option<Bound<'py, PyAny>> {
        let mut value = match &self.exact {
            Some(doc) => doc.clone(),
            None => {
                let doc = crate::json_decode::exact(self.py, self.original).ok()?;
                self.exact = Some(doc.clone());
                doc
            }
        };
        for step in &self.path {
            value = match *step {
                Step::Key(k) => value.get_item(k).ok()?,
                Step::Index(n) => value.get_item(n).ok()?,
            };
        }
        Some(value)
    }

    /// The value at `nodes[i]` converted to `schema`, or None after recording why not.
    pub fn value(&mut self, schema: &'a Schema, i: usize) -> Checked<'py> {
        let py = self.py;
        let Some(&node) = self.nodes.get(i) else {
            return Ok(None);
        };
        match schema {
            Schema::Any => {
                let span = node.span();
                let subtree = self.nodes.get(i..i + span).unwrap_or_default();
                match subtree
                    .iter()
                    .any(crate::json_decode::maybe_big_int)
                    .then(|| self.exact_here())
                    .flatten()
                {
                    Some(exact) => Ok(Some(exact)),
                    None => Ok(Some(node_to_py(py, self.nodes, i)?)),
                }
            }
            Schema::Int => match node {
                Node::I64(v) => Ok(Some(v.into_pyobject(py)?.into_any())),
                Node::U64(v) => Ok(Some(v.into_pyobject(py)?.into_any())),
                Node::Bool(b) => Ok(Some(i64::from(b).into_pyobject(py)?.into_any())),
                Node::F64(f) => int_from_float(self, f, i),
                Node::Str(s) => match s.trim().parse::<i64>() {
                    Ok(v) => Ok(Some(v.into_pyobject(py)?.into_any())),
                    Err(_) => match crate::params::big_int(py, s.trim()) {
                        BigInt::Int(int) => Ok(Some(int)),
                        BigInt::TooLarge => self.fail(
                            i,
                            "int_parsing_size",
                            "Unable to parse input string as an integer, exceeded maximum size",
                        ),
                        BigInt::NotInt => self.fail(
                            i,
                            "int_parsing",
                            "Input should be a valid integer, unable to parse string as an integer",
                        ),
                    },
                },
                _ => self.fail(i, "int_type", "Input should be a valid integer"),
            },
            Schema::Float => match node {
                Node::I64(v) => Ok(Some((v as f64).into_pyobject(py)?.into_any())),
                Node::U64(v) => Ok(Some((v as f64).into_pyobject(py)?.into_any())),
                Node::F64(v) => Ok(Some(v.into_pyobject(py)?.into_any())),
                Node::Bool(b) => Ok(Some(f64::from(u8::from(b)).into_pyobject(py)?.into_any())),
                Node::Str(s) => match s.trim().parse::<f64>() {
                    Ok(v) => Ok(Some(v.into_pyobject(py)?.into_any())),
                    Err(_) => self.fail(
                        i,
                        "float_parsing",
                        "Input should be a valid number, unable to parse string as a number",
                    ),
                },
                _ => self.fail(i, "float_type", "Input should be a valid number"),
            },
            Schema::Str => match node {
                Node::Str(s) => Ok(Some(PyString::new(py, s).into_any())),
                _ => self.fail(i, "string_type", "Input should be a valid string"),
            },
            Schema::Bool => {
                let parsed = match node {
                    Node::Bool(b) => Some(b),
                    Node::I64(0) | Node::U64(0) => Some(false),
                    Node::U64(1) => Some(true),
                    Node::F64(0.0) => Some(false),
                    Node::F64(1.0) => Some(true),
                    Node::Str(s) => parse_bool(s),
                    Node::I64(_) | Node::U64(_) | Node::F64(_) => None,
                    _ => return self.fail(i, "bool_type", "Input should be a valid boolean"),
                };
                match parsed {
                    Some(b) => Ok(Some(pyo3::types::PyBool::new(py, b).to_owned().into_any())),
                    None => self.fail(
                        i,
                        "bool_parsing",
                        "Input should be a valid boolean, unable to interpret input",
                    ),
                }
            }
            Schema::Null => match node {
                Node::Null => Ok(Some(py.None().into_bound(py))),
                _ => self.fail(i, "none_required", "Input should be null"),
            },
            Schema::Uuid => match node {
                Node::Str(s) => match uuid::Uuid::try_parse(s) {
                    Ok(u) => Ok(Some(crate::request::param_to_py(
                        py,
                        &cello_router::ParamValue::Uuid(u),
                    )?)),
                    Err(e) => self.fail(
                        i,
                        "uuid_parsing",
                        format!("Input should be a valid UUID, {e}"),
                    ),
                },
                _ => self.fail(
                    i,
                    "uuid_type",
                    "UUID input should be a string, bytes or UUID object",
                ),
            },
            Schema::Date | Schema::DateTime => self.date_like(matches!(schema, Schema::Date), i),
            Schema::Constrained(inner, constraints) => self.constrained(inner, constraints, i),
            Schema::Nullable(inner) => match node {
                Node::Null => Ok(Some(py.None().into_bound(py))),
                _ => self.value(inner, i),
            },
            Schema::List(item) => match node {
                Node::Array { len, .. } => {
                    let mut out = Vec::with_capacity(len);
                    let mut ok = true;
                    let mut j = i + 1;
                    for k in 0..len {
                        self.path.push(Step::Index(k));
                        let v = self.value(item, j)?;
                        self.path.pop();
                        match v {
                            Some(v) if ok => out.push(v),
                            _ => ok = false,
                        }
                        j += self.nodes.get(j).map_or(1, Node::span);
                    }
                    Ok(if ok {
                        Some(PyList::new(py, out)?.into_any())
                    } else {
                        None
                    })
                }
                _ => self.fail(i, "list_type", "Input should be a valid array"),
            },
            Schema::Dict(value) => match node {
                Node::Object { len, .. } => {
                    let out = PyDict::new(py);
                    let mut ok = true;
                    let mut j = i + 1;
                    for _ in 0..len {
                        let key = match self.nodes.get(j) {
                            Some(Node::Str(k)) => *k,
                            _ => "",
                        };
                        self.path.push(Step::Key(key));
                        let v = self.value(value, j + 1)?;
                        self.path.pop();
                        match v {
                            Some(v) if ok => out.set_item(key, v)?,
                            _ => ok = false,
                        }
                        j += 1 + self.nodes.get(j + 1).map_or(1, Node::span);
                    }
                    Ok(ok.then(|| out.into_any()))
                }
                _ => self.fail(i, "dict_type", "Input should be an object"),
            },
            Schema::Choices(choices) => {
                let found = choices.allowed.iter().find(|(c, _)| match (c, node) {
                    (Choice::Str(a), Node::Str(b)) => a == b,
                    (Choice::Int(a), Node::I64(b)) => *a == b,
                    (Choice::Int(a), Node::U64(b)) => u64::try_from(*a).is_ok_and(|a| a == b),
                    (Choice::Bool(a), Node::Bool(b)) => *a == b,
                    _ => false,
                });
                match found {
                    Some((_, v)) => Ok(Some(v.bind(py).clone())),
                    None => {
                        let kind = if choices.is_enum {
                            "enum"
                        } else {
                            "literal_error"
                        };
                        self.fail(i, kind, choices.msg.clone())
                    }
                }
            }
            Schema::Model(m) => self.model(*m, i),
        }
    }

    fn model(&mut self, index: usize, i: usize) -> Checked<'py> {
        let py = self.py;
        let models = self.models;
        let Some(model) = models.get(index) else {
            return Ok(None);
        };
        let len = match self.nodes.get(i) {
            Some(Node::Object { len, .. }) => *len,
            _ => {
                if let Some(name) = &model.struct_name {
                    let ctx = PyDict::new(py);
                    ctx.set_item("class_name", name.bind(py))?;
                    let input = node_to_py(py, self.nodes, i)?.unbind();
                    let msg = "Input should be an object".into();
                    self.fail_with(
                        "model_type",
                        msg,
                        Some(input),
                        None,
                        Some(ctx.into_any().unbind()),
                    );
                    return Ok(None);
                }
                let kind = if model.cls.is_some() {
                    "dataclass_type"
                } else {
                    "dict_type"
                };
                return self.fail(i, kind, "Input should be an object");
            }
        };
        // Where each field's value is (the last of a repeated key); fields are then
        // validated in declaration order, as pydantic reports them.
        let mut at: Vec<Option<usize>> = vec![None; model.fields.len()];
        let mut extras = Vec::new();
        let mut j = i + 1;
        for member in 0..len {
            let key = match self.nodes.get(j) {
                Some(Node::Str(k)) => *k,
                _ => "",
            };
            let value_at = j + 1;
            j = value_at + self.nodes.get(value_at).map_or(1, Node::span);
            // Keys usually come in declaration order: try that field first.
            let hint = model
                .fields
                .get(member)
                .filter(|f| f.key == key)
                .map(|_| member);
            match hint.or_else(|| model.fields.iter().position(|f| f.key == key)) {
                Some(f) => at[f] = Some(value_at),
                None if model.forbid => extras.push((key, value_at)),
                None => {}
            }
        }
        let mut values: Vec<Option<Bound<'py, PyAny>>> = Vec::with_capacity(model.fields.len());
        let mut ok = true;
        let mut whole = None;
        for (field, found) in model.fields.iter().zip(at) {
            let value = match (found, &field.default) {
                (Some(value_at), _) => {
                    self.path.push(Step::Key(&field.key));
                    let v = self.value(&field.schema, value_at)?;
                    self.path.pop();
                    ok &= v.is_some();
                    v
                }
                (None, Default::Required) => {
                    if whole.is_none() {
                        whole = Some(node_to_py(py, self.nodes, i)?.unbind());
                    }
                    let input = whole.as_ref().map(|w| w.clone_ref(py));
                    self.fail_with(
                        "missing",
                        "Field required".into(),
                        input,
                        Some(Loc::from(field.key.clone())),
                        None,
                    );
                    ok = false;
                    None
                }
                (None, Default::Value(v)) => Some(v.bind(py).clone()),
                (None, Default::Factory(make)) => Some(make.bind(py).call0()?),
                (None, Default::Absent) => None,
            };
            values.push(value);
        }
        for (key, value_at) in extras {
            self.path.push(Step::Key(key));
            self.fail(
                value_at,
                "extra_forbidden",
                "Extra inputs are not permitted",
            )?;
            self.path.pop();
            ok = false;
        }
        if !ok {
            return Ok(None);
        }
        build(py, model, values).map(Some)
    }
}

/// The model's value: the dataclass made with `__new__` and its fields set (as its
/// `__init__` would, `__post_init__` included), or the TypedDict's dict.
fn build<'py>(
    py: Python<'py>,
    model: &Model,
    values: Vec<Option<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(cls) = &model.cls else {
        let dict = PyDict::new(py);
        for (field, v) in model.fields.iter().zip(values) {
            if let Some(v) = v {
                dict.set_item(field.attr.bind(py), v)?;
            }
        }
        return Ok(dict.into_any());
    };
    let cls = cls.bind(py);
    let obj = match model.new {
        // SAFETY: GIL held; `new` is `cls`'s own tp_new, given `cls`, an empty
        // tuple and no keywords, as `cls.__new__(cls)` would; it returns a new
        // reference or null with an exception set.
        Some(new) => unsafe {
            let empty = PyTuple::empty(py);
            let p = new(cls.as_ptr().cast(), empty.as_ptr(), std::ptr::null_mut());
            if p.is_null() {
                return Err(PyErr::fetch(py));
            }
            Bound::from_owned_ptr(py, p)
        },
        None => cls.call_method1(pyo3::intern!(py, "__new__"), (cls,))?,
    };
    if model.plain {
        // SAFETY: GIL held; `obj` is a live instance of a class without slots, so
        // it has an instance dict, made here if need be (a new reference or null).
        let dict = unsafe {
            let p = pyo3::ffi::PyObject_GenericGetDict(obj.as_ptr(), std::ptr::null_mut());
            if p.is_null() {
                return Err(PyErr::fetch(py));
            }
            Bound::from_owned_ptr(py, p).cast_into::<PyDict>()?
        };
        for (field, v) in model.fields.iter().zip(values) {
            if let Some(v) = v {
                dict.set_item(field.attr.bind(py), v)?;
            }
        }
    } else {
        for (field, v) in model.fields.iter().zip(values) {
            if let Some(v) = v {
                // SAFETY: GIL held; `obj`, the name and the value are live objects.
                // The generic setter is what `object.__setattr__` does: frozen
                // dataclasses and slots are set the way their own `__init__` sets them.
                let rc = unsafe {
                    pyo3::ffi::PyObject_GenericSetAttr(
                        obj.as_ptr(),
                        field.attr.as_ptr(),
                        v.as_ptr(),
                    )
                };
                if rc != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
        }
    }
    if model.post_init {
        obj.call_method0(pyo3::intern!(py, "__post_init__"))?;
    }
    Ok(obj)
}

fn int_from_float<'py>(v: &mut Validator<'_, 'py>, f: f64, i: usize) -> Checked<'py> {
    if f.fract() != 0.0 || !f.is_finite() {
        return v.fail(
            i,
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        );
    }
    if f.abs() >= 9.2e18 {
        // Past 64 bits, an integer in the text is read exactly, as pydantic reads it;
        // a float there (`1e30`) is too large, as pydantic says. json.loads refuses
        // integers of more than 4,300 digits: too large as well.
        match v.exact_here() {
            Some(exact) if exact.is_exact_instance_of::<PyInt>() => return Ok(Some(exact)),
            // An earlier value of a repeated key: the model keeps the last one, so
            // this value is dropped; no failure for it.
            None if !v.path.is_empty() && v.exact.is_some() => {
                return Ok(Some(v.py.get_type::<PyInt>().call1((f,))?));
            }
            _ => {
                return v.fail(
                    i,
                    "int_parsing_size",
                    "Unable to parse input string as an integer, exceeded maximum size",
                )
            }
        }
    }
    Ok(Some((f as i64).into_pyobject(v.py)?.into_any()))
}

/// Pydantic's words for booleans (lax mode).
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// How deep `nodes` nest (a scalar is 0, `[]` is 1).
pub fn depth(nodes: &[Node<'_>]) -> usize {
    let mut ends: Vec<usize> = Vec::new();
    let mut deepest = 0;
    for (i, node) in nodes.iter().enumerate() {
        while ends.last().is_some_and(|&end| end <= i) {
            ends.pop();
        }
        if matches!(node, Node::Array { .. } | Node::Object { .. }) {
            ends.push(i + node.span());
            deepest = deepest.max(ends.len());
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::depth;

    #[test]
    fn depth_counts_the_deepest_nesting() {
        let mut doc = br#"{"a": [1, {"b": [[]]}], "c": {}}"#.to_vec();
        let tape = cello_json::parse_tape(&mut doc).map_err(|e| e.to_string());
        let tape = match tape {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(depth(tape.nodes()), 5);
        let mut flat = b"5".to_vec();
        let tape = cello_json::parse_tape(&mut flat).map_err(|e| e.to_string());
        assert_eq!(tape.map(|t| depth(t.nodes())).ok(), Some(0));
    }
}
