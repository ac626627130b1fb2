//! Per-request cost of each layer over a handler that returns an empty response.
//!
//! `cargo bench -p cello-middleware`

#![allow(clippy::unwrap_used, reason = "a bench should panic on a failed step")]

use cello_middleware::{cors::CorsLayer, request_id::RequestIdLayer};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{header, Method, Request, Response};
use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tower::{service_fn, Layer, Service, ServiceBuilder};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

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

criterion_group!(benches, bench);
criterion_main!(benches);
