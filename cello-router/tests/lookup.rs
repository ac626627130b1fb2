//! Looking requests up in a frozen table: 404 / 405 / 422, HEAD, priorities, parameters.

use std::borrow::Cow;

use cello_router::{LookupError, ParamType, ParamValue, Router, RouterBuilder};
use http::Method;
use uuid::Uuid;

fn router(routes: &[(Method, &str)]) -> Router<usize> {
    let mut builder = RouterBuilder::new();
    for (i, (method, pattern)) in routes.iter().enumerate() {
        if let Err(e) = builder.insert(method.clone(), pattern, i) {
            panic!("{e}");
        }
    }
    builder.freeze()
}

/// The single parameter of the route serving `GET path`.
fn param<'a>(router: &'a Router<usize>, path: &'a str) -> Result<ParamValue<'a>, LookupError> {
    let found = router.lookup(&Method::GET, path)?;
    assert_eq!(found.params.len(), 1, "{path}");
    match found.params.into_iter().next() {
        Some((_, value)) => Ok(value),
        None => panic!("{path}: no param"),
    }
}

fn invalid(name: &str, expected: ParamType, value: &str) -> LookupError {
    LookupError::InvalidParam {
        name: name.into(),
        expected,
        value: value.into(),
    }
}

#[test]
fn unknown_paths_are_404() {
    let r = router(&[(Method::GET, "/users")]);
    let err = r.lookup(&Method::GET, "/nope").err();
    assert_eq!(err, Some(LookupError::NotFound));
    assert_eq!(err.map(|e| e.status()), Some(404));
}

#[test]
fn a_trailing_slash_is_a_different_path() {
    let r = router(&[(Method::GET, "/users")]);
    assert_eq!(
        r.lookup(&Method::GET, "/users/").err(),
        Some(LookupError::NotFound)
    );
}

