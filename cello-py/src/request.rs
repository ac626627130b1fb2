//! `cello.Request`: built lazily. The engine hands over the parsed head, the path
//! parameters and the body bytes; nothing becomes a Python object until a handler
//! asks for it.

use crate::json_decode::{decode, DecodeError};
use crate::runtime;
use bytes::Bytes;
use cello_middleware::forwarded::ClientInfo;
use cello_router::ParamValue;
use percent_encoding::percent_decode;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use std::net::SocketAddr;

/// An HTTP request as a handler sees it.
#[pyclass(name = "Request", module = "cello._cello", frozen)]
pub struct PyRequest {
    pub(crate) method: http::Method,
    pub(crate) uri: http::Uri,
    pub(crate) headers: http::HeaderMap,
    pub(crate) params: Vec<(String, ParamValue<'static>)>,
    pub(crate) body: Bytes,
    /// A multipart form's `FormData`, parsed before the handler ran.
    pub(crate) form: Option<Py<PyAny>>,
    pub(crate) peer: Option<SocketAddr>,
    /// What trusted proxies said (client, scheme, host); None unless the
    /// `TrustedProxies` middleware honored a forwarding header.
    pub(crate) forwarded: Option<Box<ClientInfo>>,
    /// `req.state`, made on first access: a request that never asks pays nothing.
    pub(crate) state: PyOnceLock<Py<PyAny>>,
    /// The unread body of a `stream_request=True` route (`req.stream()`).
    pub(crate) streamed: Option<crate::request_stream::StreamedBody>,
    /// The prefix the engine stripped before routing (`root_path`); None without one.
    pub(crate) root_path: Option<crate::front::RootPath>,
    /// The TLS handshake's outcome, on an HTTPS connection.
    pub(crate) tls: Option<std::sync::Arc<cello_http::tls::TlsInfo>>,
}

impl PyRequest {
    /// The request object for what the engine read.
    pub fn new(mut req: crate::call::Incoming) -> Self {
        PyRequest {
            method: req.parts.method,
            uri: req.parts.uri,
            headers: req.parts.headers,
            params: req.params,
            body: req.body,
            form: req.form.map(|f| f.form),
            peer: req.peer,
            // Set by the `TrustedProxies` layer; an empty extension map makes this free.
            forwarded: req.parts.extensions.remove::<ClientInfo>().map(Box::new),
            state: PyOnceLock::new(),
            // Set on TLS connections (cello_http::tls); absent, the lookup is free.
            tls: req
                .parts
                .extensions
                .remove::<std::sync::Arc<cello_http::tls::TlsInfo>>(),
            streamed: req
                .parts
                .extensions
                .remove::<crate::request_stream::StreamedBody>(),
            root_path: req.parts.extensions.remove::<crate::front::RootPath>(),
        }
    }
}

impl PyRequest {
    /// Whether the body was read before the handler ran; on a `stream_request=True`
    /// route it was not, and reading it whole is an error that says what to do.
    fn read_body(&self) -> PyResult<()> {
        if self.streamed.is_some() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "this route streams its request body (stream_request=True): read it with `async for chunk in req.stream()`, not req.body/text()/json()/form()",
            ));
        }
        Ok(())
    }
}

/// A path parameter as a Python object.
pub fn param_to_py<'py>(py: Python<'py>, v: &ParamValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        ParamValue::Int(i) => i.into_pyobject(py)?.into_any(),
        ParamValue::Float(f) => f.into_pyobject(py)?.into_any(),
        ParamValue::Uuid(u) => {
            let uuid = py
                .import(pyo3::intern!(py, "uuid"))?
                .getattr(pyo3::intern!(py, "UUID"))?;
            uuid.call1((u.hyphenated().to_string(),))?
        }
        other => PyString::new(py, other.as_str().unwrap_or_default()).into_any(),
    })
}

/// `a=1&b=x%20y&a=2` → `[("a","1"),("b","x y"),("a","2")]`, `+` as space.
pub fn parse_urlencoded(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> String {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        // Most keys and values: nothing to decode, one allocation.
        return String::from_utf8_lossy(raw).into_owned();
    }
    let plus: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus).decode_utf8_lossy().into_owned()
}

