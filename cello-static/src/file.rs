//! [`FileAnswer`]: one file named by the application (a `FileResponse`), answered
//! with the same validators, preconditions and ranges as a directory's files.

use crate::open::Opened;
use crate::respond::{respond, Answer};
use cello_http::Response;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::path::PathBuf;

/// A file to answer with, once the request's conditional and `Range` headers are
/// known. No directory boundary applies: the application chose the path.
#[derive(Debug, Clone)]
pub struct FileAnswer {
    /// The file.
    pub path: PathBuf,
    /// How to answer (status, type, extra headers).
    pub answer: Answer,
}

/// The file a [`FileAnswer`] names is not a readable regular file.
#[derive(Debug)]
pub struct FileMissing {
    /// The path given.
    pub path: PathBuf,
    /// Why it cannot be sent.
    pub reason: String,
}

impl std::fmt::Display for FileMissing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot send file {}: {}; answered 404",
            self.path.display(),
            self.reason
        )
    }
}

impl std::error::Error for FileMissing {}

/// What `urllib.parse.quote` leaves alone (its default `safe='/'`), so
/// `Content-Disposition` reads as Starlette writes it.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

impl FileAnswer {
    /// `path` answered with `status`.
    pub fn new(path: impl Into<PathBuf>, status: StatusCode) -> Self {
        FileAnswer {
            path: path.into(),
            answer: Answer {
                status,
                ..Answer::default()
            },
        }
    }

    /// Sets `Content-Disposition: <kind>; filename="<name>"` (RFC 6266), or
    /// `filename*=utf-8''<percent-encoded>` when the name needs encoding, as
    /// Starlette does. The media type is then guessed from `name`.
    pub fn filename(mut self, name: &str, kind: &str) -> Self {
        let quoted = utf8_percent_encode(name, QUOTE).to_string();
        let value = if quoted != name {
            format!("{kind}; filename*=utf-8''{quoted}")
        } else {
            format!("{kind}; filename=\"{name}\"")
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            self.answer
                .headers
                .insert(http::header::CONTENT_DISPOSITION, v);
        }
        if self.answer.content_type.is_none() {
            self.answer.content_type = Some(crate::respond::guess_type(name.as_ref()));
        }
        self
    }

    /// The answer to a request with `method` and `headers` (only the conditional
    /// and `Range` ones are read).
    pub async fn respond(
        self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<Response, FileMissing> {
        let path = self.path.clone();
        let opened = tokio::task::spawn_blocking(move || open_any(&path)).await;
        match opened {
            Ok(Ok(file)) => Ok(respond(file, method, headers, self.answer)),
            Ok(Err(reason)) => Err(FileMissing {
                path: self.path,
                reason,
            }),
            Err(e) => Err(FileMissing {
                path: self.path,
                reason: e.to_string(),
            }),
        }
    }
}

fn open_any(path: &std::path::Path) -> Result<Opened, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    Ok(Opened {
        file,
        meta,
        name: path.to_owned(),
        coding: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disposition(name: &str) -> HeaderValue {
        FileAnswer::new("x", StatusCode::OK)
            .filename(name, "attachment")
            .answer
            .headers[http::header::CONTENT_DISPOSITION]
            .clone()
    }

    #[test]
    fn an_ascii_filename_is_quoted() {
        assert_eq!(
            disposition("report.pdf"),
            "attachment; filename=\"report.pdf\""
        );
    }

    #[test]
    fn a_non_ascii_or_unsafe_filename_is_percent_encoded() {
        assert_eq!(
            disposition("résumé.pdf"),
            "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"
        );
        assert_eq!(
            disposition("a\"b\r\n.txt"),
            "attachment; filename*=utf-8''a%22b%0D%0A.txt"
        );
    }
}
