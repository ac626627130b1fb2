//! Where a text parameter's values come from in one request: the query string, a
//! header, the cookies or a path segment. The query string and the cookies are
//! parsed once, on the first parameter that asks.

use crate::params::TextParam;
use crate::request::parse_urlencoded;
use cello_router::ParamValue;
use http::header::{HeaderName, COOKIE};
use std::borrow::Cow;

/// The part of the request a parameter is read from.
pub enum Source {
    /// The query string; a scalar takes the last value, as Starlette does.
    Query,
    /// A header, matched without regard to case; a scalar takes the first value.
    Header(HeaderName),
    /// A cookie of the `Cookie` header(s); the last of a repeated name wins.
    Cookie,
    /// A path segment (the router's text, or its converted value as text).
    Path,
    /// A field of a urlencoded form body (`Form()`); the last value counts, as in
    /// the query string.
    Form,
}

impl Source {
    /// `"query"`, `"header"`, `"cookie"` or `"path"`, for the parameter `name`
    /// (a header's name, checked here).
    pub fn from_spec(source: &str, name: &str) -> Result<Self, String> {
        Ok(match source {
            "query" => Source::Query,
            "cookie" => Source::Cookie,
            "path" => Source::Path,
            "form" => Source::Form,
            "header" => Source::Header(
                HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                    .map_err(|_| format!("`{name}` is not a valid header name"))?,
            ),
            other => return Err(format!("parameter `{name}` has unknown source `{other}`")),
        })
    }

    /// The first step of a failure's `loc`.
    pub fn label(&self) -> &'static str {
        match self {
            Source::Query => "query",
            Source::Header(_) => "header",
            Source::Cookie => "cookie",
            Source::Path => "path",
            Source::Form => "body",
        }
    }
}

/// One request's text, parsed on demand.
pub struct Sources<'a> {
    parts: &'a http::request::Parts,
    params: &'a [(String, ParamValue<'static>)],
    body: &'a [u8],
    /// A multipart form's text fields (else `body` is read as a urlencoded form).
    multipart: Option<&'a [(String, String)]>,
    query: Option<Vec<(String, String)>>,
    cookies: Option<Vec<(String, String)>>,
    form: Option<Vec<(String, String)>>,
}

impl<'a> Sources<'a> {
    /// Nothing is parsed yet.
    pub fn new(
        parts: &'a http::request::Parts,
        params: &'a [(String, ParamValue<'static>)],
        body: &'a [u8],
        multipart: Option<&'a [(String, String)]>,
    ) -> Self {
        Sources {
            parts,
            params,
            body,
            multipart,
            query: None,
            cookies: None,
            form: None,
        }
    }

    /// `param`'s values as sent: every one for a list, else the one that counts;
    /// empty when it is missing.
    pub fn values(&mut self, param: &TextParam) -> Vec<Cow<'_, str>> {
        let name = param.name.as_str();
        let mut all: Vec<Cow<'_, str>> = match &param.source {
            Source::Query => {
                let raw = self.parts.uri.query().unwrap_or("");
                let pairs = self
                    .query
                    .get_or_insert_with(|| parse_urlencoded(raw.as_bytes()));
                let found = pairs.iter().filter(|(k, _)| k == name);
                found.map(|(_, v)| Cow::Borrowed(v.as_str())).collect()
            }
            Source::Header(header) => {
                let found = self.parts.headers.get_all(header).iter();
                let mut out: Vec<_> = found.map(|v| latin1(v.as_bytes())).collect();
                if !param.list {
                    out.truncate(1);
                }
                out
            }
            Source::Cookie => {
                let headers = &self.parts.headers;
                let pairs = self.cookies.get_or_insert_with(|| parse_cookies(headers));
                let found = pairs.iter().filter(|(k, _)| k == name);
                found.map(|(_, v)| Cow::Borrowed(v.as_str())).collect()
            }
            Source::Form if self.multipart.is_some() => {
                let pairs = self.multipart.unwrap_or_default();
                let found = pairs.iter().filter(|(k, _)| k == name);
                found.map(|(_, v)| Cow::Borrowed(v.as_str())).collect()
            }
            Source::Form => {
                let body = self.body;
                let pairs = self.form.get_or_insert_with(|| parse_urlencoded(body));
                let found = pairs.iter().filter(|(k, _)| k == name);
                found.map(|(_, v)| Cow::Borrowed(v.as_str())).collect()
            }
            Source::Path => match self.params.iter().find(|(k, _)| k == name) {
                Some((_, v)) => vec![path_text(v)],
                None => Vec::new(),
            },
        };
        if !param.list && all.len() > 1 {
            // The query string's, the form's and the cookies' last value counts.
            all.drain(..all.len() - 1);
        }
        all
    }
}

/// A path parameter as text; one the router converted (`{id:int}`) is printed back.
fn path_text<'v>(v: &'v ParamValue<'static>) -> Cow<'v, str> {
    match v {
        ParamValue::Int(i) => Cow::Owned(i.to_string()),
        ParamValue::Float(f) => Cow::Owned(f.to_string()),
        ParamValue::Uuid(u) => Cow::Owned(u.hyphenated().to_string()),
        other => Cow::Borrowed(other.as_str().unwrap_or_default()),
    }
}

/// Header bytes as Starlette decodes them (latin-1): every byte is one character.
fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => Cow::Borrowed(s),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Every `name=value` of the `Cookie` header(s), in order, as Starlette's
/// `cookie_parser` reads them: split on `;`, trimmed, a quoted value unquoted.
fn parse_cookies(headers: &http::HeaderMap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for header in headers.get_all(COOKIE) {
        for chunk in latin1(header.as_bytes()).split(';') {
            let (k, v) = chunk.split_once('=').unwrap_or(("", chunk));
            let (k, v) = (k.trim(), v.trim());
            if !k.is_empty() || !v.is_empty() {
                out.push((k.to_owned(), unquote(v)));
            }
        }
    }
    out
}

/// `"a\"b"` → `a"b`; `\012` octal escapes too, as Python's `http.cookies` reads them.
fn unquote(v: &str) -> String {
    let inner = match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if v.len() >= 2 => inner,
        _ => return v.to_owned(),
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let octal: String = chars.clone().take(3).collect();
        let o: Vec<char> = octal.chars().collect();
        if o.len() == 3 && ('0'..='3').contains(&o[0]) && o[1].is_digit(8) && o[2].is_digit(8) {
            if let Ok(code) = u8::from_str_radix(&octal, 8) {
                out.push(char::from(code));
                chars.nth(2);
                continue;
            }
        }
        if let Some(next) = chars.next() {
            out.push(next);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn quoted_cookie_values_are_unquoted_as_python_does() {
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("\"a\\\"b\""), "a\"b");
        assert_eq!(unquote("\"\\073x\""), ";x");
        assert_eq!(unquote("\""), "\"");
    }
}
