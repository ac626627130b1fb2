#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use super::{channel, AccessLogLayer, AccessRecord};
use crate::forwarded::TrustedProxiesLayer;
use crate::ConnectInfo;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full, StreamBody};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};
use tower::{ServiceBuilder, ServiceExt};

type Records = Arc<Mutex<Vec<AccessRecord>>>;

fn collecting() -> (Records, impl Fn(AccessRecord) + Clone) {
    let records: Records = Arc::default();
    let sink = {
        let records = Arc::clone(&records);
        move |record| records.lock().unwrap().push(record)
    };
    (records, sink)
}

fn full(body: &'static str) -> Full<Bytes> {
    Full::new(Bytes::from_static(body.as_bytes()))
}

#[tokio::test]
async fn records_method_target_version_status_bytes_and_the_response_id() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async {
            let mut res = Response::new(full("created!"));
            *res.status_mut() = StatusCode::CREATED;
            res.headers_mut()
                .insert("x-request-id", HeaderValue::from_static("id-from-response"));
            Ok::<_, Infallible>(res)
        });
    let req = Request::builder()
        .method(Method::POST)
        .uri("/items?x=1&y=%20")
        .version(Version::HTTP_2)
        .header("x-request-id", "id-from-request")
        .body(())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    assert!(
        records.lock().unwrap().is_empty(),
        "nothing before the body is sent"
    );
    res.into_body().collect().await.unwrap();

    let records = records.lock().unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.target, "/items?x=1&y=%20");
    assert_eq!(r.version, Version::HTTP_2);
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.bytes, 8);
    assert_eq!(r.request_id.as_ref().unwrap(), "id-from-response");
    assert!(r.complete);
}

#[tokio::test]
async fn falls_back_to_the_request_id_and_a_configured_header() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(
            AccessLogLayer::new(sink).request_id_header(http::HeaderName::from_static("x-trace")),
        )
        .service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(full(""))) });
    let req = Request::builder()
        .header("x-trace", "t-1")
        .body(())
        .unwrap();
    service.oneshot(req).await.unwrap();
    assert_eq!(
        records.lock().unwrap()[0].request_id.as_ref().unwrap(),
        "t-1"
    );
}

#[tokio::test]
async fn an_empty_body_is_logged_without_being_polled() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async {
            let mut res = Response::new(full(""));
            *res.status_mut() = StatusCode::NO_CONTENT;
            Ok::<_, Infallible>(res)
        });
    let res = service.oneshot(Request::new(())).await.unwrap();
    let records_now = records.lock().unwrap().clone();
    assert_eq!(records_now.len(), 1);
    assert_eq!(records_now[0].status, StatusCode::NO_CONTENT);
    assert!(records_now[0].complete);
    drop(res);
    assert_eq!(records.lock().unwrap().len(), 1, "logged once");
}

#[tokio::test]
async fn a_head_or_304_answer_is_complete_though_its_body_is_never_sent() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|req: Request<()>| async move {
            // A GET handler answering HEAD too: a body the server will drop unread.
            let mut res = Response::new(full("hello"));
            if req.uri().path() == "/cached" {
                *res.status_mut() = StatusCode::NOT_MODIFIED;
            }
            Ok::<_, Infallible>(res)
        });
    let head = Request::builder().method("HEAD").body(()).unwrap();
    drop(service.clone().oneshot(head).await.unwrap());
    let cached = Request::builder().uri("/cached").body(()).unwrap();
    drop(service.oneshot(cached).await.unwrap());
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 2);
    assert!(
        records.iter().all(|r| r.complete && r.bytes == 0),
        "{records:?}"
    );
    assert_eq!(records[1].status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn counts_a_streamed_body_across_chunks() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async {
            let chunks = ["ab", "cde", "f"].map(|c| {
                Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(c.as_bytes())))
            });
            Ok::<_, Infallible>(Response::new(StreamBody::new(futures_util::stream::iter(
                chunks,
            ))))
        });
    let res = service.oneshot(Request::new(())).await.unwrap();
    res.into_body().collect().await.unwrap();
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].bytes, 6);
    assert!(records[0].complete);
}

