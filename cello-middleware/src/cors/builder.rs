//! [`CorsBuilder`]: collects settings; [`CorsBuilder::build`] checks them once.

use super::config::{AllowHeaders, AllowMethods, Config, Origins};
use super::{CorsError, CorsLayer};
use http::{HeaderName, HeaderValue, Method};
use std::time::Duration;

/// Settings for a [`CorsLayer`], checked by [`build`](Self::build).
///
/// Defaults: no origin (one must be chosen), methods `GET, HEAD, POST`, no extra request
/// headers, no credentials, no exposed headers, preflights cached for 10 minutes.
#[derive(Debug, Clone)]
#[must_use]
pub struct CorsBuilder {
    any_origin: bool,
    origins: Vec<String>,
    methods: Option<Vec<Method>>,
    any_method: bool,
    headers: Vec<HeaderName>,
    any_header: bool,
    credentials: bool,
    expose: Vec<HeaderName>,
    max_age: Option<Duration>,
}

impl CorsBuilder {
    pub(super) fn new() -> Self {
        Self {
            any_origin: false,
            origins: Vec::new(),
            methods: None,
            any_method: false,
            headers: Vec::new(),
            any_header: false,
            credentials: false,
            expose: Vec::new(),
            max_age: Some(Duration::from_secs(600)),
        }
    }

    /// Allow one origin, written as the browser sends it: `https://example.com`,
    /// `http://localhost:8080` (no path, no trailing slash).
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Allow each of `origins`; see [`allow_origin`](Self::allow_origin).
    pub fn allow_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Allow every origin: responses say `Access-Control-Allow-Origin: *`.
    ///
    /// Fine for public, read-only APIs; cannot be combined with credentials.
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// The methods a preflight may ask for (replaces the default `GET, HEAD, POST`).
    pub fn allow_methods<I: IntoIterator<Item = Method>>(mut self, methods: I) -> Self {
        self.methods = Some(methods.into_iter().collect());
        self
    }

    /// Allow any method a preflight asks for.
    pub fn allow_any_method(mut self) -> Self {
        self.any_method = true;
        self
    }

    /// Request headers a preflight may ask for, beyond the ones browsers always allow
    /// (`accept`, `accept-language`, `content-language`, simple `content-type`). Add
    /// `content-type` for JSON bodies and `authorization` for bearer tokens.
    pub fn allow_headers<I: IntoIterator<Item = HeaderName>>(mut self, headers: I) -> Self {
        self.headers.extend(headers);
        self
    }

    /// Allow any request header a preflight asks for (the asked-for list is echoed).
    pub fn allow_any_header(mut self) -> Self {
        self.any_header = true;
        self
    }

    /// Let browsers send cookies and HTTP auth (`Access-Control-Allow-Credentials: true`).
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// Response headers that scripts may read, beyond the always-visible simple ones.
    pub fn expose_headers<I: IntoIterator<Item = HeaderName>>(mut self, headers: I) -> Self {
        self.expose.extend(headers);
        self
    }

    /// How long browsers may cache a preflight answer (default 10 minutes; browsers cap
    /// it, Chromium at 2 hours). `None` sends no `Access-Control-Max-Age`.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Check the settings and build the layer.
    ///
    /// # Errors
    /// See [`CorsError`]: no origin, a malformed origin, or credentials with any origin.
    pub fn build(self) -> Result<CorsLayer, CorsError> {
        let origins = if self.any_origin {
            if self.credentials {
                return Err(CorsError::CredentialsWithAnyOrigin);
            }
            Origins::Any
        } else {
            if self.origins.is_empty() {
                return Err(CorsError::NoOrigins);
            }
            let mut list = Vec::with_capacity(self.origins.len());
            for origin in self.origins {
                match parse_origin(&origin) {
                    Some(value) => list.push(value),
                    None => return Err(CorsError::InvalidOrigin(origin)),
                }
            }
            Origins::List(list)
        };
        let methods = if self.any_method {
            AllowMethods::Any
        } else {
            let methods = self
                .methods
                .unwrap_or_else(|| vec![Method::GET, Method::HEAD, Method::POST]);
            AllowMethods::list(methods)
        };
        let headers = if self.any_header {
            AllowHeaders::Any
        } else {
            AllowHeaders::list(self.headers)
        };
        Ok(CorsLayer::from_config(Config::new(
            origins,
            methods,
            headers,
            self.credentials,
            &self.expose,
            self.max_age,
        )))
    }
}

/// `scheme://host[:port]` as a header value, or `None` when it is not one.
fn parse_origin(origin: &str) -> Option<HeaderValue> {
    let (scheme, authority) = origin.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 literal ends in `]`; its colons are not a port.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !(scheme_ok && host_ok && port_ok) {
        return None;
    }
    HeaderValue::from_str(origin).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn accepts_origins_as_browsers_send_them() {
        for origin in [
            "https://example.com",
            "http://localhost:8080",
            "http://[::1]:3000",
            "http://[::1]",
            "app://x",
        ] {
            assert!(parse_origin(origin).is_some(), "{origin}");
        }
    }

    #[test]
    fn rejects_paths_wildcards_and_missing_parts() {
        for origin in [
            "*",
            "example.com",
            "https://example.com/",
            "https://example.com/path",
            "https://",
            "https://example.com:",
            "https://example.com:80a",
            "https://user@example.com",
            "https://exa mple.com",
            "://example.com",
        ] {
            assert!(parse_origin(origin).is_none(), "{origin}");
        }
    }
}
