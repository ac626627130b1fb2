#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should panic on a failed step"
)]

use super::{CompressionBody, CompressionError, CompressionLayer, Encoding, DEFAULT_MIN_SIZE};
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::time::Duration;
use tokio::sync::mpsc;
use tower::{service_fn, ServiceBuilder, ServiceExt};

/// About 5 KiB of JSON-like text: compressible, and above the default minimum size.
fn json_text(records: usize) -> String {
    (0..records)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"name\":\"item {i}\",\"done\":{}}},",
                i % 3 == 0
            )
        })
        .collect()
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(bytes)
            .unwrap()
            .read_to_end(&mut out),
        other => panic!("unexpected encoding {other}"),
    }
    .unwrap();
    out
}

/// Sends a request with `accept` (if any) to a handler answering `response()`.
async fn send<F>(
    layer: CompressionLayer,
    method: Method,
    accept: Option<&str>,
    response: F,
) -> Response<CompressionBody<Full<Bytes>>>
where
    F: Fn() -> Response<Full<Bytes>> + Clone + Send + 'static,
{
    let service =
        ServiceBuilder::new()
            .layer(layer)
            .service(service_fn(move |_req: Request<()>| {
                let response = response.clone();
                async move { Ok::<_, Infallible>(response()) }
            }));
    let mut req = Request::builder().method(method);
    if let Some(accept) = accept {
        req = req.header(header::ACCEPT_ENCODING, accept);
    }
    service.oneshot(req.body(()).unwrap()).await.unwrap()
}

fn ok_with(content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let body = body.into();
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .unwrap()
}

async fn body_bytes<B>(response: Response<B>) -> Bytes
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    response.into_body().collect().await.unwrap().to_bytes()
}

#[tokio::test]
async fn compresses_with_each_coding_and_the_bytes_decode_back() {
    let text = json_text(200);
    for coding in ["gzip", "br", "zstd"] {
        let body = text.clone();
        let res = send(
            CompressionLayer::new(),
            Method::GET,
            Some(coding),
            move || ok_with("application/json", body.clone()),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_ENCODING], coding);
        assert_eq!(res.headers()[header::VARY], "accept-encoding");
        assert!(!res.headers().contains_key(header::CONTENT_LENGTH));
        assert!(res.body().is_compressed());
        let compressed = body_bytes(res).await;
        assert!(
            compressed.len() < text.len() / 3,
            "{coding}: {} of {}",
            compressed.len(),
            text.len()
        );
        assert_eq!(decode(coding, &compressed), text.as_bytes(), "{coding}");
    }
}

#[tokio::test]
async fn a_chrome_like_header_gets_zstd_and_an_older_one_gets_br() {
    let text = json_text(100);
    for (accept, want) in [
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, deflate, br", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
    ] {
        let body = text.clone();
        let res = send(
            CompressionLayer::new(),
            Method::GET,
            Some(accept),
            move || ok_with("text/plain", body.clone()),
        )
        .await;
        assert_eq!(res.headers()[header::CONTENT_ENCODING], want, "{accept}");
        assert_eq!(decode(want, &body_bytes(res).await), text.as_bytes());
    }
}

#[tokio::test]
async fn keeps_the_handlers_status_and_other_headers() {
    let text = json_text(100);
    let res = send(
        CompressionLayer::new(),
        Method::POST,
        Some("gzip"),
        move || {
            let mut res = ok_with("application/json", text.clone());
            *res.status_mut() = StatusCode::CREATED;
            res.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/todos/7"));
            res
        },
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()[header::LOCATION], "/todos/7");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn leaves_a_body_under_the_minimum_size_alone() {
    let small = "x".repeat(usize::try_from(DEFAULT_MIN_SIZE).unwrap() - 1);
    let body = small.clone();
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || ok_with("text/plain", body.clone()),
    )
    .await;
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert!(
        !res.headers().contains_key(header::VARY),
        "never compressed, so it does not vary"
    );
    assert_eq!(
        res.headers()[header::CONTENT_LENGTH],
        small.len().to_string()
    );
    assert_eq!(body_bytes(res).await, small);
}

#[tokio::test]
async fn compresses_a_body_of_exactly_the_minimum_size() {
    let layer = CompressionLayer::builder().min_size(2000).build().unwrap();
    for (len, compressed) in [(1999, false), (2000, true)] {
        let res = send(layer, Method::GET, Some("gzip"), move || {
            ok_with("text/plain", "a".repeat(len))
        })
        .await;
        assert_eq!(
            res.headers().contains_key(header::CONTENT_ENCODING),
            compressed,
            "{len} bytes"
        );
    }
}

