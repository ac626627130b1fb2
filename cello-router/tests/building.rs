//! Building a table: what is accepted, what conflicts, and what the errors say.

use cello_router::{RouteError, Router, RouterBuilder};
use http::Method;

fn insert_all(routes: &[(Method, &str)]) -> Result<RouterBuilder<usize>, RouteError> {
    let mut builder = RouterBuilder::new();
    for (i, (method, pattern)) in routes.iter().enumerate() {
        builder.insert(method.clone(), pattern, i)?;
    }
    Ok(builder)
}

fn conflict_message(routes: &[(Method, &str)]) -> String {
    match insert_all(routes) {
        Ok(_) => panic!("{routes:?} were all accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_same_method_and_pattern_twice_names_both() {
    let msg = conflict_message(&[(Method::GET, "/users/{id}"), (Method::GET, "/users/{id}")]);
    assert_eq!(
        msg,
        "route `GET /users/{id}` conflicts with `GET /users/{id}`: it is registered twice"
    );
}

#[test]
fn differently_named_params_at_one_position_name_both_routes() {
    let msg = conflict_message(&[(Method::GET, "/users/{id}"), (Method::GET, "/users/{name}")]);
    assert!(
        msg.starts_with("route `GET /users/{name}` conflicts with `GET /users/{id}`"),
        "{msg}"
    );
}

#[test]
fn different_methods_do_not_excuse_different_param_names() {
    let msg = conflict_message(&[(Method::GET, "/a/{x}"), (Method::POST, "/a/{y}")]);
    assert!(
        msg.starts_with("route `POST /a/{y}` conflicts with `GET /a/{x}`"),
        "{msg}"
    );
}

#[test]
fn differently_typed_params_at_one_path_conflict() {
    let msg = conflict_message(&[
        (Method::GET, "/items/{id:int}"),
        (Method::PUT, "/items/{id}"),
    ]);
    assert!(
        msg.starts_with("route `PUT /items/{id}` conflicts with `GET /items/{id:int}`"),
        "{msg}"
    );
}

#[test]
fn a_catch_all_beside_a_param_names_the_registered_route() {
    let msg = conflict_message(&[
        (Method::GET, "/repos/{owner}/{repo}"),
        (Method::GET, "/repos/{owner}/{*rest}"),
    ]);
    assert!(
        msg.starts_with(
            "route `GET /repos/{owner}/{*rest}` conflicts with `GET /repos/{owner}/{repo}`"
        ),
        "{msg}"
    );
}

#[test]
fn param_names_may_differ_on_different_branches() {
    let router = match insert_all(&[
        (Method::GET, "/repos/{owner}/{repo}/issues"),
        (Method::GET, "/repos/{org}/x"),
    ]) {
        Ok(b) => b.freeze(),
        Err(e) => panic!("{e}"),
    };
    let names = |path| match router.lookup(&Method::GET, path) {
        Ok(m) => m
            .params
            .iter()
            .map(|(n, _)| n.to_owned())
            .collect::<Vec<_>>(),
        Err(e) => panic!("{path}: {e}"),
    };
    assert_eq!(names("/repos/a/b/issues"), ["owner", "repo"]);
    assert_eq!(names("/repos/a/x"), ["org"]);
}

#[test]
fn a_failed_insert_leaves_the_table_usable() {
    let mut builder = RouterBuilder::new();
    assert!(builder.insert(Method::GET, "/a/{x}", 1).is_ok());
    assert!(builder.insert(Method::GET, "/a/{y}", 2).is_err());
    assert!(builder.insert(Method::GET, "/a/{x}/b", 3).is_ok());
    let router = builder.freeze();
    assert_eq!(router.lookup(&Method::GET, "/a/1").map(|m| *m.value), Ok(1));
    assert_eq!(
        router.lookup(&Method::GET, "/a/1/b").map(|m| *m.value),
        Ok(3)
    );
}

#[test]
fn several_methods_share_a_path() {
    let builder = insert_all(&[
        (Method::GET, "/users/{id:int}"),
        (Method::PUT, "/users/{id:int}"),
        (Method::DELETE, "/users/{id:int}"),
    ]);
    assert!(builder.is_ok());
}

#[test]
fn unknown_param_types_are_refused_with_the_choices() {
    let err = conflict_message(&[(Method::GET, "/u/{id:integer}")]);
    assert_eq!(
        err,
        "route `GET /u/{id:integer}`: parameter `id` has unknown type `integer`; use int, float, \
         str, uuid or path"
    );
}

#[test]
fn malformed_patterns_say_what_is_wrong() {
    for (pattern, needle) in [
        ("users", "must start with `/`"),
        ("/u/{id", "without a closing `}`"),
        ("/{a}{b}", "only one parameter is allowed per path segment"),
        ("/{*rest}/more", "must be the last segment"),
        ("/u/{x:path}", "needs a catch-all"),
    ] {
        let err = conflict_message(&[(Method::GET, pattern)]);
        assert!(err.contains(needle), "{pattern}: {err}");
        assert!(err.starts_with(&format!("route `GET {pattern}`")), "{err}");
    }
}

#[test]
fn routes_lists_every_registered_method_and_pattern() {
    let router = match insert_all(&[
        (Method::POST, "/users"),
        (Method::GET, "/users"),
        (Method::GET, "/users/{id:int}"),
    ]) {
        Ok(b) => b.freeze(),
        Err(e) => panic!("{e}"),
    };
    let routes: Vec<(&str, &str)> = router.routes().map(|(m, p)| (m.as_str(), p)).collect();
    assert_eq!(
        routes,
        [
            ("GET", "/users"),
            ("POST", "/users"),
            ("GET", "/users/{id:int}")
        ]
    );
}

#[test]
fn a_frozen_router_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Router<String>>();
    assert_send_sync::<RouterBuilder<String>>();
}

/// Found by the `router` fuzz target: matchit took `}}` after a parameter as part of its
/// name (`rest}`), so our type table and matchit disagreed about the parameter names.
#[test]
fn a_param_followed_by_an_escaped_brace_is_refused() {
    let err = conflict_message(&[(Method::GET, "/files/{*rest}}}")]);
    assert!(
        err.contains("cannot be followed directly by a literal `}`"),
        "{err}"
    );
}

#[test]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn pattern_params_reads_names_declared_types_and_catch_alls() {
    use cello_router::{ParamType, PatternParam};
    let params = RouterBuilder::<()>::pattern_params("/a/{x}/{y:int}/{{lit}}/{*rest}").unwrap();
    let seen: Vec<(&str, Option<ParamType>, bool)> = params
        .iter()
        .map(|p: &PatternParam| (p.name.as_str(), p.declared, p.catch_all))
        .collect();
    assert_eq!(
        seen,
        [
            ("x", None, false),
            ("y", Some(ParamType::Int), false),
            ("rest", None, true)
        ],
        "`{{{{lit}}}}` is a literal, not a parameter"
    );
    assert!(RouterBuilder::<()>::pattern_params("/a/{x:nope}").is_err());
}