#[test]
fn a_known_path_with_another_method_is_405_with_allow() {
    let r = router(&[(Method::POST, "/users"), (Method::GET, "/users")]);
    match r.lookup(&Method::DELETE, "/users") {
        Err(e @ LookupError::MethodNotAllowed { .. }) => {
            assert_eq!(e.status(), 405);
            let LookupError::MethodNotAllowed { allow } = e else {
                unreachable!()
            };
            assert_eq!(allow, "GET, HEAD, POST");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn allow_lists_extension_methods_and_no_head_without_get() {
    let Ok(purge) = Method::from_bytes(b"PURGE") else {
        panic!("PURGE")
    };
    let r = router(&[(purge.clone(), "/cache"), (Method::DELETE, "/cache")]);
    assert_eq!(r.lookup(&purge, "/cache").map(|m| *m.value), Ok(0));
    match r.lookup(&Method::HEAD, "/cache") {
        Err(LookupError::MethodNotAllowed { allow }) => assert_eq!(allow, "DELETE, PURGE"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn head_falls_back_to_get_unless_registered() {
    let r = router(&[
        (Method::GET, "/a"),
        (Method::GET, "/b"),
        (Method::HEAD, "/b"),
    ]);
    assert_eq!(r.lookup(&Method::HEAD, "/a").map(|m| *m.value), Ok(0));
    assert_eq!(r.lookup(&Method::HEAD, "/b").map(|m| *m.value), Ok(2));
}

#[test]
fn the_405_check_comes_before_param_conversion() {
    let r = router(&[(Method::GET, "/users/{id:int}")]);
    let err = r.lookup(&Method::POST, "/users/abc").err();
    assert_eq!(err.map(|e| e.status()), Some(405));
}

#[test]
fn static_segments_win_over_params_and_params_over_catch_alls() {
    let r = router(&[
        (Method::GET, "/users/{id:int}"),
        (Method::GET, "/users/me"),
        (Method::GET, "/{*rest}"),
    ]);
    assert_eq!(r.lookup(&Method::GET, "/users/me").map(|m| *m.value), Ok(1));
    assert_eq!(r.lookup(&Method::GET, "/users/5").map(|m| *m.value), Ok(0));
    assert_eq!(r.lookup(&Method::GET, "/other/x").map(|m| *m.value), Ok(2));
    // The structure picked the int route, so a non-integer is a 422, not the catch-all.
    assert_eq!(
        r.lookup(&Method::GET, "/users/bob")
            .err()
            .map(|e| e.status()),
        Some(422)
    );
}

#[test]
fn the_match_carries_the_registered_pattern() {
    let r = router(&[(Method::GET, "/users/{id:int}")]);
    assert_eq!(
        r.lookup(&Method::GET, "/users/1").map(|m| m.pattern),
        Ok("/users/{id:int}")
    );
}

#[test]
fn int_params_convert_and_reject_overflow_and_junk() {
    let r = router(&[(Method::GET, "/n/{id:int}")]);
    assert_eq!(param(&r, "/n/-12"), Ok(ParamValue::Int(-12)));
    assert_eq!(
        param(&r, "/n/9223372036854775807"),
        Ok(ParamValue::Int(i64::MAX))
    );
    assert_eq!(
        param(&r, "/n/9223372036854775808"),
        Err(invalid("id", ParamType::Int, "9223372036854775808"))
    );
    let err = param(&r, "/n/abc").err();
    assert_eq!(err.as_ref().map(|e| e.status()), Some(422));
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("path parameter `id` must be an integer, got `abc`")
    );
}

#[test]
fn float_params_must_be_finite() {
    let r = router(&[(Method::GET, "/f/{x:float}")]);
    assert_eq!(param(&r, "/f/2.5"), Ok(ParamValue::Float(2.5)));
    assert_eq!(param(&r, "/f/-1e2"), Ok(ParamValue::Float(-100.0)));
    for bad in ["nan", "inf", "-inf", "1e400", "1,5"] {
        let path = format!("/f/{bad}");
        assert_eq!(param(&r, &path), Err(invalid("x", ParamType::Float, bad)));
    }
}

#[test]
fn uuid_params_take_hyphenated_and_simple_forms() {
    let r = router(&[(Method::GET, "/u/{id:uuid}")]);
    let want = ParamValue::Uuid(Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8));
    assert_eq!(
        param(&r, "/u/67e55044-10b1-426f-9247-bb680e5fe0c8"),
        Ok(want.clone())
    );
    assert_eq!(param(&r, "/u/67E5504410B1426F9247BB680E5FE0C8"), Ok(want));
    let braced = "/u/%7B67e55044-10b1-426f-9247-bb680e5fe0c8%7D";
    assert_eq!(
        param(&r, braced).err().map(|e| e.to_string()).as_deref(),
        Some("path parameter `id` must be a UUID, got `{67e55044-10b1-426f-9247-bb680e5fe0c8}`")
    );
    assert_eq!(
        param(&r, "/u/xyz"),
        Err(invalid("id", ParamType::Uuid, "xyz"))
    );
}

#[test]
fn str_params_are_percent_decoded_and_borrowed_when_plain() {
    let r = router(&[(Method::GET, "/files/{name}")]);
    assert!(matches!(
        param(&r, "/files/plain"),
        Ok(ParamValue::Str(Cow::Borrowed("plain")))
    ));
    assert_eq!(param(&r, "/files/a%20b"), Ok(ParamValue::Str("a b".into())));
    // Matching saw one segment; the decoded value may contain `/`.
    assert_eq!(param(&r, "/files/a%2Fb"), Ok(ParamValue::Str("a/b".into())));
    assert_eq!(
        param(&r, "/files/caf%C3%A9"),
        Ok(ParamValue::Str("café".into()))
    );
}

#[test]
fn invalid_escapes_are_kept_literally() {
    let r = router(&[(Method::GET, "/files/{name}")]);
    assert_eq!(param(&r, "/files/%zz"), Ok(ParamValue::Str("%zz".into())));
    assert_eq!(param(&r, "/files/50%"), Ok(ParamValue::Str("50%".into())));
}

#[test]
fn escapes_that_decode_to_invalid_utf8_are_422() {
    let r = router(&[(Method::GET, "/files/{name}")]);
    assert_eq!(
        param(&r, "/files/%FF%FE"),
        Err(invalid("name", ParamType::Str, "%FF%FE"))
    );
}

#[test]
fn static_segments_are_compared_undecoded() {
    let r = router(&[(Method::GET, "/abc")]);
    assert_eq!(
        r.lookup(&Method::GET, "/a%62c").err(),
        Some(LookupError::NotFound)
    );
}

#[test]
fn catch_alls_take_the_rest_of_the_path_decoded() {
    let r = router(&[
        (Method::GET, "/static/{*rest}"),
        (Method::GET, "/raw/{*p:path}"),
    ]);
    assert_eq!(
        param(&r, "/static/css/site%20main.css"),
        Ok(ParamValue::Path("css/site main.css".into()))
    );
    assert_eq!(
        param(&r, "/raw/a/../b"),
        Ok(ParamValue::Path("a/../b".into()))
    );
    // An empty rest does not match, like matchit.
    assert_eq!(
        r.lookup(&Method::GET, "/static/").err(),
        Some(LookupError::NotFound)
    );
}

#[test]
fn params_come_in_pattern_order_with_prefixes_and_suffixes() {
    let r = router(&[(Method::GET, "/img/{user}/photo-{n:int}.png")]);
    let found = match r.lookup(&Method::GET, "/img/ann/photo-7.png") {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let params: Vec<(&str, ParamValue)> = found.params.into_iter().collect();
    assert_eq!(
        params,
        [
            ("user", ParamValue::Str("ann".into())),
            ("n", ParamValue::Int(7))
        ]
    );
}

#[test]
fn many_routes_each_find_their_own_value() {
    let patterns: Vec<String> = (0..300)
        .map(|i| match i % 3 {
            0 => format!("/s{i}"),
            1 => format!("/s{i}/{{id:int}}"),
            _ => format!("/s{i}/x/{{*rest}}"),
        })
        .collect();
    let routes: Vec<(Method, &str)> = patterns.iter().map(|p| (Method::GET, p.as_str())).collect();
    let r = router(&routes);
    for i in 0..300 {
        let path = match i % 3 {
            0 => format!("/s{i}"),
            1 => format!("/s{i}/{i}"),
            _ => format!("/s{i}/x/a/b"),
        };
        let found = r.lookup(&Method::GET, &path);
        assert_eq!(found.as_ref().map(|m| *m.value), Ok(i), "{path}");
        if i % 3 == 1 {
            let id = found
                .ok()
                .and_then(|m| m.params.get("id").and_then(ParamValue::as_int));
            assert_eq!(id, Some(i as i64));
        }
    }
    assert_eq!(r.routes().count(), 300);
}