#[tokio::test]
async fn judges_size_by_content_length_when_the_body_does_not_know_it() {
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service_fn(|_req: Request<()>| async {
            let chunks = stream::iter([Ok::<_, Infallible>(Frame::data(Bytes::from("tiny")))]);
            let res = Response::builder()
                .header(header::CONTENT_LENGTH, "4")
                .body(StreamBody::new(chunks))
                .unwrap();
            Ok::<_, Infallible>(res)
        });
    let req = Request::builder()
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(body_bytes(res).await, "tiny");
}

#[tokio::test]
async fn compresses_a_stream_of_unknown_size_however_small() {
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service_fn(|_req: Request<()>| async {
            let chunks = stream::iter(["one ", "two ", "three"])
                .map(|s| Ok::<_, Infallible>(Frame::data(Bytes::from(s))));
            Ok::<_, Infallible>(Response::new(StreamBody::new(chunks)))
        });
    let req = Request::builder()
        .header(header::ACCEPT_ENCODING, "br")
        .body(())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(decode("br", &body_bytes(res).await), b"one two three");
}

#[tokio::test]
async fn never_recompresses_a_body_the_handler_encoded() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json_text(100).as_bytes()).unwrap();
    let already = Bytes::from(gz.finish().unwrap());
    let sent = already.clone();
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("br, gzip"),
        move || {
            let mut res = ok_with("application/json", sent.clone());
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            res
        },
    )
    .await;
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(!res.headers().contains_key(header::VARY));
    assert_eq!(body_bytes(res).await, already);
}

#[tokio::test]
async fn skips_media_types_that_are_already_compressed_or_streamed() {
    let text = json_text(100);
    for content_type in [
        "image/png",
        "image/jpeg",
        "video/mp4",
        "audio/ogg",
        "font/woff2",
        "application/zip",
        "application/gzip",
        "application/zstd",
        "application/octet-stream",
        "application/grpc",
        "text/event-stream",
        "Text/Event-Stream; charset=utf-8",
    ] {
        let body = text.clone();
        let res = send(
            CompressionLayer::new(),
            Method::GET,
            Some("gzip"),
            move || ok_with(content_type, body.clone()),
        )
        .await;
        assert!(
            !res.headers().contains_key(header::CONTENT_ENCODING),
            "{content_type}"
        );
        assert_eq!(body_bytes(res).await, text, "{content_type}");
    }
}

#[tokio::test]
async fn compresses_svg_though_it_is_an_image() {
    let svg = format!("<svg>{}</svg>", "<rect/>".repeat(300));
    let body = svg.clone();
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || ok_with("image/svg+xml", body.clone()),
    )
    .await;
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(decode("gzip", &body_bytes(res).await), svg.as_bytes());
}

#[tokio::test]
async fn leaves_head_no_content_and_not_modified_alone() {
    let text = json_text(100);
    let body = text.clone();
    let res = send(
        CompressionLayer::new(),
        Method::HEAD,
        Some("gzip"),
        move || ok_with("text/plain", body.clone()),
    )
    .await;
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert!(!res.headers().contains_key(header::VARY));
    assert_eq!(
        res.headers()[header::CONTENT_LENGTH],
        text.len().to_string()
    );

    for status in [
        StatusCode::NO_CONTENT,
        StatusCode::NOT_MODIFIED,
        StatusCode::PARTIAL_CONTENT,
    ] {
        let body = text.clone();
        let res = send(
            CompressionLayer::new(),
            Method::GET,
            Some("gzip"),
            move || {
                let mut res = ok_with("text/plain", body.clone());
                *res.status_mut() = status;
                res
            },
        )
        .await;
        assert_eq!(res.status(), status);
        assert!(
            !res.headers().contains_key(header::CONTENT_ENCODING),
            "{status}"
        );
    }
}

#[tokio::test]
async fn respects_cache_control_no_transform() {
    let text = json_text(100);
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || {
            let mut res = ok_with("text/plain", text.clone());
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, no-transform"),
            );
            res
        },
    )
    .await;
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
}

#[tokio::test]
async fn without_accept_encoding_sends_identity_but_still_varies() {
    let text = json_text(100);
    let body = text.clone();
    let res = send(CompressionLayer::new(), Method::GET, None, move || {
        ok_with("text/plain", body.clone())
    })
    .await;
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(res.headers()[header::VARY], "accept-encoding");
    assert_eq!(
        res.headers()[header::CONTENT_LENGTH],
        text.len().to_string()
    );
    assert_eq!(body_bytes(res).await, text);
}