#[test]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn insert_typed_types_untyped_parameters_and_the_pattern_wins() {
    use cello_router::{ParamType, ParamValue};
    let mut b = RouterBuilder::new();
    b.insert_typed(
        Method::GET,
        "/u/{id}/{name:str}",
        &[("id", ParamType::Int), ("name", ParamType::Int)],
        "u",
    )
    .unwrap();
    let r = b.freeze();
    let m = r.lookup(&Method::GET, "/u/7/bob").unwrap();
    assert_eq!(m.params.get("id"), Some(&ParamValue::Int(7)));
    assert_eq!(
        m.params.get("name").and_then(ParamValue::as_str),
        Some("bob")
    );
    assert_eq!(
        r.lookup(&Method::GET, "/u/x/bob").unwrap_err().status(),
        422
    );
}

#[test]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn insert_typed_refuses_path_type_outside_a_catch_all() {
    use cello_router::ParamType;
    let mut b = RouterBuilder::new();
    let err = b
        .insert_typed(Method::GET, "/f/{p}", &[("p", ParamType::Path)], ())
        .unwrap_err();
    assert!(err.to_string().contains("catch-all"), "{err}");
}

#[test]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
fn pattern_template_drops_types_and_catch_all_stars_for_openapi() {
    assert_eq!(
        RouterBuilder::<()>::pattern_template("/users/{id:int}/files/{*rest}").unwrap(),
        "/users/{id}/files/{rest}"
    );
    assert_eq!(
        RouterBuilder::<()>::pattern_template("/plain").unwrap(),
        "/plain"
    );
    assert!(RouterBuilder::<()>::pattern_template("/a/{x:nope}").is_err());
}
