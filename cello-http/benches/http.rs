//! One keep-alive HTTP/1.1 round trip through cello-http, against bare hyper.
//!
//! `cargo bench -p cello-http --bench http -- --warm-up-time 1 --measurement-time 3`
//!
//! No sockets: the client and the server share an in-memory `tokio::io::duplex` pipe on
//! one current-thread runtime, and the connection is opened once per benchmark, so
//! what is timed is the HTTP engine alone: parse the request, call the service, write
//! the response. The gap between `cello-http` and `raw hyper` is what cello-http adds on
//! top of hyper: the `Server` header, the body limit and the framing guard, idle
//! tracking, catching panics, and the version sniffing of `hyper_util`'s auto builder.
//! `hyper + header timeout` sits in between: hyper configured with cello-http's
//! header-read timeout, which makes hyper arm a timer for every request.

use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use cello_http::response::json_bytes;
use cello_http::{Http, HttpConfig, Request};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;
use tokio::task::LocalSet;

const REQUEST: &[u8] = b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n";
const BODY: &[u8] = br#"{"message":"Hello, World!"}"#;
const PIPELINE_DEPTH: usize = 16;

/// The server under test: cello-http with its default configuration.
async fn serve_cello(io: DuplexStream) {
    let service = tower::service_fn(|_req: Request| async {
        Ok::<_, Infallible>(json_bytes(StatusCode::OK, Bytes::from_static(BODY)))
    });
    Http::new(HttpConfig::default())
        .serve_connection(io, service, cello_net::Shutdown::new())
        .await;
}

/// The baseline: the same answer from hyper's HTTP/1 server with nothing around it.
async fn serve_hyper(io: DuplexStream) {
    serve_hyper_with(io, http1::Builder::new()).await;
}

/// hyper with the header-read timeout cello-http sets: hyper then arms a timer for
/// every request. That part of the gap is hyper's cost, not cello-http's code.
async fn serve_hyper_header_timeout(io: DuplexStream) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HttpConfig::default().header_read_timeout);
    serve_hyper_with(io, builder).await;
}

async fn serve_hyper_with(io: DuplexStream, builder: http1::Builder) {
    let service = hyper::service::service_fn(|_req| async {
        let mut res = http::Response::new(Full::new(Bytes::from_static(BODY)));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok::<_, Infallible>(res)
    });
    if let Err(e) = builder.serve_connection(TokioIo::new(io), service).await {
        panic!("hyper connection failed: {e}");
    }
}

/// One open connection: the runtime that drives it, the server task and the client end.
struct Connection {
    rt: Runtime,
    local: LocalSet,
    client: Client,
}

impl Connection {
    /// Spawns `serve` on one end of a fresh pipe and checks one round trip.
    fn open<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(DuplexStream) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
        let local = LocalSet::new();
        let (client_io, server_io) = duplex(64 * 1024);
        local.spawn_local(serve(server_io));
        let mut conn = Connection {
            rt,
            local,
            client: Client::new(client_io),
        };
        conn.time(1, REQUEST);
        conn
    }

    /// Time taken by `iters` round trips, each writing `requests` at once and reading
    /// one response per request in it.
    fn time(&mut self, iters: u64, requests: &[u8]) -> Duration {
        let count = requests.len() / REQUEST.len();
        let Connection { rt, local, client } = self;
        local.block_on(rt, async {
            let start = Instant::now();
            for _ in 0..iters {
                client.send(requests).await;
                for _ in 0..count {
                    client.read_response().await;
                }
            }
            start.elapsed()
        })
    }
}

/// The client end of the pipe, with what it has read but not yet consumed.
struct Client {
    io: DuplexStream,
    buf: BytesMut,
}

impl Client {
    fn new(io: DuplexStream) -> Self {
        Client {
            io,
            buf: BytesMut::with_capacity(64 * 1024),
        }
    }

    async fn send(&mut self, requests: &[u8]) {
        if let Err(e) = self.io.write_all(requests).await {
            panic!("server hung up: {e}");
        }
    }

    /// Reads until one whole `200 OK` response with our body is buffered, then
    /// consumes it (a pipelined response after it stays in the buffer).
    async fn read_response(&mut self) {
        let len = loop {
            if let Some(len) = complete_response_len(&self.buf) {
                break len;
            }
            match self.io.read_buf(&mut self.buf).await {
                Ok(0) => panic!("server closed the connection mid-benchmark"),
                Ok(_) => {}
                Err(e) => panic!("read failed: {e}"),
            }
        };
        assert!(
            self.buf.starts_with(b"HTTP/1.1 200 ") && self.buf[..len].ends_with(BODY),
            "unexpected response: {:?}",
            String::from_utf8_lossy(&self.buf[..len])
        );
        self.buf.advance(len);
    }
}

/// The length of the first response in `buf` if all of it is there: the header
/// section, then as many body bytes as its `Content-Length` says.
fn complete_response_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let body_len = buf[..head_end]
        .split(|&b| b == b'\n')
        .find_map(|line| {
            let (name, value) = line.split_at_checked(b"content-length:".len())?;
            name.eq_ignore_ascii_case(b"content-length:")
                .then_some(value)
        })
        .and_then(|value| {
            std::str::from_utf8(value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("response without a Content-Length"));
    let len = head_end + body_len;
    (buf.len() >= len).then_some(len)
}

/// Benchmarks cello-http, hyper with the same header timeout and raw hyper side by
/// side, each request batch being `requests` written at once.
fn compare(group: &mut BenchmarkGroup<'_, WallTime>, requests: &[u8]) {
    bench_server(group, "cello-http", serve_cello, requests);
    bench_server(
        group,
        "hyper + header timeout",
        serve_hyper_header_timeout,
        requests,
    );
    bench_server(group, "raw hyper", serve_hyper, requests);
}

/// Opens one connection to `serve` and times batches of `requests` over it.
fn bench_server<F, Fut>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    serve: F,
    requests: &[u8],
) where
    F: FnOnce(DuplexStream) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let mut conn = Connection::open(serve);
    group.bench_function(name, |b| b.iter_custom(|iters| conn.time(iters, requests)));
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("keep-alive round trip");
    group.throughput(Throughput::Elements(1));
    compare(&mut group, REQUEST);
    group.finish();
}

fn pipelined(c: &mut Criterion) {
    let requests = REQUEST.repeat(PIPELINE_DEPTH);
    let mut group = c.benchmark_group(format!("pipelined x{PIPELINE_DEPTH}"));
    group.throughput(Throughput::Elements(PIPELINE_DEPTH as u64));
    compare(&mut group, &requests);
    group.finish();
}

criterion_group!(benches, round_trip, pipelined);
criterion_main!(benches);