#[tokio::test]
async fn garbage_or_refused_identity_gets_the_handlers_answer_uncompressed() {
    let text = json_text(100);
    for accept in [
        "identity;q=0",
        "*;q=0",
        "gzip;q=0",
        "gzip;q=5, br;level=1",
        ";;,,=,\t",
        "compress, deflate",
    ] {
        let body = text.clone();
        let res = send(
            CompressionLayer::new(),
            Method::GET,
            Some(accept),
            move || ok_with("text/plain", body.clone()),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "never 406, for {accept:?}");
        assert!(
            !res.headers().contains_key(header::CONTENT_ENCODING),
            "{accept:?}"
        );
        assert_eq!(body_bytes(res).await, text);
    }
}

#[tokio::test]
async fn adds_to_an_existing_vary_and_does_not_repeat_it() {
    let text = json_text(100);
    let body = text.clone();
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || {
            let mut res = ok_with("text/plain", body.clone());
            res.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("origin"));
            res
        },
    )
    .await;
    let vary: Vec<_> = res.headers().get_all(header::VARY).iter().collect();
    assert_eq!(vary, ["origin", "accept-encoding"]);

    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || {
            let mut res = ok_with("text/plain", text.clone());
            res.headers_mut().insert(
                header::VARY,
                HeaderValue::from_static("Origin, Accept-Encoding"),
            );
            res
        },
    )
    .await;
    let vary: Vec<_> = res.headers().get_all(header::VARY).iter().collect();
    assert_eq!(vary, ["Origin, Accept-Encoding"]);
}

#[tokio::test]
async fn makes_a_strong_etag_weak_and_drops_accept_ranges() {
    let text = json_text(100);
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || {
            let mut res = ok_with("text/plain", text.clone());
            res.headers_mut()
                .insert(header::ETAG, HeaderValue::from_static("\"v1\""));
            res.headers_mut()
                .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            res
        },
    )
    .await;
    assert_eq!(res.headers()[header::ETAG], "W/\"v1\"");
    assert!(!res.headers().contains_key(header::ACCEPT_RANGES));
}

#[tokio::test]
async fn a_large_body_leaves_in_several_frames() {
    let text = json_text(40_000); // about 1.5 MiB
    let body = text.clone();
    let res = send(
        CompressionLayer::new(),
        Method::GET,
        Some("gzip"),
        move || ok_with("application/json", body.clone()),
    )
    .await;
    let mut body = res.into_body();
    let mut compressed = Vec::new();
    let mut frames = 0;
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        assert!(!data.is_empty(), "no empty frames");
        compressed.extend_from_slice(&data);
        frames += 1;
    }
    assert!(frames > 2, "{frames} frames");
    assert_eq!(decode("gzip", &compressed), text.as_bytes());
}

/// A decoder fed as bytes arrive, to see what a client could read so far.
enum StreamDecoder {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Br(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl StreamDecoder {
    fn new(coding: &str) -> Self {
        match coding {
            "gzip" => Self::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            "br" => Self::Br(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            _ => Self::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
        }
    }

    /// Feed `bytes`; returns everything decoded so far.
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Self::Gzip(d) => {
                d.write_all(bytes).unwrap();
                d.flush().unwrap();
                d.get_ref().clone()
            }
            Self::Br(d) => {
                d.write_all(bytes).unwrap();
                d.flush().unwrap();
                d.get_ref().clone()
            }
            Self::Zstd(d) => {
                d.write_all(bytes).unwrap();
                d.flush().unwrap();
                d.get_ref().clone()
            }
        }
    }
}

// Paused time: if the first chunk were held back, the runtime would go idle, the clock
// would jump 60 s and the timeout would fail the test at once (no wall-clock bound).
#[tokio::test(start_paused = true)]
async fn each_chunk_of_a_stream_reaches_the_client_before_the_next_is_produced() {
    for coding in ["gzip", "br", "zstd"] {
        let (tx, rx) = mpsc::channel::<Bytes>(4);
        let rx = std::sync::Mutex::new(Some(rx));
        let service = ServiceBuilder::new()
            .layer(CompressionLayer::new())
            .service_fn(move |_req: Request<()>| {
                let mut rx = rx.lock().unwrap().take().unwrap();
                async move {
                    let chunks = stream::poll_fn(move |cx| {
                        rx.poll_recv(cx)
                            .map(|chunk| chunk.map(|c| Ok::<_, Infallible>(Frame::data(c))))
                    });
                    let res = Response::builder()
                        .header(header::CONTENT_TYPE, "application/x-ndjson")
                        .body(StreamBody::new(chunks))
                        .unwrap();
                    Ok::<_, Infallible>(res)
                }
            });
        let req = Request::builder()
            .header(header::ACCEPT_ENCODING, coding)
            .body(())
            .unwrap();
        let res = service.oneshot(req).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], coding);
        let mut body = res.into_body();
        let mut decoder = StreamDecoder::new(coding);