/// A header value as text without loss: UTF-8 when it is valid UTF-8, else latin-1
/// (each byte one code point), as ASGI servers decode headers. The bytes stay
/// recoverable: `.encode("latin-1")` or `.encode()`, or `headers.raw`.
fn header_str<'py>(py: Python<'py>, value: &[u8]) -> Bound<'py, PyString> {
    PyString::new(py, &header_text(value))
}

fn header_text(value: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(s) => s.into(),
        Err(_) => value
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into(),
    }
}

fn pairs_to_list<'py>(
    py: Python<'py>,
    pairs: Vec<(String, String)>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (k, v) in pairs {
        list.append(PyTuple::new(py, [k, v])?)?;
    }
    Ok(list)
}

#[pymethods]
impl PyRequest {
    /// The method, e.g. `"GET"`.
    #[getter]
    fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path, still percent-encoded as sent, e.g. `"/users/42"`.
    #[getter]
    fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, without `?` (empty when there is none).
    #[getter]
    fn query_string(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// The prefix the app is mounted under (`cello run --root-path`, ASGI's
    /// `root_path`) when the request's path started with it, else `""`. `path` is the
    /// rest, as routed; `url` includes both.
    #[getter]
    fn root_path(&self) -> &str {
        self.root_path.as_ref().map_or("", |r| &r.0)
    }

    /// The full URL, `scheme://host[:port]/root_path/path?query`. The host is `host`,
    /// or `localhost` when there is none.
    #[getter]
    fn url(&self) -> String {
        let host = self.host().unwrap_or("localhost");
        let pq = self.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        format!("{}://{host}{}{pq}", self.scheme(), self.root_path())
    }

    /// What a trusted proxy reported (`X-Forwarded-Proto`, `proto=`: `"https"`,
    /// `"ws"`, `"wss"`), else `"https"` on a TLS connection and `"http"` otherwise.
    #[getter]
    fn scheme(&self) -> &'static str {
        let own = if self.tls.is_some() { "https" } else { "http" };
        self.forwarded
            .as_ref()
            .and_then(|f| f.scheme)
            .map_or(own, |s| s.as_str())
    }

