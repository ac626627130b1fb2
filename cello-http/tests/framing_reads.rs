//! The framing guard through hyper with the server's reads cut at random: generated
//! pipelines of valid requests (bodies with a length, chunked bodies with extensions
//! and trailers, bodies that look like heads, HTTP/1.2) are all served in order, and a
//! request framed two ways at the end is the one refused, however the bytes arrive.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use cello_http::{Http, HttpConfig};
use cello_net::Shutdown;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The server's end of the pipe, handing out at most a random few bytes per read.
struct Chopped {
    inner: DuplexStream,
    rng: Rng,
    max: usize,
}

impl AsyncRead for Chopped {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut tmp = [0u8; 64];
        let n = (1 + this.rng.below(this.max)).min(buf.remaining());
        let mut part = ReadBuf::new(&mut tmp[..n]);
        let res = Pin::new(&mut this.inner).poll_read(cx, &mut part);
        buf.put_slice(part.filled());
        res
    }
}

impl AsyncWrite for Chopped {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, b)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Body bytes that look like framing to anything reading raw bytes.
const LOOKALIKES: &[&[u8]] = &[
    b"Content-Length: 1\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"\r\n\r\n",
    b"0\r\n\r\n",
    b"GET / HTTP/2.0\r\n",
    b"plain",
];

/// One valid request and the body `/echo` answers with (`Hello, World!` for `/hello`).
fn request(rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let version = if rng.below(4) == 0 {
        "HTTP/1.2"
    } else {
        "HTTP/1.1"
    };
    let eol = if rng.below(5) == 0 { "\n" } else { "\r\n" };
    let lead = if rng.below(6) == 0 { "\r\n" } else { "" };
    let mut body = Vec::new();
    for _ in 0..rng.below(4) {
        body.extend_from_slice(LOOKALIKES[rng.below(LOOKALIKES.len())]);
    }
    match rng.below(3) {
        0 => {
            let raw = format!("{lead}GET /hello {version}{eol}Host: x{eol}{eol}");
            (raw.into_bytes(), b"Hello, World!".to_vec())
        }
        1 => {
            let mut raw = format!(
                "{lead}POST /echo {version}{eol}Host: x{eol}Content-Length: {}{eol}{eol}",
                body.len()
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            (raw, body)
        }
        _ => {
            let mut raw = format!(
                "{lead}POST /echo {version}{eol}Host: x{eol}Transfer-Encoding: chunked{eol}{eol}"
            )
            .into_bytes();
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = 1 + rng.below(rest.len());
                let ext = [";a=b", " ; x=\"y\"", "", ""][rng.below(4)];
                raw.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
                raw.extend_from_slice(&rest[..n]);
                raw.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            raw.extend_from_slice(b"0\r\n");
            if rng.below(2) == 0 {
                raw.extend_from_slice(b"X-Trailer: Content-Length: 3\r\n");
            }
            raw.extend_from_slice(b"\r\n");
            (raw, body)
        }
    }
}

/// Splits what the server wrote into (status line, body) pairs.
fn responses(mut out: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    while !out.is_empty() {
        let end = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete head");
        let head = String::from_utf8_lossy(&out[..end]).into_owned();
        let len: usize =
            header(&format!("{head}\r\n\r\n"), "content-length").map_or(0, |v| v.parse().unwrap());
        let status = head.lines().next().unwrap_or_default().to_string();
        all.push((status, out[end + 4..end + 4 + len].to_vec()));
        out = &out[end + 4 + len..];
    }
    all
}

use support::header;

#[test]
fn serves_every_generated_pipeline_in_order_and_refuses_only_the_request_framed_two_ways() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let mut rng = Rng(0x5eed_cafe_f00d);
    for round in 0..150 {
        let mut input = Vec::new();
        let mut bodies = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let (raw, body) = request(&mut rng);
            input.extend_from_slice(&raw);
            bodies.push(body);
        }
        input.extend_from_slice(
            b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Pad: 1\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        );
        input.extend_from_slice(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        let max = [1, 3, 7, 64][round % 4];
        let seed = rng.next() | 1;
        let out = local.block_on(&rt, async {
            let (mut client, server) = tokio::io::duplex(1 << 20);
            let server = Chopped {
                inner: server,
                rng: Rng(seed),
                max,
            };
            let conn = tokio::task::spawn_local(async move {
                Http::new(HttpConfig::default())
                    .serve_connection(server, tower::service_fn(support::app), Shutdown::new())
                    .await
            });
            client.write_all(&input).await.unwrap();
            let mut out = Vec::new();
            client.read_to_end(&mut out).await.unwrap();
            conn.await.unwrap();
            out
        });
        let got = responses(&out);
        let show = || String::from_utf8_lossy(&input).into_owned();
        assert_eq!(
            got.len(),
            bodies.len() + 1,
            "round {round}, {got:?}: {:?}",
            show()
        );
        for ((status, body), want) in got.iter().zip(&bodies) {
            assert_eq!(status, "HTTP/1.1 200 OK", "round {round}: {:?}", show());
            assert_eq!(body, want, "round {round}: {:?}", show());
        }
        assert!(
            got[bodies.len()].0.starts_with("HTTP/1.1 400"),
            "round {round}: {got:?}"
        );
    }
}