        tx.send(Bytes::from("{\"event\":1}\n")).await.unwrap();
        let first = tokio::time::timeout(Duration::from_secs(60), body.frame())
            .await
            .expect("the first chunk was held back until the next one")
            .unwrap()
            .unwrap()
            .into_data()
            .unwrap();
        assert_eq!(decoder.feed(&first), b"{\"event\":1}\n", "{coding}");

        tx.send(Bytes::from("{\"event\":2}\n")).await.unwrap();
        drop(tx);
        let mut rest = Vec::new();
        while let Some(frame) = body.frame().await {
            rest.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        assert_eq!(
            decoder.feed(&rest),
            b"{\"event\":1}\n{\"event\":2}\n",
            "{coding}"
        );
    }
}

#[tokio::test]
async fn trailers_follow_the_compressed_data() {
    let text = json_text(100);
    let body_text = text.clone();
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service_fn(move |_req: Request<()>| {
            let mut trailers = HeaderMap::new();
            trailers.insert("grpc-status", HeaderValue::from_static("0"));
            let frames = stream::iter([
                Ok::<_, Infallible>(Frame::data(Bytes::from(body_text.clone()))),
                Ok(Frame::trailers(trailers)),
            ]);
            async move { Ok::<_, Infallible>(Response::new(StreamBody::new(frames))) }
        });
    let req = Request::builder()
        .header(header::ACCEPT_ENCODING, "zstd")
        .body(())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    let collected = res.into_body().collect().await.unwrap();
    assert_eq!(collected.trailers().unwrap()["grpc-status"], "0");
    assert_eq!(decode("zstd", &collected.to_bytes()), text.as_bytes());
}

#[tokio::test]
async fn an_error_from_the_handlers_body_reaches_the_client_side() {
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service_fn(|_req: Request<()>| async {
            let frames = stream::iter([
                Ok(Frame::data(Bytes::from("partial"))),
                Err(std::io::Error::other("database went away")),
            ]);
            Ok::<_, Infallible>(Response::new(StreamBody::new(frames)))
        });
    let req = Request::builder()
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    let err = res.into_body().collect().await.unwrap_err();
    assert_eq!(err.to_string(), "database went away");
}

#[tokio::test]
async fn a_disabled_coding_is_not_used() {
    let layer = CompressionLayer::builder()
        .zstd(false)
        .br(false)
        .build()
        .unwrap();
    let text = json_text(100);
    let res = send(
        layer,
        Method::GET,
        Some("zstd, br, gzip;q=0.1"),
        move || ok_with("text/plain", text.clone()),
    )
    .await;
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
}

#[test]
fn the_builder_refuses_levels_out_of_range_and_no_codings() {
    let err = CompressionLayer::builder()
        .gzip_level(10)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        CompressionError::LevelOutOfRange {
            encoding: Encoding::Gzip,
            level: 10,
            min: 1,
            max: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "gzip compression level 10 is out of range; use 1 to 9 (higher is smaller and slower)"
    );
    assert!(CompressionLayer::builder().br_level(12).build().is_err());
    assert!(CompressionLayer::builder().zstd_level(0).build().is_err());
    assert!(CompressionLayer::builder()
        .gzip_level(1)
        .br_level(11)
        .zstd_level(19)
        .build()
        .is_ok());
    let err = CompressionLayer::builder()
        .gzip(false)
        .br(false)
        .zstd(false)
        .build()
        .unwrap_err();
    assert_eq!(err, CompressionError::NoEncodingEnabled);
}

#[test]
fn the_body_and_future_can_cross_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<CompressionBody<Full<Bytes>>>();
    assert_send::<
        super::ResponseFuture<std::future::Ready<Result<Response<Full<Bytes>>, Infallible>>>,
    >();
}

#[tokio::test]
async fn an_empty_stream_still_ends_as_a_valid_compressed_body() {
    for coding in ["gzip", "br", "zstd"] {
        let service = ServiceBuilder::new()
            .layer(CompressionLayer::new())
            .service_fn(|_req: Request<()>| async {
                let frames = stream::iter(Vec::<Result<Frame<Bytes>, Infallible>>::new());
                Ok::<_, Infallible>(Response::new(StreamBody::new(frames)))
            });
        let req = Request::builder()
            .header(header::ACCEPT_ENCODING, coding)
            .body(())
            .unwrap();
        let res = service.oneshot(req).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], coding);
        let compressed = body_bytes(res).await;
        assert!(!compressed.is_empty(), "{coding}");
        assert!(decode(coding, &compressed).is_empty(), "{coding}");
    }
}
