#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

// Time is paused in these tests: tokio moves the clock forward only when every task
// waits, so "60 s" passes at once and the outcome never depends on the machine's load.

use super::{TimeoutLayer, TIMEOUT_BODY};
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep, Instant};
use tower::{service_fn, ServiceBuilder, ServiceExt};

/// A handler that sleeps `delay`, then answers `200 done`.
async fn slow(delay: Duration) -> Result<Response<Full<Bytes>>, Infallible> {
    sleep(delay).await;
    Ok(Response::new(Full::new(Bytes::from("done"))))
}

async fn send(timeout: Duration, delay: Duration) -> Response<Full<Bytes>> {
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(timeout))
        .service(service_fn(move |_req: Request<()>| slow(delay)));
    service.oneshot(Request::new(())).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_handler_within_the_deadline_answers_as_usual() {
    let res = send(Duration::from_secs(5), Duration::from_secs(4)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "done");
}

#[tokio::test(start_paused = true)]
async fn a_handler_past_the_deadline_gets_504_with_a_body() {
    let started = Instant::now();
    let res = send(Duration::from_secs(5), Duration::from_secs(60)).await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        res.into_body().collect().await.unwrap().to_bytes(),
        TIMEOUT_BODY
    );
    // Paused time advances exactly to the deadline, not to the handler's 60 s.
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn the_handlers_future_is_dropped_when_it_times_out() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let (d, f) = (Arc::clone(&dropped), Arc::clone(&finished));
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .service(service_fn(move |_req: Request<()>| {
            let guard = SetOnDrop(Arc::clone(&d));
            let finished = Arc::clone(&f);
            async move {
                let _guard = guard;
                sleep(Duration::from_secs(30)).await;
                finished.store(true, Ordering::SeqCst);
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
            }
        }));
    let res = service.oneshot(Request::new(())).await.unwrap();
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(dropped.load(Ordering::SeqCst), "the handler was cancelled");
    sleep(Duration::from_secs(60)).await;
    assert!(!finished.load(Ordering::SeqCst), "and never ran to its end");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_call_not_from_the_first_wait() {
    // The handler works 3 s without waiting on the layer's timer... then waits 3 s:
    // 6 s in all against a 5 s deadline.
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(5)))
        .service(service_fn(|_req: Request<()>| async {
            tokio::time::advance(Duration::from_secs(3)).await;
            sleep(Duration::from_secs(3)).await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        }));
    let res = service.oneshot(Request::new(())).await.unwrap();
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn a_ready_response_is_returned_even_with_a_zero_timeout() {
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::ZERO))
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("instant"))))
        }));
    let res = service.oneshot(Request::new(())).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn each_request_gets_its_own_deadline() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(5)))
        .service(service_fn(move |_req: Request<()>| {
            // Odd calls are slow.
            let n = counter.fetch_add(1, Ordering::SeqCst);
            slow(Duration::from_secs(if n % 2 == 1 { 10 } else { 1 }))
        }));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = service.clone().oneshot(Request::new(())).await.unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 504, 200, 504]);
}

#[tokio::test(start_paused = true)]
async fn an_error_from_the_handler_passes_through() {
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(5)))
        .service(service_fn(|_req: Request<()>| async {
            Err::<Response<String>, _>(std::io::Error::other("backend down"))
        }));
    let err = service.oneshot(Request::new(())).await.unwrap_err();
    assert_eq!(err.to_string(), "backend down");
}