#[tokio::test]
async fn a_body_dropped_before_its_end_is_logged_as_incomplete() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async {
            let chunks = ["ab", "cde"].map(|c| {
                Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(c.as_bytes())))
            });
            Ok::<_, Infallible>(Response::new(StreamBody::new(futures_util::stream::iter(
                chunks,
            ))))
        });
    let res = service.oneshot(Request::new(())).await.unwrap();
    let mut body = res.into_body();
    body.frame().await.unwrap().unwrap();
    assert!(records.lock().unwrap().is_empty());
    drop(body);
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].bytes, 2);
    assert!(!records[0].complete);
}

#[tokio::test]
async fn the_client_is_the_forwarded_one_when_trusted_proxies_are_outside() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(TrustedProxiesLayer::new(["10.0.0.0/8"]).unwrap())
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(full("x"))) });
    let send = |peer: &str, xff: &str| {
        let mut req = Request::builder()
            .header("x-forwarded-for", xff)
            .body(())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse().unwrap()));
        service.clone().oneshot(req)
    };
    send("10.0.0.1:1000", "203.0.113.9").await.unwrap();
    send("198.51.100.1:2000", "203.0.113.9").await.unwrap();
    let records = records.lock().unwrap();
    assert_eq!(records[0].client, Some("203.0.113.9:0".parse().unwrap()));
    assert_eq!(
        records[1].client,
        Some("198.51.100.1:2000".parse().unwrap())
    );
}

#[tokio::test]
async fn the_line_is_common_log_format_with_duration_and_id() {
    let (records, sink) = collecting();
    let service = ServiceBuilder::new()
        .layer(AccessLogLayer::new(sink))
        .service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(full("hello")))
        });
    let mut req = Request::builder()
        .uri("/a?b=c")
        .header("x-request-id", "r\"7")
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("192.0.2.1:5555".parse().unwrap()));
    service
        .oneshot(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    let mut record = records.lock().unwrap()[0].clone();
    record.time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    record.duration = Duration::from_micros(1500);
    assert_eq!(
        record.to_string(),
        r#"192.0.2.1:5555 - - [14/Nov/2023:22:13:20 +0000] "GET /a?b=c HTTP/1.1" 200 5 1.500ms r\"7"#
    );
    record.complete = false;
    record.client = None;
    record.request_id = None;
    assert!(record.to_string().starts_with("- - - ["));
    assert!(record.to_string().ends_with(" - aborted"));
}

#[test]
fn clf_dates_are_right_across_leap_years_and_month_ends() {
    let at = |secs| super::record::clf_time(UNIX_EPOCH + Duration::from_secs(secs));
    assert_eq!(at(0), "01/Jan/1970:00:00:00 +0000");
    assert_eq!(at(951_782_400), "29/Feb/2000:00:00:00 +0000");
    assert_eq!(at(1_709_251_199), "29/Feb/2024:23:59:59 +0000");
    assert_eq!(at(4_102_444_800), "01/Jan/2100:00:00:00 +0000");
}

fn record(n: u64) -> AccessRecord {
    AccessRecord {
        method: Method::GET,
        target: format!("/{n}"),
        version: Version::HTTP_11,
        status: StatusCode::OK,
        bytes: n,
        duration: Duration::ZERO,
        request_id: None,
        client: None,
        time: UNIX_EPOCH,
        complete: true,
    }
}

#[tokio::test(start_paused = true)]
async fn batches_hold_at_most_max_records_and_wait_at_most_the_delay() {
    use super::Sink;
    let (sink, mut batches) = channel(3, Duration::from_millis(100));
    for n in 0..4 {
        sink.emit(record(n));
    }
    let first = batches.next_batch().await.unwrap();
    assert_eq!(first.iter().map(|r| r.bytes).collect::<Vec<_>>(), [0, 1, 2]);

    // One record waits for company until the delay has passed, then goes alone.
    let started = tokio::time::Instant::now();
    let second = batches.next_batch().await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(started.elapsed(), Duration::from_millis(100));

    sink.emit(record(9));
    assert_eq!(batches.drain().len(), 1);
    drop(sink);
    assert!(batches.next_batch().await.is_none());
}
