//! Body models (stdlib dataclasses, TypedDicts) compiled once at registration by
//! `cello._models` into a [`Schema`]; [`crate::model_check`] validates a body
//! against it per request.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

/// What one JSON value must be.
pub enum Schema {
    /// Anything: the value as decoded.
    Any,
    /// `int`: integers, integral floats, booleans, numeric strings.
    Int,
    /// `float`: numbers, booleans, numeric strings.
    Float,
    /// `str`: strings only.
    Str,
    /// `bool`: booleans, 0/1, pydantic's words.
    Bool,
    /// `None`: null only.
    Null,
    /// `uuid.UUID` from a string.
    Uuid,
    /// `datetime.date` from a string (or a Unix timestamp), parsed as pydantic does.
    Date,
    /// `datetime.datetime` from a string or a Unix timestamp.
    DateTime,
    /// `X | None`.
    Nullable(Box<Schema>),
    /// `list[X]`.
    List(Box<Schema>),
    /// `dict[str, X]`.
    Dict(Box<Schema>),
    /// An `Enum` (by value) or `Literal`.
    Choices(Choices),
    /// The model with this index in [`Models`].
    Model(usize),
    /// A number, string or list with constraints (`Annotated[int, Field(ge=1)]`),
    /// checked after it converted.
    Constrained(Box<Schema>, Box<crate::constraints::Constraints>),
}

/// The values an `Enum` or `Literal` allows.
pub struct Choices {
    pub(crate) is_enum: bool,
    /// The JSON value each allows, and what the handler gets for it.
    pub(crate) allowed: Vec<(Choice, Py<PyAny>)>,
    /// Pydantic's message: "Input should be 'a' or 'b'".
    pub(crate) msg: String,
}

