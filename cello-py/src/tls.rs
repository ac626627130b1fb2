//! The TLS and HTTP-version options (`ssl_*`, `http`, `h2_*`) from Python: checked and
//! turned into cello-http's TLS acceptor and `HttpConfig` fields. A certificate or key
//! that cannot be used is an error naming its file: `OSError` when it cannot be read,
//! `ValueError` when it is not understood.

use cello_http::tls::{alpn, ClientAuth, TlsAcceptor, TlsError, TlsFiles};
use cello_http::HttpConfig;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;

/// The options as `Engine.serve` and `check_tls` take them.
#[derive(Default)]
pub struct TlsOptions {
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub keyfile_password: Option<String>,
    pub ca_certs: Option<PathBuf>,
    pub cert_reqs: Option<Py<PyAny>>,
    pub http: Option<Py<PyAny>>,
}

/// Which HTTP versions are served (`http`: "auto", "1" or "2").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Versions {
    Both,
    One,
    Two,
}

fn versions(py: Python<'_>, http: &Option<Py<PyAny>>) -> PyResult<Versions> {
    let Some(http) = http else {
        return Ok(Versions::Both);
    };
    let text = http.bind(py).str()?.to_string();
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(Versions::Both),
        "1" | "1.1" | "h11" => Ok(Versions::One),
        "2" | "h2" => Ok(Versions::Two),
        _ => Err(PyValueError::new_err(format!(
            "http={text:?}: expected auto, 1 or 2"
        ))),
    }
}

fn client_auth(py: Python<'_>, reqs: &Option<Py<PyAny>>, ca: bool) -> PyResult<ClientAuth> {
    let Some(reqs) = reqs else {
        // A CA file alone asks for client certificates and requires them.
        return Ok(if ca {
            ClientAuth::Required
        } else {
            ClientAuth::None
        });
    };
    // uvicorn's numbers (ssl.CERT_NONE/OPTIONAL/REQUIRED) or their names.
    let text = reqs.bind(py).str()?.to_string();
    match text.trim().to_ascii_lowercase().as_str() {
        "0" | "none" | "certificaterequirement.cert_none" | "verifymode.cert_none" => {
            Ok(ClientAuth::None)
        }
        "1" | "optional" | "verifymode.cert_optional" => Ok(ClientAuth::Optional),
        "2" | "required" | "verifymode.cert_required" => Ok(ClientAuth::Required),
        _ => Err(PyValueError::new_err(format!(
            "ssl_cert_reqs={text:?}: expected none, optional or required (or 0, 1, 2)"
        ))),
    }
}

fn py_error(e: TlsError) -> PyErr {
    if e.is_io() {
        PyOSError::new_err(e.to_string())
    } else {
        PyValueError::new_err(e.to_string())
    }
}

impl TlsOptions {
    /// Sets the HTTP versions `http` asks for on `config`.
    pub fn apply_versions(&self, py: Python<'_>, config: &mut HttpConfig) -> PyResult<()> {
        match versions(py, &self.http)? {
            Versions::Both => {}
            Versions::One => config.http2 = false,
            Versions::Two => config.http1 = false,
        }
        Ok(())
    }

    /// The acceptor, with the files loaded now; None without `ssl_certfile`.
    pub fn acceptor(&self, py: Python<'_>) -> PyResult<Option<TlsAcceptor>> {
        let Some(cert_chain) = self.certfile.clone() else {
            if self.keyfile.is_some() || self.ca_certs.is_some() {
                return Err(PyValueError::new_err(
                    "ssl_keyfile and ssl_ca_certs need ssl_certfile (the server's certificate)",
                ));
            }
            return Ok(None);
        };
        let alpn = match versions(py, &self.http)? {
            Versions::Both => vec![alpn::H2.to_vec(), alpn::HTTP_1_1.to_vec()],
            Versions::One => vec![alpn::HTTP_1_1.to_vec()],
            Versions::Two => vec![alpn::H2.to_vec()],
        };
        let files = TlsFiles {
            // A certificate file that also holds the key needs no keyfile.
            key: self.keyfile.clone().unwrap_or_else(|| cert_chain.clone()),
            cert_chain,
            key_password: self.keyfile_password.clone(),
            client_ca: self.ca_certs.clone(),
            client_auth: client_auth(py, &self.cert_reqs, self.ca_certs.is_some())?,
            alpn,
        };
        let config = files.load().map_err(py_error)?;
        Ok(Some(TlsAcceptor::new(files, config).on_reload(log_reload)))
    }
}

/// Loads the TLS files as `Engine.serve` would and raises what it would raise (an
/// `OSError` or `ValueError` naming the file), without serving: `App.run` calls it
/// before anything starts.
#[pyfunction]
#[pyo3(signature = (ssl_certfile=None, ssl_keyfile=None, ssl_keyfile_password=None, ssl_ca_certs=None, ssl_cert_reqs=None, http=None))]
pub fn check_tls(
    py: Python<'_>,
    ssl_certfile: Option<PathBuf>,
    ssl_keyfile: Option<PathBuf>,
    ssl_keyfile_password: Option<String>,
    ssl_ca_certs: Option<PathBuf>,
    ssl_cert_reqs: Option<Py<PyAny>>,
    http: Option<Py<PyAny>>,
) -> PyResult<()> {
    let options = TlsOptions {
        certfile: ssl_certfile,
        keyfile: ssl_keyfile,
        keyfile_password: ssl_keyfile_password,
        ca_certs: ssl_ca_certs,
        cert_reqs: ssl_cert_reqs,
        http,
    };
    options.apply_versions(py, &mut HttpConfig::default())?;
    options.acceptor(py).map(|_| ())
}

/// A SIGHUP reload's outcome, on the `cello.error` logger.
fn log_reload(result: &Result<(), TlsError>) {
    Python::attach(|py| {
        let logged = py
            .import("logging")
            .and_then(|logging| logging.call_method1("getLogger", ("cello.error",)))
            .and_then(|logger| match result {
                Ok(()) => logger.call_method1("info", ("SIGHUP: TLS certificates reloaded",)),
                Err(e) => logger.call_method1(
                    "error",
                    (format!(
                        "SIGHUP: TLS certificates not reloaded, keeping the ones in force: {e}"
                    ),),
                ),
            });
        if let Err(e) = logged {
            e.print(py);
        }
    });
}
