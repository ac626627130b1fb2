//! `App(middleware=[...])`: the Rust layers of cello-middleware, configured from
//! Python and stacked around the Python handlers. They run before any Python code: a
//! CORS preflight, a compression decision, a request id or a timeout's 504 never call
//! into Python. The first in the list is the outermost, as in Starlette. Trusted
//! proxies and the access log read the peer address, which the connection's service
//! adds to each request only when one of them is in the stack (`Stack::needs_peer`).

use cello::middleware::{LogSink, Middleware};
use cello_middleware::access_log::{self, AccessLogLayer, BatchReceiver, StderrSink};
use cello_middleware::compression::CompressionLayer;
use cello_middleware::cors::CorsLayer;
use cello_middleware::forwarded::TrustedProxiesLayer;
use cello_middleware::request_id::RequestIdLayer;
use cello_middleware::security_headers::{Hsts, SecurityHeadersLayer};
use cello_middleware::timeout::TimeoutLayer;
use http::{HeaderName, Method};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::time::Duration;

/// A batch every 100 ms at most, or sooner once this many records wait: one Python
/// call per batch, never one per request.
const LOG_BATCH: usize = 256;
const LOG_DELAY: Duration = Duration::from_millis(100);

/// Reads `[(kind, options), ...]` as `cello.middleware` builds it, for the app's
/// `cello::App::middleware` (which refuses a kind listed twice). A bad option is a
/// `ValueError` naming the middleware, at startup. With `AccessLog(target="logging")`
/// also returns the receiver of its records, for `access_log::deliver`.
pub fn stack_from_specs(
    specs: Vec<(String, Bound<'_, PyDict>)>,
) -> PyResult<(Vec<Middleware>, Option<BatchReceiver>)> {
    let mut receiver = None;
    let list = specs
        .into_iter()
        .map(|(kind, opts)| parse(&kind, &opts, &mut receiver))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((list, receiver))
}

fn parse(
    kind: &str,
    o: &Bound<'_, PyDict>,
    receiver: &mut Option<BatchReceiver>,
) -> PyResult<Middleware> {
    let bad = |e: &dyn std::fmt::Display| PyValueError::new_err(format!("{kind}: {e}"));
    Ok(match kind {
        "cors" => {
            let mut b = CorsLayer::builder();
            let origins: Vec<String> = get(o, "allow_origins")?.unwrap_or_default();
            if origins.iter().any(|x| x == "*") {
                b = b.allow_any_origin();
            } else {
                b = b.allow_origins(origins);
            }
            let methods: Vec<String> = get(o, "allow_methods")?.unwrap_or_default();
            if methods.iter().any(|x| x == "*") {
                b = b.allow_any_method();
            } else {
                let methods = methods
                    .iter()
                    .map(|m| {
                        Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|e| bad(&e))
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                b = b.allow_methods(methods);
            }
            let headers: Vec<String> = get(o, "allow_headers")?.unwrap_or_default();
            if headers.iter().any(|x| x == "*") {
                b = b.allow_any_header();
            } else {
                b = b.allow_headers(header_names(&headers).map_err(|e| bad(&e))?);
            }
            let expose: Vec<String> = get(o, "expose_headers")?.unwrap_or_default();
            b = b.expose_headers(header_names(&expose).map_err(|e| bad(&e))?);
            b = b.allow_credentials(get(o, "allow_credentials")?.unwrap_or(false));
            let max_age: Option<f64> = get(o, "max_age")?;
            b = b.max_age(max_age.map(|s| Duration::from_secs_f64(s.max(0.0))));
            Middleware::Cors(b.build().map_err(|e| bad(&e))?)
        }
        "compression" => {
            let mut b = CompressionLayer::builder()
                .gzip(get(o, "gzip")?.unwrap_or(true))
                .br(get(o, "br")?.unwrap_or(true))
                .zstd(get(o, "zstd")?.unwrap_or(true));
            if let Some(n) = get::<u64>(o, "minimum_size")? {
                b = b.min_size(n);
            }
            Middleware::Compression(b.build().map_err(|e| bad(&e))?)
        }
        "request_id" => {
            let mut l = RequestIdLayer::new();
            if let Some(h) = get::<String>(o, "header")? {
                l = l.header_name(
                    HeaderName::try_from(h.to_ascii_lowercase()).map_err(|e| bad(&e))?,
                );
            }
            Middleware::RequestId(l)
        }
        "security_headers" => {
            let mut b = SecurityHeadersLayer::builder();
            if let Some(max_age) = get::<f64>(o, "hsts_max_age")? {
                let mut h = Hsts::new(Duration::from_secs_f64(max_age.max(0.0)));
                if get(o, "hsts_include_subdomains")?.unwrap_or(false) {
                    h = h.include_subdomains();
                }
                if get(o, "hsts_preload")?.unwrap_or(false) {
                    h = h.preload();
                }
                b = b.hsts(h);
            }
            if let Some(csp) = get::<String>(o, "content_security_policy")? {
                b = b.content_security_policy(csp);
            }
            if let Some(nosniff) = get::<bool>(o, "content_type_options")? {
                b = b.content_type_options(nosniff);
            }
            Middleware::SecurityHeaders(b.build().map_err(|e| bad(&e))?)
        }
        "timeout" => {
            let secs: f64 = get(o, "seconds")?.ok_or_else(|| bad(&"needs `seconds`"))?;
            let d = Duration::try_from_secs_f64(secs).map_err(|e| bad(&e))?;
            Middleware::Timeout(TimeoutLayer::new(d))
        }
        "trusted_proxies" => {
            let trusted: Vec<String> = get(o, "trusted")?.unwrap_or_default();
            let layer = TrustedProxiesLayer::new(&trusted).map_err(|e| bad(&e))?;
            Middleware::TrustedProxies(
                layer
                    .x_forwarded(get(o, "x_forwarded")?.unwrap_or(true))
                    .forwarded(get(o, "forwarded")?.unwrap_or(false))
                    .host(get(o, "host")?.unwrap_or(false)),
            )
        }
        "access_log" => {
            let target: String = get(o, "target")?.unwrap_or_else(|| "logging".to_owned());
            let sink = match target.as_str() {
                "stderr" => LogSink::Stderr(StderrSink),
                "logging" if receiver.is_some() => {
                    return Err(bad(&"only one AccessLog(target=\"logging\") per app"))
                }
                "logging" => {
                    let (sink, rx) = access_log::channel(LOG_BATCH, LOG_DELAY);
                    *receiver = Some(rx);
                    LogSink::Channel(sink)
                }
                other => {
                    return Err(bad(&format!(
                        "unknown target {other:?}; use \"logging\" or \"stderr\""
                    )))
                }
            };
            Middleware::AccessLog(AccessLogLayer::new(sink))
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown middleware `{other}`; use the classes of cello.middleware"
            )))
        }
    })
}

fn get<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
    o: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Option<T>> {
    match o.get_item(key)? {
        Some(v) if !v.is_none() => v.extract().map(Some).map_err(Into::into),
        _ => Ok(None),
    }
}

fn header_names(names: &[String]) -> Result<Vec<HeaderName>, http::header::InvalidHeaderName> {
    names
        .iter()
        .map(|h| HeaderName::try_from(h.to_ascii_lowercase()))
        .collect()
}
