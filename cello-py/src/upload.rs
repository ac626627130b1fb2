//! A parsed multipart form handed to Python: a `cello.datastructures.FormData` of
//! `str` fields and `UploadFile`s, the file parameters a handler declares
//! (`file: UploadFile`, `data: Annotated[bytes, File()]`, `files: list[UploadFile]`),
//! and the closing of every upload once the response has been sent.

use crate::multipart::{Part, Spooled};
use crate::validation::{Errors, Failure, Loc};
use bytes::Bytes;
use cello_http::{Body, Response};
use http_body::{Frame, SizeHint};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A multipart form as the handler's arguments and `req.form()` see it.
pub struct Form {
    /// The text fields in order, for `Form()` parameters.
    pub fields: Vec<(String, String)>,
    /// The `FormData` object `req.form()` returns.
    pub form: Py<PyAny>,
    /// Each file part's field name and `UploadFile`, in order.
    pub files: Vec<(String, Py<PyAny>)>,
}

/// A request's uploads, closed when this is dropped: after the response has been
/// sent, or when the request fails or the client leaves. The Python file objects are
/// closed first, then the temporary files, so no Python object is left holding a
/// descriptor number the process may reuse.
pub struct Uploads {
    file_objects: Vec<Py<PyAny>>,
    disk: Vec<File>,
}

impl Drop for Uploads {
    fn drop(&mut self) {
        if !self.file_objects.is_empty() {
            Python::attach(|py| {
                for file in self.file_objects.drain(..) {
                    let _ = file.call_method0(py, pyo3::intern!(py, "close"));
                }
            });
        }
        // The temporary files (no name on disk) are freed as they close, here.
        self.disk.clear();
    }
}

/// The Python classes the form is made of, looked up once.
struct Classes {
    form: Py<PyAny>,
    upload: Py<PyAny>,
    headers: Py<PyAny>,
    bytes_io: Py<PyAny>,
    open: Py<PyAny>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASSES.get_or_try_init(py, || {
        let ds = py.import("cello.datastructures")?;
        let io = py.import("io")?;
        Ok(Classes {
            form: ds.getattr("FormData")?.unbind(),
            upload: ds.getattr("UploadFile")?.unbind(),
            headers: ds.getattr("Headers")?.unbind(),
            bytes_io: io.getattr("BytesIO")?.unbind(),
            open: io.getattr("open")?.unbind(),
        })
    })
}

/// A `FormData` of `pairs` (a urlencoded form's fields).
pub fn form_data<'py>(
    py: Python<'py>,
    pairs: Vec<(String, String)>,
) -> PyResult<Bound<'py, PyAny>> {
    classes(py)?.form.bind(py).call1((pairs,))
}

/// The parsed parts as Python objects, and what closes them.
pub fn to_python(py: Python<'_>, parts: Vec<Part>) -> PyResult<(Form, Uploads)> {
    let cls = classes(py)?;
    let mut uploads = Uploads {
        file_objects: Vec::new(),
        disk: Vec::new(),
    };
    let items = PyList::empty(py);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    for part in parts {
        match part {
            Part::Field(name, value) => {
                items.append((name.as_str(), value.as_str()))?;
                fields.push((name, value));
            }
            Part::File(f) => {
                let file = match f.data {
                    Spooled::Memory(buf, _reserved) => {
                        cls.bytes_io.bind(py).call1((PyBytes::new(py, &buf),))?
                    }
                    Spooled::Disk(file) => {
                        let fd = file.as_raw_fd();
                        // Kept open by Rust until the Python object is closed (Drop).
                        uploads.disk.push(file);
                        let kwargs = PyDict::new(py);
                        kwargs.set_item("closefd", false)?;
                        cls.open.bind(py).call((fd, "r+b"), Some(&kwargs))?
                    }
                };
                uploads.file_objects.push(file.clone().unbind());
                let headers = cls.headers.bind(py).call1((f.headers,))?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("size", f.size)?;
                kwargs.set_item("filename", f.filename)?;
                kwargs.set_item("headers", headers)?;
                let upload = cls.upload.bind(py).call((file,), Some(&kwargs))?;
                items.append(PyTuple::new(
                    py,
                    [
                        f.name.as_str().into_pyobject(py)?.into_any(),
                        upload.clone(),
                    ],
                )?)?;
                files.push((f.name, upload.unbind()));
            }
        }
    }
    let form = cls.form.bind(py).call1((items,))?.unbind();
    Ok((
        Form {
            fields,
            form,
            files,
        },
        uploads,
    ))
}