/// A JSON scalar a choice is spelled as.
pub(crate) enum Choice {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// A dataclass or TypedDict.
pub struct Model {
    /// The dataclass (for `__new__`), or None for a TypedDict (a dict is made).
    pub(crate) cls: Option<Py<PyAny>>,
    /// Unknown keys are an `extra_forbidden` failure rather than ignored.
    pub(crate) forbid: bool,
    /// Call `__post_init__` after setting the fields, as the dataclass's `__init__` would.
    pub(crate) post_init: bool,
    /// No `__slots__` anywhere: the fields go straight into the instance's `__dict__`.
    pub(crate) plain: bool,
    /// The class's `tp_new` (looked up once): `object.__new__` for most.
    pub(crate) new: Option<pyo3::ffi::newfunc>,
    pub(crate) fields: Vec<Field>,
    /// A msgspec Struct's name: a value that is not an object is then pydantic's
    /// `model_type` failure, as for a `BaseModel` (the Struct's nearest kin).
    pub(crate) struct_name: Option<Py<PyString>>,
}

/// One field of a model.
pub(crate) struct Field {
    pub(crate) key: String,
    pub(crate) attr: Py<PyString>,
    pub(crate) schema: Schema,
    pub(crate) default: Default,
}

/// What a field that is not in the input gets.
pub(crate) enum Default {
    /// Nothing: missing is a failure.
    Required,
    /// This value.
    Value(Py<PyAny>),
    /// This factory's result, made per request.
    Factory(Py<PyAny>),
    /// Left out (a TypedDict's `NotRequired` key).
    Absent,
}

/// Every model of one body, by index (models may refer to each other, or themselves).
pub type Models = Vec<Model>;

fn bad_spec(what: &str, spec: &Bound<'_, PyAny>) -> PyErr {
    PyValueError::new_err(format!("invalid body schema: {what}: {spec}"))
}

impl Schema {
    /// From `cello._models`' spec: a name ("int", "any"...) or a tuple
    /// (`("list", item)`, `("choices", is_enum, [(json, value)], msg)`, `("model", i)`...).
    pub fn from_spec(spec: &Bound<'_, PyAny>) -> PyResult<Schema> {
        if let Ok(name) = spec.extract::<String>() {
            return Ok(match name.as_str() {
                "any" => Schema::Any,
                "int" => Schema::Int,
                "float" => Schema::Float,
                "str" => Schema::Str,
                "bool" => Schema::Bool,
                "none" => Schema::Null,
                "uuid" => Schema::Uuid,
                "date" => Schema::Date,
                "datetime" => Schema::DateTime,
                _ => return Err(bad_spec("unknown type", spec)),
            });
        }
        let tuple = spec
            .cast::<PyTuple>()
            .map_err(|_| bad_spec("not a tuple", spec))?;
        let tag: String = tuple.get_item(0)?.extract()?;
        let inner =
            || -> PyResult<Box<Schema>> { Ok(Box::new(Schema::from_spec(&tuple.get_item(1)?)?)) };
        Ok(match tag.as_str() {
            "nullable" => Schema::Nullable(inner()?),
            "list" => Schema::List(inner()?),
            "dict" => Schema::Dict(inner()?),
            "model" => Schema::Model(tuple.get_item(1)?.extract()?),
            "constrained" => {
                let options = tuple.get_item(2)?;
                let options = options
                    .cast::<pyo3::types::PyDict>()
                    .map_err(|_| bad_spec("constraints are not a dict", &options))?;
                match crate::constraints::Constraints::from_options(options) {
                    Ok(Some(c)) => Schema::Constrained(inner()?, Box::new(c)),
                    Ok(None) => *inner()?,
                    Err(why) => return Err(PyValueError::new_err(why)),
                }
            }
            "choices" => {
                let is_enum: bool = tuple.get_item(1)?.extract()?;
                let mut allowed = Vec::new();
                for pair in tuple.get_item(2)?.try_iter()? {
                    let (json, value): (Bound<'_, PyAny>, Py<PyAny>) = pair?.extract()?;
                    let choice = if let Ok(b) = json.cast::<pyo3::types::PyBool>() {
                        Choice::Bool(b.is_true())
                    } else if let Ok(i) = json.extract::<i64>() {
                        Choice::Int(i)
                    } else if let Ok(s) = json.extract::<String>() {
                        Choice::Str(s)
                    } else {
                        return Err(bad_spec("a choice must be a str, int or bool", &json));
                    };
                    allowed.push((choice, value));
                }
                let msg = tuple.get_item(3)?.extract()?;
                Schema::Choices(Choices {
                    is_enum,
                    allowed,
                    msg,
                })
            }
            _ => return Err(bad_spec("unknown type", spec)),
        })
    }
}

impl Model {
    /// `(cls or None, forbid, post_init, plain, [(key, attr, schema, default_kind,
    /// default)], msgspec Struct name or None)`.
    pub fn from_spec(spec: &Bound<'_, PyAny>) -> PyResult<Model> {
        type Spec<'py> = (
            Option<Bound<'py, PyAny>>,
            bool,
            bool,
            bool,
            Vec<Bound<'py, PyAny>>,
            Option<Bound<'py, PyString>>,
        );
        let (cls, forbid, post_init, plain, specs, struct_name): Spec<'_> =
            spec.extract().map_err(|_| bad_spec("not a model", spec))?;
        let mut fields = Vec::with_capacity(specs.len());
        for f in specs {
            type FieldSpec<'py> = (
                String,
                Bound<'py, PyString>,
                Bound<'py, PyAny>,
                String,
                Py<PyAny>,
            );
            let (key, attr, schema, kind, default): FieldSpec<'_> =
                f.extract().map_err(|_| bad_spec("not a field", &f))?;
            let default = match kind.as_str() {
                "required" => Default::Required,
                "value" => Default::Value(default),
                "factory" => Default::Factory(default),
                "absent" => Default::Absent,
                _ => return Err(bad_spec("unknown default", &f)),
            };
            fields.push(Field {
                key,
                attr: attr.unbind(),
                schema: Schema::from_spec(&schema)?,
                default,
            });
        }
        let new = match &cls {
            Some(cls) => {
                let ty = cls
                    .cast::<pyo3::types::PyType>()
                    .map_err(|_| bad_spec("not a class", cls))?;
                // SAFETY: GIL held; `ty` is a live type object. A slot pointer is
                // either null or a `newfunc`, which is what Py_tp_new holds.
                unsafe {
                    let slot = pyo3::ffi::PyType_GetSlot(ty.as_type_ptr(), pyo3::ffi::Py_tp_new);
                    (!slot.is_null()).then(|| {
                        std::mem::transmute::<*mut std::ffi::c_void, pyo3::ffi::newfunc>(slot)
                    })
                }
            }
            None => None,
        };
        Ok(Model {
            cls: cls.map(Bound::unbind),
            forbid,
            post_init,
            plain,
            new,
            fields,
            struct_name: struct_name.map(Bound::unbind),
        })
    }
}
