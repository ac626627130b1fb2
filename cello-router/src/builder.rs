//! [`RouterBuilder`]: the mutable phase, where routes are added and checked.

use std::collections::HashMap;

use http::Method;
use matchit::InsertError;

use crate::error::RouteError;
use crate::method_table::MethodTable;
use crate::param::ParamType;
use crate::pattern::{self, ParamSpec, PatternError};
use crate::router::{Endpoint, Router};

/// Collects routes, rejecting conflicts as they are added; [`freeze`](Self::freeze) turns
/// it into the immutable [`Router`] that serves requests.
///
/// ```
/// use cello_router::RouterBuilder;
/// use http::Method;
///
/// let mut builder = RouterBuilder::new();
/// builder.insert(Method::GET, "/users/{id:int}", "show")?;
/// builder.insert(Method::DELETE, "/users/{id:int}", "delete")?;
///
/// let err = builder.insert(Method::GET, "/users/{name}", "by_name").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "route `GET /users/{name}` conflicts with `GET /users/{id:int}`; routes at the same \
///      position must use the same parameter name and type",
/// );
/// # Ok::<(), cello_router::RouteError>(())
/// ```
#[derive(Debug)]
pub struct RouterBuilder<T> {
    matcher: matchit::Router<usize>,
    drafts: Vec<Draft<T>>,
    /// matchit route (types stripped) → index in `drafts`, to add methods to a known path.
    by_route: HashMap<String, usize>,
}

/// One path and what is registered at it so far.
#[derive(Debug)]
struct Draft<T> {
    pattern: Box<str>,
    params: Vec<ParamSpec>,
    methods: MethodTable<T>,
}

impl<T> Draft<T> {
    /// `METHOD /pattern`, naming the first method registered here, for error messages.
    fn describe(&self) -> String {
        let method = self.methods.methods().next().map_or("", Method::as_str);
        format!("{method} {}", self.pattern)
    }
}

impl<T> Default for RouterBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// One parameter of a pattern, as [`RouterBuilder::pattern_params`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternParam {
    /// Its name.
    pub name: String,
    /// The type written in the pattern (`{id:int}`), or `None` for `{id}` / `{*rest}`.
    pub declared: Option<ParamType>,
    /// `{*rest}`: the rest of the path.
    pub catch_all: bool,
}

fn parse(pattern: &str, route: &dyn Fn() -> String) -> Result<pattern::ParsedPattern, RouteError> {
    pattern::parse(pattern).map_err(|e| match e {
        PatternError::UnknownType { name, ty } => RouteError::UnknownParamType {
            route: route(),
            param: name,
            found: ty,
        },
        PatternError::Invalid(reason) => RouteError::InvalidPattern {
            route: route(),
            reason,
        },
    })
}

