//! `cello.responses.FileResponse`: a file a handler answers with, sent by
//! cello-static once the request's conditional and `Range` headers are known.
//!
//! A handler's answer is converted without the request at hand, so the file is
//! carried to `engine.rs` as a [`PendingFile`] in the response's extensions; the few
//! request headers it needs were kept by [`Kept::capture`] (nothing is kept, nothing
//! allocated, for a request without them).

use cello_http::{Body, Response};
use cello_static::FileAnswer;
use http::header::{
    IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, RANGE,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use pyo3::prelude::*;
use std::path::PathBuf;

/// A file as a handler's answer: Starlette's `FileResponse(path, status_code=200,
/// headers=None, media_type=None, filename=None, content_disposition_type=
/// "attachment")`.
#[pyclass(name = "FileResponse", module = "cello._cello", subclass)]
pub struct PyFileResponse {
    answer: FileAnswer,
    filename: Option<String>,
}

#[pymethods]
impl PyFileResponse {
    #[new]
    #[pyo3(signature = (path, status_code=200, headers=None, media_type=None, filename=None, content_disposition_type="attachment"))]
    fn new(
        path: PathBuf,
        status_code: u16,
        headers: Option<&Bound<'_, PyAny>>,
        media_type: Option<String>,
        filename: Option<String>,
        content_disposition_type: &str,
    ) -> PyResult<Self> {
        let status = crate::response::check_status(status_code)?;
        let mut answer = FileAnswer::new(path, status);
        for (k, v) in crate::response::headers_from_py(headers)? {
            answer.answer.headers.append(k, v);
        }
        if let Some(mt) = &media_type {
            let mt = if mt.starts_with("text/") && !mt.contains("charset=") {
                format!("{mt}; charset=utf-8")
            } else {
                mt.clone()
            };
            let (_, v) = crate::response::header_pair("content-type", &mt)?;
            answer.answer.content_type = Some(v);
        }
        if let Some(name) = &filename {
            crate::response::header_pair("content-disposition", content_disposition_type)?;
            answer = answer.filename(name, content_disposition_type);
        }
        Ok(PyFileResponse { answer, filename })
    }

    /// The file's path.
    #[getter]
    fn path(&self) -> String {
        self.answer.path.to_string_lossy().into_owned()
    }

    /// The status of a full answer.
    #[getter]
    fn status_code(&self) -> u16 {
        self.answer.answer.status.as_u16()
    }

    /// The media type given (None: guessed from the file name).
    #[getter]
    fn media_type(&self) -> Option<String> {
        let ct = self.answer.answer.content_type.as_ref()?;
        ct.to_str().ok().map(str::to_owned)
    }

    /// Adds a header to the answer (a Python middleware's `response.add_header`).
    fn add_header(&mut self, name: &str, value: &str) -> PyResult<()> {
        let (k, v) = crate::response::header_pair(name, value)?;
        self.answer.answer.headers.append(k, v);
        Ok(())
    }

    /// The download name given.
    #[getter]
    fn filename(&self) -> Option<String> {
        self.filename.clone()
    }
}

/// A file still to send, in a response's extensions.
#[derive(Clone)]
pub struct PendingFile(FileAnswer);

impl PyFileResponse {
    /// The response that carries this file to the engine.
    pub fn to_response(&self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self.answer.answer.status;
        res.extensions_mut()
            .insert(PendingFile(self.answer.clone()));
        res
    }
}

/// What a file answer needs of the request: `HEAD`, and the conditional and
/// `Range` headers when there are any.
pub struct Kept {
    head: bool,
    headers: Option<Box<HeaderMap>>,
}

impl Kept {
    /// Keeps what a file answer would need (one pass over the header names,
    /// nothing allocated unless one of them is there).
    #[inline]
    pub fn capture(parts: &http::request::Parts) -> Kept {
        let mut headers: Option<Box<HeaderMap>> = None;
        for (name, value) in &parts.headers {
            if *name == RANGE
                || *name == IF_NONE_MATCH
                || *name == IF_MODIFIED_SINCE
                || *name == IF_MATCH
                || *name == IF_UNMODIFIED_SINCE
                || *name == IF_RANGE
            {
                headers
                    .get_or_insert_with(Default::default)
                    .append(name.clone(), value.clone());
            }
        }
        Kept {
            head: parts.method == Method::HEAD,
            headers,
        }
    }
}

/// Whether `res` is a file still to send.
#[inline]
pub fn is_pending(res: &Response) -> bool {
    res.extensions().get::<PendingFile>().is_some()
}

/// Sends the file `res` carries. A file that cannot be opened is logged with its
/// path and answered 404 (Starlette raises at send time instead; a 404 says to the
/// client what happened, the log says it to the developer).
pub async fn send(mut res: Response, kept: Kept) -> Response {
    let Some(PendingFile(file)) = res.extensions_mut().remove::<PendingFile>() else {
        return res;
    };
    let method = if kept.head { Method::HEAD } else { Method::GET };
    let empty = HeaderMap::new();
    let headers = kept.headers.as_deref().unwrap_or(&empty);
    match file.respond(&method, headers).await {
        Ok(r) => r,
        Err(e) => {
            Python::attach(|py| {
                crate::runtime::log_error(py, &format!("FileResponse: {e}"));
            });
            let mut res = Response::new(Body::full(&br#"{"detail":"Not Found"}"#[..]));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res
        }
    }
}
