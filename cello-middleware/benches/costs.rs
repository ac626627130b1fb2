//! Instruction counts per response, for a shared machine where wall-clock benches drift:
//! what each codec costs by level (the measurement behind `CompressionLayer`'s defaults)
//! and what each layer adds to a request. Results: `benches/NOTES.md`.
//!
//! `cargo bench -p cello-middleware --bench costs` prints µs per response (wall clock,
//! noisy). For instructions, run one case under callgrind, counting only inside
//! `run_n`, and divide the total by the last argument:
//!
//! ```text
//! B=$(ls target/release/deps/costs-* | grep -v '\.d$')
//! valgrind --tool=callgrind --toggle-collect='costs::run_n*' $B codec gzip 6 4096 20
//! valgrind --tool=callgrind --toggle-collect='costs::run_n*' $B layer compression 200 20
//! ```

#![allow(clippy::unwrap_used, reason = "a bench should panic on a failed step")]

use bytes::Bytes;
use cello_middleware::compression::CompressionLayer;
use cello_middleware::security_headers::SecurityHeadersLayer;
use cello_middleware::timeout::TimeoutLayer;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use std::convert::Infallible;
use std::future::{ready, Future};
use std::hint::black_box;
use std::io::Write;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tower::{service_fn, Layer, Service, ServiceBuilder};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLevel;
use tower_http::set_header::SetResponseHeaderLayer;

/// A JSON body of about `len` bytes (the same generator as `middleware.rs`).
fn json(len: usize) -> Vec<u8> {
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
    out.into_bytes()
}

/// Compress `data` as one fresh response, set up as `CompressionLayer` does; returns the
/// compressed size.
fn compress(codec: &str, level: u32, data: &[u8]) -> usize {
    match codec {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            e.write_all(data).unwrap();
            e.finish().unwrap().len()
        }
        "br" => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: i32::try_from(level).unwrap(),
                lgwin: 22,
                size_hint: data.len(),
                ..Default::default()
            };
            let mut e = brotli::CompressorWriter::with_params(Vec::new(), 4096, &params);
            e.write_all(data).unwrap();
            e.into_inner().len()
        }
        "zstd" => {
            let level = i32::try_from(level).unwrap();
            let mut e = zstd::stream::write::Encoder::new(Vec::new(), level).unwrap();
            // As the layer does for a body of known size.
            e.set_pledged_src_size(Some(data.len() as u64)).unwrap();
            e.write_all(data).unwrap();
            e.finish().unwrap().len()
        }
        other => panic!("unknown codec {other}; use gzip, br or zstd"),
    }
}

#[inline(never)]
fn run_n(n: usize, mut f: impl FnMut() -> usize) -> usize {
    (0..n).map(|_| f()).sum()
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

/// `n` requests (`Accept-Encoding: gzip`) through `layer` over a handler answering
/// `body_len` bytes of JSON; returns the bytes sent.
fn layer_n(layer: &str, body_len: usize, n: usize) -> usize {
    let body = Bytes::from(json(body_len));
    let handler = move |_req: Request<()>| {
        let res = Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))
            .unwrap();
        ready(Ok::<_, Infallible>(res))
    };
    let req = || {
        Request::builder()
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(())
            .unwrap()
    };
    macro_rules! measure {
        ($service:expr) => {{
            let mut service = $service;
            run_n(n, || call_and_drain(&mut service, black_box(req())))
        }};
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _entered = runtime.enter();
    match layer {
        "none" => measure!(service_fn(handler)),
        "compression" => measure!(CompressionLayer::new().layer(service_fn(handler))),
        "tower-compression" => {
            let predicate = SizeAbove::new(860)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE);
            let layer = tower_http::compression::CompressionLayer::new()
                .quality(CompressionLevel::Precise(6))
                .compress_when(predicate);
            measure!(layer.layer(service_fn(handler)))
        }
        "timeout" => {
            measure!(TimeoutLayer::new(Duration::from_secs(30)).layer(service_fn(handler)))
        }
        "tower-timeout" => measure!(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30)
        )
        .layer(service_fn(handler))),
        "security-headers" => measure!(SecurityHeadersLayer::new().layer(service_fn(handler))),
        "tower-set-header" => measure!(ServiceBuilder::new()
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
            .service(service_fn(handler))),
        other => panic!(
            "unknown layer {other}; use none, compression, tower-compression, timeout, \
             tower-timeout, security-headers or tower-set-header"
        ),
    }
}

const CONFIGS: &[(&str, u32)] = &[
    ("gzip", 1),
    ("gzip", 6),
    ("br", 1),
    ("br", 4),
    ("br", 5),
    ("zstd", 1),
    ("zstd", 3),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; a run by hand names one case.
    match &args[..] {
        [mode, codec, level, size, n] if mode == "codec" => {
            let (level, data, n) = (
                level.parse().unwrap(),
                json(size.parse().unwrap()),
                n.parse().unwrap(),
            );
            let total = run_n(n, || compress(codec, level, black_box(&data)));
            println!("{codec} {level}: {} -> {} bytes", data.len(), total / n);
            return;
        }
        [mode, layer, size, n] if mode == "layer" => {
            let n = n.parse().unwrap();
            let total = layer_n(layer, size.parse().unwrap(), n);
            println!("{layer}: {} bytes per response", total / n);
            return;
        }
        _ => {}
    }
    for size in [1024, 4096, 65536] {
        let data = json(size);
        for &(codec, level) in CONFIGS {
            let n = 50;
            let start = Instant::now();
            let total = run_n(n, || compress(codec, level, black_box(&data)));
            let per = start.elapsed() / u32::try_from(n).unwrap();
            println!(
                "{size:>6} B  {codec:>4} {level:>2}: {:>6} bytes  {:>8.1} µs",
                total / n,
                per.as_secs_f64() * 1e6
            );
        }
    }
}
