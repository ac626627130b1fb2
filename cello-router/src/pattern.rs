//! Parsing a Cello route pattern (`/users/{id:int}`) into the plain matchit route
//! (`/users/{id}`) plus the declared type of each parameter.

use crate::param::ParamType;

/// One `{name:type}` of a pattern, in the order it appears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamSpec {
    pub(crate) name: Box<str>,
    pub(crate) ty: ParamType,
}

/// A pattern with its types stripped, ready for matchit.
#[derive(Debug)]
pub(crate) struct ParsedPattern {
    pub(crate) matchit_route: String,
    pub(crate) params: Vec<ParamSpec>,
    /// For each parameter, whether the pattern wrote its type (`{id:int}`) rather than
    /// taking the default (`{id}`).
    pub(crate) declared: Vec<bool>,
}

/// Why a pattern was refused before it reached matchit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PatternError {
    /// `{name:type}` with a type we do not know.
    UnknownType { name: String, ty: String },
    /// Anything else, worded to follow "invalid route pattern: ".
    Invalid(String),
}

/// Splits `pattern` into the route matchit sees and the parameter types.
///
/// `{{` and `}}` are literal braces and pass through unchanged (matchit unescapes them).
pub(crate) fn parse(pattern: &str) -> Result<ParsedPattern, PatternError> {
    if !pattern.starts_with('/') {
        return Err(PatternError::Invalid("it must start with `/`".into()));
    }
    let mut route = String::with_capacity(pattern.len());
    let mut params: Vec<ParamSpec> = Vec::new();
    let mut declared = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find(['{', '}']) {
        route.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            route.push_str(&tail[..2]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(PatternError::Invalid(
                "it has a `}` without a matching `{`; write `}}` for a literal brace".into(),
            ));
        }
        let Some(end) = tail.find('}') else {
            return Err(PatternError::Invalid(
                "it has a `{` without a closing `}`; write `{{` for a literal brace".into(),
            ));
        };
        // matchit reads `}}` as an escaped brace wherever it appears, so in `{x}}}` it
        // would see a parameter named `x}`. Refuse what the two of us would read apart.
        if tail[end + 1..].starts_with('}') {
            return Err(PatternError::Invalid(
                "a parameter cannot be followed directly by a literal `}`".into(),
            ));
        }
        let inner = &tail[1..end];
        let spec = parse_param(inner)?;
        declared.push(inner.contains(':'));
        if params.iter().any(|p| p.name == spec.name) {
            return Err(PatternError::Invalid(format!(
                "parameter `{}` appears twice",
                spec.name
            )));
        }
        route.push('{');
        if spec.ty == ParamType::Path {
            route.push('*');
        }
        route.push_str(&spec.name);
        route.push('}');
        params.push(spec);
        rest = &tail[end + 1..];
    }
    route.push_str(rest);
    Ok(ParsedPattern {
        matchit_route: route,
        params,
        declared,
    })
}

/// Whether `ty` fits a parameter that is (or is not) a catch-all.
pub(crate) fn type_fits(catch_all: bool, ty: ParamType) -> bool {
    (ty == ParamType::Path) == catch_all
}

/// Reads what is between the braces: `name`, `name:type`, `*name` or `*name:path`.
fn parse_param(inner: &str) -> Result<ParamSpec, PatternError> {
    let (name, ty_name) = match inner.split_once(':') {
        Some((name, ty)) => (name, Some(ty)),
        None => (inner, None),
    };
    let (name, catch_all) = match name.strip_prefix('*') {
        Some(name) => (name, true),
        None => (name, false),
    };
    if name.is_empty() || name.contains(['*', '{', '/']) {
        return Err(PatternError::Invalid(format!(
            "parameter `{{{inner}}}` needs a name made of letters, digits or `_`"
        )));
    }
    let ty = match ty_name {
        None if catch_all => ParamType::Path,
        None => ParamType::Str,
        Some(t) => ParamType::from_name(t).ok_or_else(|| PatternError::UnknownType {
            name: name.to_owned(),
            ty: t.to_owned(),
        })?,
    };
    match (catch_all, ty) {
        (true, ParamType::Path)
        | (false, ParamType::Int | ParamType::Float | ParamType::Str | ParamType::Uuid) => {}
        (true, _) => {
            return Err(PatternError::Invalid(format!(
                "catch-all `{{*{name}}}` takes the rest of the path and can only be of type `path`"
            )))
        }
        (false, _) => {
            return Err(PatternError::Invalid(format!(
                "type `path` spans `/` and needs a catch-all: write `{{*{name}}}` at the end"
            )))
        }
    }
    Ok(ParamSpec {
        name: name.into(),
        ty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_of(p: &str) -> String {
        match parse(p) {
            Ok(parsed) => parsed.matchit_route,
            Err(e) => panic!("{p}: {e:?}"),
        }
    }

    fn types_of(p: &str) -> Vec<(String, ParamType)> {
        match parse(p) {
            Ok(parsed) => parsed
                .params
                .into_iter()
                .map(|s| (s.name.into(), s.ty))
                .collect(),
            Err(e) => panic!("{p}: {e:?}"),
        }
    }

    #[test]
    fn types_are_stripped_for_matchit() {
        assert_eq!(
            route_of("/users/{id:int}/posts/{slug}"),
            "/users/{id}/posts/{slug}"
        );
        assert_eq!(route_of("/files/{*rest:path}"), "/files/{*rest}");
        assert_eq!(route_of("/img-{n:int}.png"), "/img-{n}.png");
        assert_eq!(route_of("/"), "/");
    }

    #[test]
    fn escaped_braces_pass_through() {
        assert_eq!(route_of("/{{lit}}/{x}"), "/{{lit}}/{x}");
        assert_eq!(types_of("/{{lit}}/{x}"), vec![("x".into(), ParamType::Str)]);
    }

    #[test]
    fn defaults_are_str_and_path() {
        assert_eq!(
            types_of("/a/{x}/{y:uuid}/{*z}"),
            vec![
                ("x".into(), ParamType::Str),
                ("y".into(), ParamType::Uuid),
                ("z".into(), ParamType::Path)
            ]
        );
    }

    #[test]
    fn unknown_types_are_named() {
        assert_eq!(
            parse("/u/{id:integer}").err(),
            Some(PatternError::UnknownType {
                name: "id".into(),
                ty: "integer".into()
            })
        );
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "users",
            "/u/{id",
            "/u/id}",
            "/u/{}",
            "/u/{:int}",
            "/u/{x:path}",
            "/u/{*x:int}",
            "/{x}/{x}",
            "/{x}}}",
        ] {
            assert!(matches!(parse(bad), Err(PatternError::Invalid(_))), "{bad}");
        }
    }
}
