//! `cello.Response`: a body, a status and headers, checked when it is built.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// An HTTP response a handler returns when plain data is not enough.
///
/// Header names and values are checked as the response is built: CR or LF in either
/// raises `ValueError`, so a header can never split the response. So is the status:
/// one a response cannot have (1xx, 101, past 599) raises `ValueError` naming it.
#[pyclass(name = "Response", module = "cello._cello", subclass)]
pub struct PyResponse {
    /// The body: None, bytes, str, or JSON-encodable data (dict, list...).
    #[pyo3(get, set)]
    pub body: Py<PyAny>,
    /// The status code, 200 to 599 (checked when set).
    #[pyo3(get)]
    pub status: u16,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The media type; when None it follows from the body.
    #[pyo3(get, set)]
    pub content_type: Option<String>,
    /// Run after the response is sent (a `BackgroundTask`/`BackgroundTasks`, or any
    /// callable); None: nothing.
    #[pyo3(get, set)]
    pub background: Option<Py<PyAny>>,
}

/// Validates one header set from Python.
pub fn header_pair(name: &str, value: &str) -> PyResult<(http::HeaderName, http::HeaderValue)> {
    if name.contains(['\r', '\n']) || value.contains(['\r', '\n']) {
        return Err(PyValueError::new_err(format!(
            "header {name:?} contains CR or LF; that would split the response"
        )));
    }
    let n = http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))?;
    let v = http::HeaderValue::from_str(value).map_err(|_| {
        PyValueError::new_err(format!("invalid value for header {name:?}: {value:?}"))
    })?;
    Ok((n, v))
}

/// Headers given as a dict or a list of pairs.
pub fn headers_from_py(
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(http::HeaderName, http::HeaderValue)>> {
    let mut out = Vec::new();
    let Some(obj) = obj else { return Ok(out) };
    if obj.is_none() {
        return Ok(out);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            out.push(header_pair(&k.str()?.to_cow()?, &v.str()?.to_cow()?)?);
        }
    } else {
        for item in obj.try_iter()? {
            let (k, v): (String, String) = item?.extract()?;
            out.push(header_pair(&k, &v)?);
        }
    }
    Ok(out)
}

/// A status a response may have (200..=599); anything else is a `ValueError` that
/// names it.
pub fn check_status(status: u16) -> PyResult<http::StatusCode> {
    cello_http::status::check(status).map_err(|e| PyValueError::new_err(e.to_string()))
}

impl PyResponse {
    fn build(
        py: Python<'_>,
        body: Option<Py<PyAny>>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
        content_type: Option<String>,
    ) -> PyResult<Self> {
        check_status(status)?;
        if let Some(ct) = &content_type {
            header_pair("content-type", ct)?;
        }
        Ok(PyResponse {
            body: body.unwrap_or_else(|| py.None()),
            status,
            headers: headers_from_py(headers)?,
            content_type,
            background: None,
        })
    }
}

#[pymethods]
impl PyResponse {
    #[new]
    #[pyo3(signature = (body=None, status=200, headers=None, content_type=None, background=None))]
    fn new(
        py: Python<'_>,
        body: Option<Py<PyAny>>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
        content_type: Option<String>,
        background: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let mut r = Self::build(py, body, status, headers, content_type)?;
        r.background = background.filter(|b| !b.is_none(py));
        Ok(r)
    }

    /// A JSON response (encoded in Rust).
    #[staticmethod]
    #[pyo3(signature = (content, status=200, headers=None))]
    fn json(
        py: Python<'_>,
        content: Py<PyAny>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Self::build(
            py,
            Some(content),
            status,
            headers,
            Some("application/json".into()),
        )
    }

    /// A `text/plain; charset=utf-8` response.
    #[staticmethod]
    #[pyo3(signature = (content, status=200, headers=None))]
    fn text(
        py: Python<'_>,
        content: Py<PyAny>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Self::build(
            py,
            Some(content),
            status,
            headers,
            Some("text/plain; charset=utf-8".into()),
        )
    }

    /// A `text/html; charset=utf-8` response.
    #[staticmethod]
    #[pyo3(signature = (content, status=200, headers=None))]
    fn html(
        py: Python<'_>,
        content: Py<PyAny>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Self::build(
            py,
            Some(content),
            status,
            headers,
            Some("text/html; charset=utf-8".into()),
        )
    }

    /// A redirect to `url` (307 by default, which keeps the method).
    #[staticmethod]
    #[pyo3(signature = (url, status=307, headers=None))]
    fn redirect(
        py: Python<'_>,
        url: &str,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut r = Self::build(py, None, status, headers, None)?;
        r.headers.push(header_pair("location", url)?);
        Ok(r)
    }

    #[setter]
    fn set_status(&mut self, status: u16) -> PyResult<()> {
        check_status(status)?;
        self.status = status;
        Ok(())
    }

    /// The headers as a list of `(name, value)` pairs.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for (k, v) in &self.headers {
            list.append(PyTuple::new(
                py,
                [k.as_str(), &String::from_utf8_lossy(v.as_bytes())],
            )?)?;
        }
        Ok(list)
    }

    /// Adds a header (several with one name are allowed).
    fn add_header(&mut self, name: &str, value: &str) -> PyResult<()> {
        self.headers.push(header_pair(name, value)?);
        Ok(())
    }

    /// Sets a cookie (`Set-Cookie`).
    #[pyo3(signature = (key, value="", max_age=None, expires=None, path="/", domain=None, secure=false, httponly=false, samesite=Some("lax")))]
    #[allow(clippy::too_many_arguments)]
    fn set_cookie(
        &mut self,
        key: &str,
        value: &str,
        max_age: Option<i64>,
        expires: Option<&str>,
        path: Option<&str>,
        domain: Option<&str>,
        secure: bool,
        httponly: bool,
        samesite: Option<&str>,
    ) -> PyResult<()> {
        if key.is_empty() || key.contains([';', '=', ' ', ',']) || value.contains([';', ',']) {
            return Err(PyValueError::new_err(format!(
                "invalid cookie {key:?}={value:?}"
            )));
        }
        let mut c = format!("{key}={value}");
        if let Some(m) = max_age {
            c.push_str(&format!("; Max-Age={m}"));
        }
        if let Some(e) = expires {
            c.push_str(&format!("; Expires={e}"));
        }
        if let Some(p) = path {
            c.push_str(&format!("; Path={p}"));
        }
        if let Some(d) = domain {
            c.push_str(&format!("; Domain={d}"));
        }
        if secure {
            c.push_str("; Secure");
        }
        if httponly {
            c.push_str("; HttpOnly");
        }
        if let Some(s) = samesite {
            let s = match s.to_ascii_lowercase().as_str() {
                "lax" => "Lax",
                "strict" => "Strict",
                "none" => "None",
                _ => {
                    return Err(PyValueError::new_err(
                        "samesite must be 'lax', 'strict' or 'none'",
                    ))
                }
            };
            c.push_str(&format!("; SameSite={s}"));
        }
        self.headers.push(header_pair("set-cookie", &c)?);
        Ok(())
    }

    /// Deletes a cookie (expires it now).
    #[pyo3(signature = (key, path="/", domain=None))]
    fn delete_cookie(
        &mut self,
        key: &str,
        path: Option<&str>,
        domain: Option<&str>,
    ) -> PyResult<()> {
        self.set_cookie(
            key,
            "",
            Some(0),
            Some("Thu, 01 Jan 1970 00:00:00 GMT"),
            path,
            domain,
            false,
            false,
            Some("lax"),
        )
    }

    fn __repr__(&self) -> String {
        format!("<Response {}>", self.status)
    }
}