/// `res` with `uploads` closed once its body has been sent (or dropped).
pub fn close_after(res: Response, uploads: Uploads) -> Response {
    let (parts, body) = res.into_parts();
    Response::from_parts(
        parts,
        Body::new(Closing {
            inner: body,
            _uploads: uploads,
        }),
    )
}

/// A response body that holds a request's uploads until it is done.
struct Closing {
    inner: Body,
    _uploads: Uploads,
}

impl http_body::Body for Closing {
    type Data = Bytes;
    type Error = cello_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What a file parameter is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// The `UploadFile`.
    Upload,
    /// Its content, read whole.
    Bytes,
}

/// A file parameter of a route (`File()`, or an `UploadFile` annotation).
pub struct FileParam {
    /// The part's field name.
    name: String,
    kind: FileKind,
    /// `list[UploadFile]`: every part with this name.
    list: bool,
    required: bool,
    default: Py<PyAny>,
}

impl FileParam {
    /// From `{"source": "file", "name", "kind": "upload"|"bytes", "list", "required",
    /// "default"}` (`cello._signature`).
    pub fn from_spec(spec: &Bound<'_, PyDict>, handler: &str) -> PyResult<FileParam> {
        let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            spec.get_item(k)?.ok_or_else(|| {
                PyValueError::new_err(format!("handler {handler}: file spec without `{k}`"))
            })
        };
        let kind = match get("kind")?.extract::<String>()?.as_str() {
            "upload" => FileKind::Upload,
            "bytes" => FileKind::Bytes,
            other => {
                return Err(PyValueError::new_err(format!(
                    "handler {handler}: unknown file parameter kind `{other}`"
                )))
            }
        };
        Ok(FileParam {
            name: get("name")?.extract()?,
            kind,
            list: get("list")?.extract()?,
            required: get("required")?.extract()?,
            default: get("default")?.unbind(),
        })
    }

    /// This parameter's value: the upload(s) named so in `form`, its default, or a
    /// `missing` failure in `errors`.
    pub fn pick<'py>(
        &self,
        py: Python<'py>,
        form: Option<&Form>,
        errors: &mut Errors,
    ) -> PyResult<Bound<'py, PyAny>> {
        let found: Vec<Bound<'py, PyAny>> = form
            .map(|f| {
                f.files
                    .iter()
                    .filter(|(k, _)| *k == self.name)
                    .map(|(_, v)| v.bind(py).clone())
                    .collect()
            })
            .unwrap_or_default();
        if found.is_empty() {
            if self.required {
                errors.push(Failure {
                    loc: vec![Loc::from("body"), Loc::from(self.name.clone())],
                    kind: "missing",
                    msg: "Field required".into(),
                    input: None,
                    ctx: None,
                });
                return Ok(py.None().into_bound(py));
            }
            return Ok(self.default.bind(py).clone());
        }
        let mut values = Vec::with_capacity(found.len());
        for upload in found {
            values.push(match self.kind {
                FileKind::Upload => upload,
                FileKind::Bytes => {
                    // A local file (or memory): a plain blocking read.
                    let file = upload.getattr(pyo3::intern!(py, "file"))?;
                    let data = file.call_method0(pyo3::intern!(py, "read"))?;
                    file.call_method1(pyo3::intern!(py, "seek"), (0,))?;
                    data
                }
            });
        }
        if self.list {
            return Ok(PyList::new(py, values)?.into_any());
        }
        Ok(values.pop().unwrap_or_else(|| py.None().into_bound(py)))
    }
}
