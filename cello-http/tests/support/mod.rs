//! A real server on a free port, and a raw-socket client that shows exactly what the
//! server wrote.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use cello_http::{Body, Http, HttpConfig, IntoResponse, Request, Response};
use cello_net::{bind_tcp, run_local, serve, Listener, ServeConfig, Shutdown, TcpOptions};
use http::StatusCode;
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct TestServer {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The test app: `/hello`, `/echo` (reads the body), `/panic`, `/slow` (200 ms),
/// `/big` (32 MiB, more than the kernel buffers on both ends), `/block` (blocks the
/// worker thread for 200 ms), `/authority` (the request's, or `-`), `/status/<code>`
/// (body `s` with that status).
pub async fn app(req: Request) -> Result<Response, Infallible> {
    if let Some(code) = req.uri().path().strip_prefix("/status/") {
        let mut res = "s".into_response();
        *res.status_mut() = StatusCode::from_bytes(code.as_bytes()).unwrap();
        return Ok(res);
    }
    Ok(match req.uri().path() {
        "/authority" => cello_http::host::authority(req.uri(), req.headers())
            .unwrap_or("-")
            .to_string()
            .into_response(),
        "/hello" => "Hello, World!".into_response(),
        "/echo" => match req.into_body().to_bytes().await {
            Ok(b) => Response::new(Body::full(b)),
            Err(e) => e.into_response(),
        },
        "/panic" => panic!("boom"),
        "/big" => Response::new(Body::full(vec![b'x'; 32 << 20])),
        "/block" => {
            std::thread::sleep(Duration::from_millis(200));
            "blocked".into_response()
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            "slow done".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    })
}

pub fn start(config: HttpConfig) -> TestServer {
    start_with(config, ServeConfig::default())
}

pub fn start_with(config: HttpConfig, serve_cfg: ServeConfig) -> TestServer {
    let std_listener = bind_tcp("127.0.0.1:0".parse().unwrap(), &TcpOptions::default()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let sd = shutdown.clone();
    let thread = std::thread::spawn(move || {
        run_local(async move {
            let listener = Listener::from_std_tcp(std_listener).unwrap();
            let http = Http::new(config);
            serve(listener, serve_cfg, sd, move |stream, _peer, sd| {
                let http = http.clone();
                async move {
                    http.serve_connection(stream, tower::service_fn(app), sd)
                        .await
                }
            })
            .await;
        })
        .unwrap();
    });
    TestServer {
        addr,
        shutdown,
        thread: Some(thread),
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Sends `raw` and reads until the server closes the connection (or 5 s pass).
pub fn exchange_until_close(addr: SocketAddr, raw: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(raw).unwrap();
    read_to_close(&mut s)
}

pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "read failed before the server closed: {e}; got {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads exactly `n` complete responses (with Content-Length bodies).
pub fn read_responses(s: &mut TcpStream, n: usize) -> Vec<String> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut tmp = [0u8; 8192];
    while out.len() < n {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let cl = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + cl {
                let whole: Vec<u8> = buf.drain(..end + 4 + cl).collect();
                out.push(String::from_utf8_lossy(&whole).into_owned());
                continue;
            }
        }
        let k = s.read(&mut tmp).unwrap();
        assert!(k > 0, "server closed after {} responses", out.len());
        buf.extend_from_slice(&tmp[..k]);
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
