//! Errors from building the table ([`RouteError`]) and from looking a request up in it
//! ([`LookupError`]).

use std::fmt;

use http::HeaderValue;

use crate::param::ParamType;

/// A route could not be added to a [`RouterBuilder`](crate::RouterBuilder).
///
/// Routes are written in application code, so every message names the route (method and
/// pattern) and says what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The route overlaps one already registered: the same method and pattern twice, a path
    /// that differs only in parameter names (`/a/{x}` vs `/a/{y}`) or types
    /// (`/a/{x:int}` vs `/a/{x}`), or another shape matchit cannot order.
    Conflict {
        /// The route being inserted, e.g. `GET /users/{name}`.
        route: String,
        /// The route already registered that it overlaps, e.g. `GET /users/{id}`.
        existing: String,
    },
    /// A parameter names a type that does not exist, e.g. `{id:integer}`.
    UnknownParamType {
        /// The route being inserted.
        route: String,
        /// The parameter name.
        param: String,
        /// The type as written.
        found: String,
    },
    /// The pattern is malformed: no leading `/`, unbalanced braces, a catch-all that is not
    /// last, two parameters in one segment, ...
    InvalidPattern {
        /// The route being inserted.
        route: String,
        /// What is wrong, in a phrase.
        reason: String,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict { route, existing } if route == existing => {
                write!(
                    f,
                    "route `{route}` conflicts with `{existing}`: it is registered twice"
                )
            }
            Self::Conflict { route, existing } => write!(
                f,
                "route `{route}` conflicts with `{existing}`; routes at the same position must \
                 use the same parameter name and type"
            ),
            Self::UnknownParamType {
                route,
                param,
                found,
            } => write!(
                f,
                "route `{route}`: parameter `{param}` has unknown type `{found}`; use int, \
                 float, str, uuid or path"
            ),
            Self::InvalidPattern { route, reason } => {
                write!(f, "route `{route}` is not a valid pattern: {reason}")
            }
        }
    }
}

impl std::error::Error for RouteError {}

/// A request path and method did not lead to a handler.
///
/// Each variant maps to one response; [`LookupError::status`] gives its code so callers
/// do not re-derive it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LookupError {
    /// No route matches the path (404).
    NotFound,
    /// The path matches but not for this method (405); send `allow` as the `Allow` header.
    MethodNotAllowed {
        /// The methods the path serves, e.g. `GET, HEAD, POST`; computed once at freeze
        /// time, never empty.
        allow: HeaderValue,
    },
    /// A path parameter does not convert to its declared type (422).
    InvalidParam {
        /// The parameter name, e.g. `id`.
        name: String,
        /// The declared type.
        expected: ParamType,
        /// The value received, percent-decoded when that gave valid UTF-8.
        value: String,
    },
}

impl LookupError {
    /// The HTTP status code this outcome should produce: 404, 405 or 422.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::InvalidParam { .. } => 422,
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("no route matches this path"),
            Self::MethodNotAllowed { allow } => write!(
                f,
                "method not allowed on this path; allowed: {}",
                allow.to_str().unwrap_or("?")
            ),
            Self::InvalidParam {
                name,
                expected,
                value,
            } => write!(
                f,
                "path parameter `{name}` must be {}, got `{value}`",
                expected.expectation()
            ),
        }
    }
}

impl std::error::Error for LookupError {}
