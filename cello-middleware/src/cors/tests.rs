#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use super::{CorsError, CorsLayer};
use http::header::{self, HeaderName};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::{service_fn, BoxError, ServiceBuilder, ServiceExt};

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example.net";

/// Sends `req` through `layer` to a handler that counts its calls and answers `200 hi`.
async fn send(layer: CorsLayer, req: Request<String>) -> (Response<String>, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let service =
        ServiceBuilder::new()
            .layer(layer)
            .service(service_fn(move |_req: Request<String>| {
                counter.fetch_add(1, Ordering::SeqCst);
                async { Ok::<_, Infallible>(Response::new("hi".to_owned())) }
            }));
    let response = service.oneshot(req).await.unwrap();
    (response, calls.load(Ordering::SeqCst))
}

fn app_layer() -> CorsLayer {
    CorsLayer::builder()
        .allow_origins([APP, "http://localhost:3000"])
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("x-api-key")])
        .allow_credentials(true)
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Some(Duration::from_secs(3600)))
        .build()
        .unwrap()
}

fn preflight(origin: &str, method: &str) -> http::request::Builder {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/items/1")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
}

fn has_cors_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
}

#[tokio::test]
async fn answers_an_allowed_preflight_without_calling_the_inner_service() {
    let req = preflight(APP, "PUT")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "Content-Type, x-api-key",
        )
        .body(String::new())
        .unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 0, "a preflight never reaches the app");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.body(), "");
    let h = res.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], APP);
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, PUT");
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type, x-api-key"
    );
    assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "3600");
    assert_eq!(h[header::VARY], "origin");
    assert!(!h.contains_key(header::ACCESS_CONTROL_EXPOSE_HEADERS));
}

#[tokio::test]
async fn refuses_a_preflight_from_a_disallowed_origin_with_no_cors_headers() {
    let req = preflight(EVIL, "PUT").body(String::new()).unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 0);
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!has_cors_headers(res.headers()));
    assert_eq!(res.headers()[header::VARY], "origin");
}

#[tokio::test]
async fn refuses_a_preflight_for_a_method_not_allowed() {
    let req = preflight(APP, "DELETE").body(String::new()).unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 0);
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!has_cors_headers(res.headers()));
}

#[tokio::test]
async fn grants_a_preflight_for_a_safelisted_method_not_in_the_list() {
    let req = preflight(APP, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(String::new())
        .unwrap();
    let (res, _) = send(app_layer(), req).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn refuses_a_preflight_asking_for_a_header_not_allowed() {
    let req = preflight(APP, "PUT")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,x-secret",
        )
        .body(String::new())
        .unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 0);
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!has_cors_headers(res.headers()));
}

#[tokio::test]
async fn passes_an_options_request_without_request_method_to_the_app() {
    let req = Request::builder()
        .method(Method::OPTIONS)
        .header(header::ORIGIN, APP)
        .body(String::new())
        .unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 1);
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], APP);
}

#[tokio::test]
async fn adds_cors_headers_to_a_response_for_an_allowed_origin() {
    let req = Request::builder()
        .header(header::ORIGIN, "http://localhost:3000")
        .body(String::new())
        .unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 1);
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "hi");
    let h = res.headers();
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://localhost:3000"
    );
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert_eq!(h[header::ACCESS_CONTROL_EXPOSE_HEADERS], "x-request-id");
    assert_eq!(h[header::VARY], "origin");
    assert!(!h.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS));
}

#[tokio::test]
async fn gives_a_disallowed_origin_the_response_but_no_cors_headers() {
    let req = Request::builder()
        .header(header::ORIGIN, EVIL)
        .body(String::new())
        .unwrap();
    let (res, calls) = send(app_layer(), req).await;
    assert_eq!(calls, 1);
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!has_cors_headers(res.headers()));
    assert_eq!(res.headers()[header::VARY], "origin");
}

#[tokio::test]
async fn sets_vary_origin_on_a_request_without_origin_when_origins_are_listed() {
    let (res, calls) = send(app_layer(), Request::new(String::new())).await;
    assert_eq!(calls, 1);
    assert!(!has_cors_headers(res.headers()));
    assert_eq!(res.headers()[header::VARY], "origin");
}

