//! Per-request cost of each layer over a handler that returns an empty response, and of
//! compression, timeout and security headers over a JSON response, each beside
//! tower-http's own layer for the same job. Results: `benches/NOTES.md`.
//!
//! `cargo bench -p cello-middleware`

#![allow(clippy::unwrap_used, reason = "a bench should panic on a failed step")]

use bytes::Bytes;
use cello_middleware::compression::CompressionLayer;
use cello_middleware::security_headers::SecurityHeadersLayer;
use cello_middleware::timeout::TimeoutLayer;
use cello_middleware::{cors::CorsLayer, request_id::RequestIdLayer};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{header, HeaderValue, Method, Request, Response};
use http_body::Body;
use http_body_util::Full;
use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tower::{service_fn, Layer, Service, ServiceBuilder};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLevel;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

fn handler(_req: Request<()>) -> Ready<Result<Response<()>, Infallible>> {
    ready(Ok(Response::new(())))
}

/// Drive one request through `service`; every future here is ready at once.
fn call<S>(service: &mut S, req: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    match pin!(service.call(req)).poll(&mut cx) {
        Poll::Ready(Ok(res)) => res,
        _ => unreachable!("handler is synchronous"),
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("middleware");
    let mut bare = service_fn(handler);
    group.bench_function("no layer", |b| {
        b.iter(|| call(&mut bare, black_box(Request::new(()))))
    });

    let mut request_id = RequestIdLayer::new().layer(service_fn(handler));
    group.bench_function("request_id/generated", |b| {
        b.iter(|| call(&mut request_id, black_box(Request::new(()))))
    });
    // Comparison: tower-http's own stack, which makes a UUID v4 per request.
    let mut uuid = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .service(service_fn(handler));
    group.bench_function("request_id/tower-http uuid", |b| {
        b.iter(|| call(&mut uuid, black_box(Request::new(()))))
    });
    group.bench_function("request_id/incoming", |b| {
        b.iter(|| {
            let req = Request::builder()
                .header("x-request-id", "3f9a1c0b7e2d-42")
                .body(())
                .unwrap();
            call(&mut request_id, black_box(req))
        })
    });

    let layer = CorsLayer::builder()
        .allow_origins(["https://app.example.com", "https://admin.example.com"])
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
        .build()
        .unwrap();
    let mut cors = layer.layer(service_fn(handler));
    group.bench_function("cors/no origin", |b| {
        b.iter(|| call(&mut cors, black_box(Request::new(()))))
    });
    group.bench_function("cors/allowed origin", |b| {
        b.iter(|| {
            let req = Request::builder()
                .header(header::ORIGIN, "https://admin.example.com")
                .body(())
                .unwrap();
            call(&mut cors, black_box(req))
        })
    });
    group.bench_function("cors/preflight", |b| {
        b.iter(|| {
            let req = Request::builder()
                .method(Method::OPTIONS)
                .header(header::ORIGIN, "https://admin.example.com")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PUT")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
                .body(())
                .unwrap();
            call(&mut cors, black_box(req))
        })
    });
    group.finish();
}

/// A JSON body of about `len` bytes.
fn json(len: usize) -> Bytes {
    let mut out = String::from("[");
    let mut i = 0;
    while out.len() < len {
        out.push_str(&format!(
            "{{\"id\":{i},\"title\":\"todo number {i}\",\"done\":{}}},",
            i % 3 == 0
        ));
        i += 1;
    }
    out.push(']');
    Bytes::from(out)
}

/// Drive one request through `service` and read its whole body; returns the body's size.
fn call_and_drain<S, B>(service: &mut S, req: Request<()>) -> usize
where
    S: Service<Request<()>, Response = Response<B>, Error = Infallible>,
    B: Body,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let Poll::Ready(Ok(res)) = pin!(service.call(req)).poll(&mut cx) else {
        unreachable!("handler is synchronous")
    };
    let mut body = pin!(res.into_body());
    let mut size = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        if let Some(data) = frame.ok().and_then(|f| f.into_data().ok()) {
            size += bytes::Buf::remaining(&data);
        }
    }
    size
}

