//! `redirect_slashes`: a path the router does not know, but knows with its trailing
//! slash added or removed, gets a `307` to that other path, as Starlette (and so
//! FastAPI) answers. Only the router's miss path runs this: a request that matches a
//! route pays nothing.

use cello_http::{Body, Response};
use cello_router::{LookupError, Router};
use http::header::{CONTENT_LENGTH, LOCATION};
use http::{HeaderValue, Method, StatusCode, Uri};

/// The `Location` to redirect `uri` to, when its path with the trailing slash toggled
/// is in `router` (for any method: a 405 there is still the user's path). The query
/// string is kept. `/` is never redirected, and neither is a path whose other form
/// would start with `//` (a browser reads that as another host: an open redirect).
pub(crate) fn location<T>(router: &Router<T>, method: &Method, uri: &Uri) -> Option<HeaderValue> {
    let path = uri.path();
    if path == "/" {
        return None;
    }
    let other = match path.strip_suffix('/') {
        Some(stripped) => stripped.to_owned(),
        None => format!("{path}/"),
    };
    if other.starts_with("//") || other.is_empty() {
        return None;
    }
    if let Err(LookupError::NotFound) = router.lookup(method, &other) {
        return None;
    }
    let target = match uri.query() {
        Some(query) => format!("{other}?{query}"),
        None => other,
    };
    // A path and query from a parsed URI are visible ASCII; a value that still does
    // not fit a header keeps the plain 404.
    HeaderValue::from_str(&target).ok()
}

/// The `307 Temporary Redirect` (the method and body are kept on the second try),
/// with an empty body.
pub(crate) fn redirect(location: HeaderValue) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    res.headers_mut().insert(LOCATION, location);
    res.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;
    use cello_router::RouterBuilder;

    fn router() -> Router<u8> {
        let mut b = RouterBuilder::new();
        b.insert(Method::GET, "/items", 1).unwrap();
        b.insert(Method::GET, "/users/", 2).unwrap();
        b.insert(Method::GET, "/{name}", 3).unwrap();
        b.freeze()
    }

    fn loc(method: Method, uri: &str) -> Option<String> {
        let uri: Uri = uri.parse().unwrap();
        location(&router(), &method, &uri).map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn a_missing_trailing_slash_is_added_and_the_query_kept() {
        assert_eq!(
            loc(Method::GET, "/users?a=1&b=2").as_deref(),
            Some("/users/?a=1&b=2")
        );
    }

    #[test]
    fn an_extra_trailing_slash_is_removed() {
        assert_eq!(loc(Method::GET, "/items/").as_deref(), Some("/items"));
    }

    #[test]
    fn any_method_is_redirected_even_one_the_other_path_does_not_serve() {
        assert_eq!(loc(Method::POST, "/items/").as_deref(), Some("/items"));
    }

    #[test]
    fn a_path_unknown_in_both_forms_is_not_redirected() {
        assert_eq!(loc(Method::GET, "/nope/nope"), None);
    }

    #[test]
    fn the_root_is_never_redirected() {
        assert_eq!(loc(Method::GET, "/"), None);
    }

    #[test]
    fn a_redirect_that_would_name_another_host_is_refused() {
        // `//evil.example/` without its slash is `//evil.example`: not a Location to send.
        assert_eq!(loc(Method::GET, "//evil.example/"), None);
    }
}
