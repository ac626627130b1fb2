#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use super::{RequestIdLayer, MAX_LEN};
use http::{HeaderName, HeaderValue, Request, Response};
use std::convert::Infallible;
use tower::{service_fn, BoxError, ServiceBuilder, ServiceExt};

/// Echoes the request's id in the body, so tests can see what the inner service saw.
async fn echo_id(req: Request<String>) -> Result<Response<String>, Infallible> {
    let seen = req
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or("<opaque>").to_owned())
        .unwrap_or_default();
    Ok(Response::new(seen))
}

async fn send(req: Request<String>) -> Result<Response<String>, BoxError> {
    let service = ServiceBuilder::new()
        .layer(RequestIdLayer::new())
        .service(service_fn(echo_id));
    Ok(service.oneshot(req).await?)
}

fn request_with_id(id: &[u8]) -> Request<String> {
    let mut req = Request::new(String::new());
    req.headers_mut()
        .insert("x-request-id", HeaderValue::from_bytes(id).unwrap());
    req
}

#[tokio::test]
async fn keeps_a_valid_incoming_id_and_echoes_it() {
    let res = send(request_with_id(b"abc-123")).await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    assert_eq!(res.body(), "abc-123");
}

#[tokio::test]
async fn generates_an_id_when_none_is_sent() {
    let res = send(Request::new(String::new())).await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(res.body(), &id, "the handler saw the same id");
    let (prefix, counter) = id.split_once('-').unwrap();
    assert_eq!(prefix.len(), 12);
    assert!(prefix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(counter.parse::<u64>().is_ok());
}

#[tokio::test]
async fn generated_ids_differ_between_requests() {
    let a = send(Request::new(String::new())).await.unwrap();
    let b = send(Request::new(String::new())).await.unwrap();
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

#[tokio::test]
async fn replaces_an_id_with_a_space() {
    let res = send(request_with_id(b"two words")).await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "two words");
    assert_eq!(res.body(), res.headers()["x-request-id"].to_str().unwrap());
}

#[tokio::test]
async fn replaces_an_empty_id() {
    let res = send(request_with_id(b"")).await.unwrap();
    assert!(!res.headers()["x-request-id"].is_empty());
}

#[tokio::test]
async fn replaces_an_id_with_non_ascii_bytes() {
    let res = send(request_with_id(b"caf\xc3\xa9")).await.unwrap();
    assert_ne!(res.headers()["x-request-id"].as_bytes(), b"caf\xc3\xa9");
}

#[tokio::test]
async fn keeps_an_id_of_exactly_max_len_and_replaces_a_longer_one() {
    let longest = vec![b'a'; MAX_LEN];
    let res = send(request_with_id(&longest)).await.unwrap();
    assert_eq!(res.headers()["x-request-id"].as_bytes(), &longest[..]);

    let too_long = vec![b'a'; MAX_LEN + 1];
    let res = send(request_with_id(&too_long)).await.unwrap();
    assert_ne!(res.headers()["x-request-id"].as_bytes(), &too_long[..]);
}

#[tokio::test]
async fn replaces_repeated_ids_with_one_new_id() {
    let mut req = Request::new(String::new());
    req.headers_mut()
        .append("x-request-id", HeaderValue::from_static("first"));
    req.headers_mut()
        .append("x-request-id", HeaderValue::from_static("second"));
    let res = send(req).await.unwrap();
    assert_eq!(res.headers().get_all("x-request-id").iter().count(), 1);
    assert_ne!(res.headers()["x-request-id"], "first");
    assert_ne!(res.headers()["x-request-id"], "second");
}

#[tokio::test]
async fn keeps_an_id_the_handler_set_on_the_response() {
    let service = ServiceBuilder::new()
        .layer(RequestIdLayer::new())
        .service_fn(|_req: Request<String>| async {
            let mut res = Response::new(String::new());
            res.headers_mut()
                .insert("x-request-id", HeaderValue::from_static("from-handler"));
            Ok::<_, Infallible>(res)
        });
    let res = service.oneshot(request_with_id(b"incoming")).await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "from-handler");
}

#[tokio::test]
async fn a_generated_id_is_in_the_request_header_the_handler_sees_and_on_the_response() {
    let service = ServiceBuilder::new()
        .layer(RequestIdLayer::new())
        .service_fn(|req: Request<String>| async move {
            let seen = req
                .headers()
                .get("x-request-id")
                .map(|id| id.to_str().unwrap_or("").to_owned())
                .unwrap_or_default();
            Ok::<_, Infallible>(Response::new(seen))
        });
    let res = service.oneshot(Request::new(String::new())).await.unwrap();
    assert!(!res.body().is_empty());
    assert_eq!(res.headers()["x-request-id"], res.body().as_str());
    assert!(res.extensions().is_empty());
}

#[tokio::test]
async fn uses_a_configured_header_name() {
    const CORRELATION: HeaderName = HeaderName::from_static("x-correlation-id");
    let service = ServiceBuilder::new()
        .layer(RequestIdLayer::new().header_name(CORRELATION))
        .service_fn(echo_id);
    let mut req = Request::new(String::new());
    req.headers_mut()
        .insert(CORRELATION, HeaderValue::from_static("corr-7"));
    let res = service.oneshot(req).await.unwrap();
    assert_eq!(res.headers()["x-correlation-id"], "corr-7");
    assert!(!res.headers().contains_key("x-request-id"));
}