fn gzip_request() -> Request<()> {
    Request::builder()
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(())
        .unwrap()
}

/// Compression, on a response under the minimum size (passed through) and on ones
/// above it, per codec; tower-http's `CompressionLayer` at the same levels beside each.
fn bench_compression(c: &mut Criterion) {
    let mut group = c.benchmark_group("compression");
    group.measurement_time(Duration::from_secs(3));
    for (label, len) in [("200 B", 200), ("4 KiB", 4096), ("64 KiB", 65536)] {
        let body = json(len);
        let handler = move |_req: Request<()>| {
            let res = Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone()))
                .unwrap();
            ready(Ok::<_, Infallible>(res))
        };
        let mut bare = service_fn(handler.clone());
        group.bench_function(format!("{label}/no layer"), |b| {
            b.iter(|| call_and_drain(&mut bare, black_box(gzip_request())))
        });
        for (coding, level) in [("gzip", 6), ("br", 4), ("zstd", 3)] {
            if len == 200 && coding != "gzip" {
                continue; // under the minimum size every codec is the same pass-through
            }
            let mut cello = CompressionLayer::new().layer(service_fn(handler.clone()));
            let req = || {
                Request::builder()
                    .header(header::ACCEPT_ENCODING, coding)
                    .body(())
                    .unwrap()
            };
            group.bench_function(format!("{label}/{coding}"), |b| {
                b.iter(|| call_and_drain(&mut cello, black_box(req())))
            });
            let predicate = SizeAbove::new(860)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE);
            let layer = tower_http::compression::CompressionLayer::new()
                .quality(CompressionLevel::Precise(level))
                .compress_when(predicate);
            let mut tower = layer.layer(service_fn(handler.clone()));
            group.bench_function(format!("{label}/{coding} tower-http"), |b| {
                b.iter(|| call_and_drain(&mut tower, black_box(req())))
            });
        }
    }
    group.finish();
}

/// Timeout and security headers over a handler answering a small `Full` body.
fn bench_timeout_and_headers(c: &mut Criterion) {
    let mut group = c.benchmark_group("middleware");
    let handler = |_req: Request<()>| {
        ready(Ok::<_, Infallible>(Response::new(Full::<Bytes>::from(
            "{}",
        ))))
    };

    // Both timeouts need a runtime's timer, as in a server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _entered = runtime.enter();
    let mut timeout = TimeoutLayer::new(Duration::from_secs(30)).layer(service_fn(handler));
    group.bench_function("timeout/ready handler", |b| {
        b.iter(|| call_and_drain(&mut timeout, black_box(Request::new(()))))
    });
    let mut tower_timeout = tower_http::timeout::TimeoutLayer::with_status_code(
        http::StatusCode::GATEWAY_TIMEOUT,
        Duration::from_secs(30),
    )
    .layer(service_fn(|_req: Request<()>| {
        ready(Ok::<_, Infallible>(Response::new(Full::<Bytes>::default())))
    }));
    group.bench_function("timeout/ready handler, tower-http", |b| {
        b.iter(|| call_and_drain(&mut tower_timeout, black_box(Request::new(()))))
    });

    let mut security = SecurityHeadersLayer::new().layer(service_fn(handler));
    group.bench_function("security_headers/defaults", |b| {
        b.iter(|| call_and_drain(&mut security, black_box(Request::new(()))))
    });
    let mut tower_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .service(service_fn(handler));
    group.bench_function("security_headers/tower-http, 3 layers", |b| {
        b.iter(|| call_and_drain(&mut tower_headers, black_box(Request::new(()))))
    });
    let mut bare = service_fn(handler);
    group.bench_function("no layer, Full body", |b| {
        b.iter(|| call_and_drain(&mut bare, black_box(Request::new(()))))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_compression, bench_timeout_and_headers);
criterion_main!(benches);
