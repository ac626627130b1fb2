//! [`Router`]: the frozen table, and [`Match`]: what a successful lookup returns.

use http::{HeaderValue, Method};

use crate::error::LookupError;
use crate::method_table::MethodTable;
use crate::param::convert;
use crate::params::Params;
use crate::pattern::ParamSpec;

/// The immutable route table that serves requests, made by
/// [`RouterBuilder::freeze`](crate::RouterBuilder::freeze).
///
/// It has no way to add routes: the table is frozen once serving starts, so it can be
/// shared across worker threads (`Send + Sync` when `T` is) without locks.
#[derive(Debug)]
pub struct Router<T> {
    matcher: matchit::Router<usize>,
    endpoints: Box<[Endpoint<T>]>,
}

/// Everything registered at one path.
#[derive(Debug)]
pub(crate) struct Endpoint<T> {
    pattern: Box<str>,
    params: Box<[ParamSpec]>,
    methods: MethodTable<T>,
    allow: HeaderValue,
}

impl<T> Endpoint<T> {
    pub(crate) fn new(
        pattern: Box<str>,
        params: Box<[ParamSpec]>,
        methods: MethodTable<T>,
    ) -> Self {
        let mut allow = methods.allow();
        // Method names are HTTP tokens, so this keeps everything; it makes the conversion
        // below provably infallible.
        allow.retain(|c| c == ' ' || c.is_ascii_graphic());
        let allow = HeaderValue::try_from(allow).unwrap_or(HeaderValue::from_static(""));
        Self {
            pattern,
            params,
            methods,
            allow,
        }
    }
}

/// A successful lookup: the value registered for the route and the request's typed
/// parameters.
#[derive(Debug)]
pub struct Match<'a, T> {
    /// The value given to [`RouterBuilder::insert`](crate::RouterBuilder::insert).
    pub value: &'a T,
    /// The path parameters, percent-decoded and converted to their declared types.
    pub params: Params<'a>,
    /// The pattern as registered, e.g. `/users/{id:int}`, for logs and metrics.
    pub pattern: &'a str,
}

impl<T> Router<T> {
    pub(crate) fn new(matcher: matchit::Router<usize>, endpoints: Box<[Endpoint<T>]>) -> Self {
        Self { matcher, endpoints }
    }

    /// Finds the route for `method` and `path`, converting its parameters.
    ///
    /// `path` is the request path only: strip the query string first. It is matched raw
    /// (so `%2F` inside a segment does not split it) and parameters are percent-decoded
    /// afterwards. `/users/` and `/users` are different paths. `HEAD` uses the `GET` route
    /// when the path has no `HEAD` route of its own.
    ///
    /// Errors are checked in order: no path match (404), then method (405), then parameter
    /// conversion (422).
    pub fn lookup<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
    ) -> Result<Match<'a, T>, LookupError> {
        let found = self.matcher.at(path).map_err(|_| LookupError::NotFound)?;
        let endpoint = self
            .endpoints
            .get(*found.value)
            .ok_or(LookupError::NotFound)?;
        let Some(value) = endpoint.methods.get(method) else {
            return Err(LookupError::MethodNotAllowed {
                allow: endpoint.allow.clone(),
            });
        };
        let mut params = Params::new(&endpoint.params);
        // matchit yields parameters in pattern order (a debug build checks the names), so
        // the declared types are taken by position and the names from our own specs.
        for (spec, (_key, raw)) in endpoint.params.iter().zip(found.params.iter()) {
            debug_assert_eq!(&*spec.name, _key);
            let converted = convert(raw, spec.ty).map_err(|e| invalid(spec, e.shown))?;
            params.push(converted);
        }
        Ok(Match {
            value,
            params,
            pattern: &endpoint.pattern,
        })
    }

    /// Every registered `(method, pattern)`, grouped by path in insertion order; `HEAD`
    /// appears only where it was registered explicitly.
    pub fn routes(&self) -> impl Iterator<Item = (&Method, &str)> + '_ {
        self.endpoints
            .iter()
            .flat_map(|e| e.methods.methods().map(move |m| (m, &*e.pattern)))
    }
}

#[cold]
fn invalid(spec: &ParamSpec, shown: String) -> LookupError {
    LookupError::InvalidParam {
        name: spec.name.to_string(),
        expected: spec.ty,
        value: shown,
    }
}