impl<T> RouterBuilder<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            matcher: matchit::Router::new(),
            drafts: Vec::new(),
            by_route: HashMap::new(),
        }
    }

    /// Registers `value` for `method` at `pattern` (syntax in the [crate docs](crate)).
    ///
    /// Several methods may share a pattern. Fails, leaving the table unchanged, when the
    /// pattern is malformed or overlaps a route already registered.
    pub fn insert(&mut self, method: Method, pattern: &str, value: T) -> Result<(), RouteError> {
        self.insert_typed(method, pattern, &[], value)
    }

    /// Like [`insert`](Self::insert), with types for parameters the pattern leaves
    /// untyped: `("/users/{id}", [("id", Int)])` routes as `/users/{id:int}`. A type
    /// written in the pattern wins. This is how a host language that reads types from
    /// a handler's signature (Python's annotations) registers routes without writing
    /// patterns of its own.
    pub fn insert_typed(
        &mut self,
        method: Method,
        pattern: &str,
        types: &[(&str, ParamType)],
        value: T,
    ) -> Result<(), RouteError> {
        let route = || format!("{method} {pattern}");
        let mut parsed = parse(pattern, &route)?;
        for (name, ty) in types {
            let Some(i) = parsed.params.iter().position(|p| &*p.name == *name) else {
                continue;
            };
            if parsed.declared[i] {
                continue;
            }
            let spec = &mut parsed.params[i];
            if !pattern::type_fits(spec.ty == ParamType::Path, *ty) {
                return Err(RouteError::InvalidPattern {
                    route: route(),
                    reason: format!(
                        "parameter `{name}` cannot be of type `{ty}` (`path` is for a catch-all `{{*{name}}}` only)"
                    ),
                });
            }
            spec.ty = *ty;
        }

        if let Some(&index) = self.by_route.get(&parsed.matchit_route) {
            if let Some(draft) = self.drafts.get_mut(index) {
                if draft.params != parsed.params {
                    return Err(RouteError::Conflict {
                        route: route(),
                        existing: draft.describe(),
                    });
                }
                let existing = format!("{method} {}", draft.pattern);
                return draft.methods.insert(method.clone(), value).map_err(|_| {
                    RouteError::Conflict {
                        route: route(),
                        existing,
                    }
                });
            }
        }

        let index = self.drafts.len();
        if let Err(e) = self.matcher.insert(parsed.matchit_route.clone(), index) {
            return Err(self.insert_error(route(), e));
        }
        let mut methods = MethodTable::default();
        // A fresh table has every method free.
        let _ = methods.insert(method, value);
        self.drafts.push(Draft {
            pattern: pattern.into(),
            params: parsed.params,
            methods,
        });
        self.by_route.insert(parsed.matchit_route, index);
        Ok(())
    }

    fn insert_error(&self, route: String, e: InsertError) -> RouteError {
        let reason = match e {
            InsertError::Conflict { with } => {
                let existing = match self.by_route.get(&with).and_then(|&i| self.drafts.get(i)) {
                    Some(draft) => draft.describe(),
                    // matchit rebuilt the route from its tree and it reads differently from
                    // what was inserted; its text is still the best pointer we have.
                    None => with,
                };
                return RouteError::Conflict { route, existing };
            }
            InsertError::InvalidParamSegment => {
                "only one parameter is allowed per path segment".to_owned()
            }
            InsertError::InvalidParam => {
                "a parameter needs a name and matching braces (write `{{`/`}}` for literal ones)"
                    .to_owned()
            }
            InsertError::InvalidCatchAll => {
                "a catch-all `{*name}` must be the last segment of the pattern".to_owned()
            }
            other => other.to_string(),
        };
        RouteError::InvalidPattern { route, reason }
    }

    /// The parameters `pattern` declares, in order, without registering it: the one
    /// parser of the route grammar, for other layers that need to know them.
    pub fn pattern_params(pattern: &str) -> Result<Vec<PatternParam>, RouteError> {
        let parsed = parse(pattern, &|| pattern.to_owned())?;
        Ok(parsed
            .params
            .into_iter()
            .zip(parsed.declared)
            .map(|(spec, declared)| PatternParam {
                catch_all: spec.ty == ParamType::Path,
                declared: declared.then_some(spec.ty),
                name: spec.name.into(),
            })
            .collect())
    }

    /// `pattern` as an OpenAPI path template, without registering it: types dropped
    /// and catch-alls written as plain parameters (`/users/{id:int}/{*rest}` →
    /// `/users/{id}/{rest}`). Literal braces stay escaped (`{{`), which OpenAPI cannot
    /// express otherwise.
    pub fn pattern_template(pattern: &str) -> Result<String, RouteError> {
        let parsed = parse(pattern, &|| pattern.to_owned())?;
        Ok(parsed.matchit_route.replace("{*", "{"))
    }

    /// Ends the building phase: the returned [`Router`] cannot gain routes.
    ///
    /// This is where each path's `Allow` header value is computed, so a 405 costs no
    /// formatting at request time.
    pub fn freeze(self) -> Router<T> {
        let endpoints = self
            .drafts
            .into_iter()
            .map(|d| Endpoint::new(d.pattern, d.params.into_boxed_slice(), d.methods))
            .collect();
        Router::new(self.matcher, endpoints)
    }
}
