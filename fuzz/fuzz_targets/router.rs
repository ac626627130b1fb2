//! Builds a cello-router table from fuzzer-chosen patterns and looks up fuzzer-chosen
//! requests. Insert errors are fine; panics and broken invariants are not.
//!
//! Input: lines. `R<m><pattern>` inserts a route, `L<m><path>` looks a request up, where
//! `<m>` is one byte choosing the method.
#![no_main]

use cello_router::{LookupError, ParamValue, RouterBuilder};
use http::Method;
use libfuzzer_sys::fuzz_target;

fn method(b: u8) -> Method {
    match b % 11 {
        0 => Method::GET,
        1 => Method::HEAD,
        2 => Method::POST,
        3 => Method::PUT,
        4 => Method::PATCH,
        5 => Method::DELETE,
        6 => Method::OPTIONS,
        7 => Method::CONNECT,
        8 => Method::TRACE,
        9 => Method::from_bytes(b"PURGE").unwrap_or(Method::GET),
        _ => Method::from_bytes(b"PROPFIND").unwrap_or(Method::GET),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut builder = RouterBuilder::new();
    let mut inserted: Vec<(Method, String)> = Vec::new();
    let mut lookups: Vec<(Method, &str)> = Vec::new();

    for line in text.split('\n') {
        let bytes = line.as_bytes();
        if bytes.len() < 2 || !line.is_char_boundary(2) {
            continue;
        }
        let m = method(bytes[1]);
        let rest = &line[2..];
        match bytes[0] {
            b'R' => match builder.insert(m.clone(), rest, inserted.len()) {
                Ok(()) => inserted.push((m, rest.to_owned())),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains(rest), "error `{msg}` does not name `{rest}`");
                }
            },
            b'L' => lookups.push((m, rest)),
            _ => {}
        }
    }

    let router = builder.freeze();
    assert_eq!(router.routes().count(), inserted.len());

    // A purely static route must be found at its own path.
    for (i, (m, pattern)) in inserted.iter().enumerate() {
        if pattern.contains(['{', '}']) {
            continue;
        }
        match router.lookup(m, pattern) {
            Ok(found) => {
                assert_eq!(*found.value, i);
                assert_eq!(found.pattern, pattern);
                assert!(found.params.is_empty());
            }
            Err(e) => panic!("static route `{m} {pattern}` not found: {e:?}"),
        }
    }

    for (m, path) in lookups {
        match router.lookup(&m, path) {
            Ok(found) => {
                let Some((_, pattern)) = inserted.get(*found.value) else {
                    panic!("value {} was never inserted", found.value);
                };
                assert_eq!(found.pattern, pattern);
                for (name, value) in found.params.iter() {
                    assert!(
                        pattern.contains(&format!("{{{name}"))
                            || pattern.contains(&format!("{{*{name}")),
                        "param `{name}` is not in pattern `{pattern}`"
                    );
                    if let ParamValue::Float(x) = value {
                        assert!(x.is_finite());
                    }
                }
            }
            Err(LookupError::MethodNotAllowed { allow }) => {
                let allow = allow.to_str().unwrap_or_default();
                assert!(!allow.is_empty(), "empty Allow for `{m} {path}`");
                assert!(
                    allow.split(", ").all(|a| a != m.as_str()),
                    "`{m}` is refused at `{path}` but listed in Allow: {allow}"
                );
            }
            Err(e @ LookupError::InvalidParam { .. }) => {
                assert_eq!(e.status(), 422);
                assert!(!e.to_string().is_empty());
            }
            Err(e) => assert_eq!(e.status(), 404),
        }
    }
});