    /// The client's TLS certificate (the leaf, DER bytes) when it showed one
    /// (`ssl_ca_certs` with `ssl_cert_reqs` optional or required); None otherwise.
    /// `cryptography.x509.load_der_x509_certificate(req.client_cert)` reads it.
    #[getter]
    fn client_cert<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let der = self.tls.as_ref()?.client_cert.as_ref()?;
        Some(PyBytes::new(py, der))
    }

    /// The TLS connection, as ASGI's `tls` extension describes it: a dict with
    /// `tls_version` (`"TLSv1.3"`), `alpn_protocol` (`"h2"`, `"http/1.1"` or None)
    /// and `client_cert` (as `client_cert` above); None over plain HTTP.
    #[getter]
    fn tls<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(info) = &self.tls else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        dict.set_item("tls_version", info.version)?;
        dict.set_item(
            "alpn_protocol",
            info.alpn
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
        )?;
        dict.set_item("client_cert", self.client_cert(py))?;
        Ok(Some(dict))
    }

    /// The host the client asked for, `host[:port]`: what a trusted proxy reported
    /// (`X-Forwarded-Host`, `host=`), else the request's authority as sent — the
    /// target's (an absolute-form target, HTTP/2 `:authority`) first, else the `Host`
    /// header, which the server has checked. None for an HTTP/1.0 request without `Host`.
    #[getter]
    fn host(&self) -> Option<&str> {
        if let Some(host) = self.forwarded.as_ref().and_then(|f| f.host.as_ref()) {
            return Some(host.as_str());
        }
        cello_http::host::authority(&self.uri, &self.headers)
    }

    /// The request id: the `x-request-id` header, which the `RequestId` middleware keeps
    /// from the client or sets (a custom header name is read with `headers`). None
    /// without one.
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
    }

    /// The query parameters, percent-decoded, as a multi-dict (`get`, `getlist`).
    #[getter]
    fn query<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pairs = parse_urlencoded(self.uri.query().unwrap_or("").as_bytes());
        runtime::get(py)?
            .query_cls
            .bind(py)
            .call1((pairs_to_list(py, pairs)?,))
    }

    /// The headers, as a case-insensitive multi-dict of str; `.raw` gives the bytes
    /// as received, `(name, value)` pairs with lowercase names.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pairs = PyList::empty(py);
        let raw = PyList::empty(py);
        for (k, v) in &self.headers {
            let (name, value) = (k.as_str(), v.as_bytes());
            pairs.append((name, header_str(py, value)))?;
            raw.append((PyBytes::new(py, name.as_bytes()), PyBytes::new(py, value)))?;
        }
        runtime::get(py)?.headers_cls.bind(py).call1((pairs, raw))
    }

    /// The path parameters, converted to their declared types.
    #[getter]
    fn path_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.params {
            d.set_item(k, param_to_py(py, v)?)?;
        }
        Ok(d)
    }

    /// Cookies from the `Cookie` header, as a dict.
    #[getter]
    fn cookies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for h in self.headers.get_all(http::header::COOKIE) {
            for part in header_text(h.as_bytes()).split(';') {
                if let Some((k, v)) = part.split_once('=') {
                    let v = v.trim().trim_matches('"');
                    d.set_item(k.trim(), v)?;
                }
            }
        }
        Ok(d)
    }

    /// The client's `(host, port)`: the peer, or the client a trusted proxy named (port
    /// 0 when it gave none). None on a Unix socket, or when the proxy hid the client
    /// (`Forwarded: for=unknown` or `for=_obfuscated`).
    #[getter]
    fn client(&self) -> Option<(String, u16)> {
        let addr = match &self.forwarded {
            Some(f) => f.client,
            None => self.peer,
        };
        addr.map(|a| (a.ip().to_string(), a.port()))
    }

    /// The body as bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.read_body()?;
        Ok(PyBytes::new(py, &self.body))
    }

    /// The body as it arrives: `async for chunk in req.stream()` gives `bytes`
    /// chunks. On a `stream_request=True` route the body is read from the connection
    /// chunk by chunk (413 past the body limit, 408 when the client stalls, raised as
    /// `HTTPException`); on other routes it was read before the handler ran and
    /// comes in one chunk.
    fn stream(&self) -> crate::request_stream::PyRequestStream {
        crate::request_stream::PyRequestStream::new(self.streamed.as_ref(), &self.body)
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    fn text(&self) -> PyResult<String> {
        self.read_body()?;
        Ok(String::from_utf8_lossy(&self.body).into_owned())
    }

    /// The body parsed as JSON (in Rust). Invalid JSON raises `HTTPException(400)`
    /// whose detail gives the byte position of the error.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.read_body()?;
        match decode(py, &self.body) {
            Ok(v) => Ok(v),
            Err(DecodeError::Py(e)) => Err(e),
            Err(DecodeError::Json(e)) => {
                let exc = runtime::get(py)?
                    .http_exception
                    .bind(py)
                    .call1((400, format!("request body is not valid JSON: {e}")))?;
                Err(PyErr::from_value(exc))
            }
        }
    }

    /// The form, as a `FormData` multi-dict: a `multipart/form-data` body's fields
    /// (`str`) and files (`UploadFile`), parsed in Rust while it streamed in, or an
    /// `application/x-www-form-urlencoded` body's fields. The result can be used
    /// directly or awaited (`await req.form()`, as in Starlette).
    fn form<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.read_body()?;
        if let Some(form) = &self.form {
            return Ok(form.bind(py).clone());
        }
        crate::upload::form_data(py, parse_urlencoded(&self.body))
    }

    /// Per-request attributes (`cello.datastructures.State`), e.g. the user a
    /// middleware authenticated: `req.state.user = ...`. Made on first access.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = self
            .state
            .get_or_try_init(py, || runtime::get(py)?.state_cls.call0(py))?;
        Ok(state.bind(py).clone())
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.method, self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::{header_text, parse_urlencoded};

    #[test]
    fn header_text_is_utf8_when_it_can_be_and_latin1_otherwise() {
        assert_eq!(header_text(b"caf\xc3\xa9"), "café");
        assert_eq!(header_text(b"caf\xe9"), "café");
        assert_eq!(header_text(b"\x80\xff"), "\u{80}\u{ff}");
        assert_eq!(header_text(b"plain"), "plain");
    }

    #[test]
    fn urlencoded_pairs_are_percent_and_plus_decoded_in_order() {
        assert_eq!(
            parse_urlencoded(b"a=1&b=x%20y+z&a=2&flag"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("a".into(), "2".into()),
                ("flag".into(), String::new())
            ]
        );
    }
}
