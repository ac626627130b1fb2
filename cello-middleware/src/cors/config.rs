//! [`Config`]: a checked CORS configuration with every header value precomputed, and the
//! per-request decisions made from it.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Method;
use std::time::Duration;

const WILDCARD: HeaderValue = HeaderValue::from_static("*");
const TRUE: HeaderValue = HeaderValue::from_static("true");
pub(super) const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");

/// Which origins are allowed.
#[derive(Debug)]
pub(super) enum Origins {
    /// Every origin, answered with `*` (never with credentials).
    Any,
    /// These origins, each answered by echoing it.
    List(Vec<HeaderValue>),
}

/// Which methods a preflight may ask for.
#[derive(Debug)]
pub(super) enum AllowMethods {
    /// Any; the asked-for method is echoed.
    Any,
    /// These, with their `Access-Control-Allow-Methods` value.
    List(Vec<Method>, Option<HeaderValue>),
}

impl AllowMethods {
    pub(super) fn list(methods: Vec<Method>) -> Self {
        let value = join(methods.iter().map(Method::as_str));
        Self::List(methods, value)
    }
}

/// Which request headers a preflight may ask for.
#[derive(Debug)]
pub(super) enum AllowHeaders {
    /// Any; the asked-for list is echoed.
    Any,
    /// These, with their `Access-Control-Allow-Headers` value.
    List(Vec<HeaderName>, Option<HeaderValue>),
}

impl AllowHeaders {
    pub(super) fn list(headers: Vec<HeaderName>) -> Self {
        let value = join(headers.iter().map(HeaderName::as_str));
        Self::List(headers, value)
    }
}

/// A checked configuration. Built once; requests only compare and clone header values.
#[derive(Debug)]
pub(super) struct Config {
    origins: Origins,
    methods: AllowMethods,
    headers: AllowHeaders,
    credentials: bool,
    expose: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    preflight_vary: Option<HeaderValue>,
}

impl Config {
    /// Assemble a configuration whose parts are already checked.
    pub(super) fn new(
        origins: Origins,
        methods: AllowMethods,
        headers: AllowHeaders,
        credentials: bool,
        expose: &[HeaderName],
        max_age: Option<Duration>,
    ) -> Self {
        let mut vary = Vec::with_capacity(3);
        if matches!(origins, Origins::List(_)) {
            vary.push("origin");
        }
        if matches!(methods, AllowMethods::Any) {
            vary.push("access-control-request-method");
        }
        if matches!(headers, AllowHeaders::Any) {
            vary.push("access-control-request-headers");
        }
        Self {
            origins,
            methods,
            headers,
            credentials,
            expose: join(expose.iter().map(HeaderName::as_str)),
            max_age: max_age.map(|age| HeaderValue::from(age.as_secs())),
            preflight_vary: join(vary.into_iter()),
        }
    }

    /// Whether answers depend on the `Origin` header, so caches must key on it.
    pub(super) fn varies_with_origin(&self) -> bool {
        matches!(self.origins, Origins::List(_))
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, or `None` if it is not allowed.
    pub(super) fn allow_origin(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(WILDCARD),
            Origins::List(list) => list
                .iter()
                .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
                .then(|| origin.clone()),
        }
    }

    /// Headers for a preflight from an allowed origin, or `None` when the method or a
    /// header it asks for is not allowed.
    pub(super) fn preflight_headers(
        &self,
        allow_origin: HeaderValue,
        request: &HeaderMap,
    ) -> Option<HeaderMap> {
        let method = request.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
        let asked_headers = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS);

        let allow_methods = match &self.methods {
            AllowMethods::Any => Some(method.clone()),
            AllowMethods::List(list, value) => {
                let asked = method.as_bytes();
                let safelisted = matches!(asked, b"GET" | b"HEAD" | b"POST");
                if !safelisted && !list.iter().any(|m| m.as_str().as_bytes() == asked) {
                    return None;
                }
                value.clone()
            }
        };
        let allow_headers = match &self.headers {
            AllowHeaders::Any => asked_headers.cloned(),
            AllowHeaders::List(list, value) => {
                if let Some(asked) = asked_headers {
                    let all_allowed = asked
                        .as_bytes()
                        .split(|&b| b == b',')
                        .map(<[u8]>::trim_ascii)
                        .filter(|name| !name.is_empty())
                        .all(|name| {
                            list.iter()
                                .any(|h| h.as_str().as_bytes().eq_ignore_ascii_case(name))
                        });
                    if !all_allowed {
                        return None;
                    }
                }
                value.clone()
            }
        };

        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        if self.credentials {
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        if let Some(value) = allow_methods {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, value);
        }
        if let Some(value) = allow_headers {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
        }
        if let Some(value) = &self.max_age {
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, value.clone());
        }
        self.add_preflight_vary(&mut headers);
        Some(headers)
    }

    /// `Vary` for any preflight answer, granted or not.
    pub(super) fn add_preflight_vary(&self, headers: &mut HeaderMap) {
        if let Some(value) = &self.preflight_vary {
            headers.append(header::VARY, value.clone());
        }
    }

    /// Add the headers of an allowed non-preflight response.
    pub(super) fn add_response_headers(&self, headers: &mut HeaderMap, allow_origin: HeaderValue) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        if self.credentials {
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        if let Some(value) = &self.expose {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value.clone());
        }
    }
}

/// `a, b, c` as one header value; `None` for an empty list.
fn join<'a>(items: impl Iterator<Item = &'a str>) -> Option<HeaderValue> {
    let joined = items.collect::<Vec<_>>().join(", ");
    if joined.is_empty() {
        return None;
    }
    // Methods and header names are tokens, so this cannot fail; if it somehow did, the
    // header is left out rather than sent malformed.
    HeaderValue::from_str(&joined).ok()
}