#[tokio::test]
async fn keeps_the_apps_own_vary_header() {
    let service =
        ServiceBuilder::new()
            .layer(app_layer())
            .service_fn(|_req: Request<String>| async {
                let mut res = Response::new(String::new());
                res.headers_mut()
                    .insert(header::VARY, "accept-encoding".parse().unwrap());
                Ok::<_, Infallible>(res)
            });
    let req = Request::builder()
        .header(header::ORIGIN, APP)
        .body(String::new())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    let vary: Vec<_> = res.headers().get_all(header::VARY).iter().collect();
    assert_eq!(vary, ["accept-encoding", "origin"]);
}

#[tokio::test]
async fn answers_any_origin_with_a_wildcard_and_no_vary() {
    let layer = CorsLayer::builder().allow_any_origin().build().unwrap();
    let req = Request::builder()
        .header(header::ORIGIN, EVIL)
        .body(String::new())
        .unwrap();
    let (res, _) = send(layer, req).await;
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(!res
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    assert!(!res.headers().contains_key(header::VARY));
}

#[tokio::test]
async fn permissive_echoes_asked_for_method_and_headers() {
    let req = preflight(EVIL, "PATCH")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization, x-custom",
        )
        .body(String::new())
        .unwrap();
    let (res, calls) = send(CorsLayer::permissive(), req).await;
    assert_eq!(calls, 0);
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "PATCH");
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "authorization, x-custom"
    );
    assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "600");
    assert_eq!(
        h[header::VARY],
        "access-control-request-method, access-control-request-headers"
    );
}

#[tokio::test]
async fn defaults_allow_get_head_post_and_omit_max_age_when_disabled() {
    let layer = CorsLayer::builder()
        .allow_origin(APP)
        .max_age(None)
        .build()
        .unwrap();
    let req = preflight(APP, "GET").body(String::new()).unwrap();
    let (res, _) = send(layer, req).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        res.headers()[header::ACCESS_CONTROL_ALLOW_METHODS],
        "GET, HEAD, POST"
    );
    assert!(!res.headers().contains_key(header::ACCESS_CONTROL_MAX_AGE));
    assert!(!res
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS));
}

#[tokio::test]
async fn matches_origins_case_insensitively_and_echoes_the_request_origin() {
    let req = Request::builder()
        .header(header::ORIGIN, "HTTPS://APP.EXAMPLE.COM")
        .body(String::new())
        .unwrap();
    let (res, _) = send(app_layer(), req).await;
    assert_eq!(
        res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "HTTPS://APP.EXAMPLE.COM"
    );
}

#[tokio::test]
async fn passes_inner_errors_through() {
    let service =
        ServiceBuilder::new()
            .layer(app_layer())
            .service_fn(|_req: Request<String>| async {
                Err::<Response<String>, BoxError>("handler failed".into())
            });
    let req = Request::builder()
        .header(header::ORIGIN, APP)
        .body(String::new())
        .unwrap();
    let err = service.oneshot(req).await.unwrap_err();
    assert_eq!(err.to_string(), "handler failed");
}

#[test]
fn refuses_a_configuration_without_origins() {
    let err = CorsLayer::builder().build().unwrap_err();
    assert_eq!(err, CorsError::NoOrigins);
    assert!(err.to_string().contains("allow_any_origin()"));
}

#[test]
fn refuses_credentials_with_any_origin() {
    let err = CorsLayer::builder()
        .allow_any_origin()
        .allow_credentials(true)
        .build()
        .unwrap_err();
    assert_eq!(err, CorsError::CredentialsWithAnyOrigin);
}

#[test]
fn refuses_an_origin_with_a_trailing_slash_and_says_how_to_write_it() {
    let err = CorsLayer::builder()
        .allow_origin("https://example.com/")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        CorsError::InvalidOrigin("https://example.com/".to_owned())
    );
    assert!(err.to_string().contains("no path or trailing slash"));
}

#[test]
fn suggests_allow_any_origin_for_a_star_origin() {
    let err = CorsLayer::builder().allow_origin("*").build().unwrap_err();
    assert!(err.to_string().contains("allow_any_origin()"));
}
