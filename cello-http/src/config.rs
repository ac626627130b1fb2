//! Limits and timeouts, each configurable, with defaults a public server can use.

use http::HeaderValue;
use std::time::Duration;

/// What one connection may ask of the server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request header section, in bytes (request line included). Past it: 431.
    /// HTTP/1 reads into a buffer of this size, which hyper will not make smaller than
    /// 8 KiB. Default 16 KiB.
    pub max_header_bytes: usize,
    /// Most header fields in one request. Past it: 431. Default 100.
    pub max_headers: usize,
    /// Largest request body, in bytes, checked while the body streams in. Past it: 413.
    /// Default 1 MiB.
    pub max_body_bytes: u64,
    /// Largest `multipart/form-data` request body (uploads), in bytes, in place of
    /// `max_body_bytes` for those requests; past it: 413. None (the default): uploads
    /// have `max_body_bytes` like any other body.
    pub max_multipart_body_bytes: Option<u64>,
    /// A client must send the whole header section within this time, or the connection
    /// is closed. Default 10 s.
    pub header_read_timeout: Duration,
    /// An idle keep-alive connection (no request in flight, no bytes moving) is closed
    /// after this time. Default 5 s.
    pub keep_alive_timeout: Duration,
    /// Most time between two reads of a request body that bring data, once the handler
    /// waits for it. Past it the body read fails with a timeout: 408 and the connection
    /// closes. Default 10 s.
    pub body_read_timeout: Duration,
    /// The whole request body must arrive within this time of the first read that has
    /// to wait for it (the head has `header_read_timeout`), or the body read fails with
    /// a timeout (408, connection closed). Raise it with `max_body_bytes` for large
    /// uploads over slow links. Default 60 s.
    pub request_read_timeout: Duration,
    /// Least average rate of a request body, in bytes a second, judged once it has been
    /// arriving for `body_read_timeout`; slower → 408. 0 turns it off (the default:
    /// `request_read_timeout` already bounds a trickle).
    pub min_body_rate: u64,
    /// A response write that makes no progress for this long (a client that stopped
    /// reading) closes the connection. Default 30 s.
    pub write_timeout: Duration,
    /// Accept HTTP/2 with prior knowledge (h2c) next to HTTP/1.1. Default on.
    pub http2: bool,
    /// Accept HTTP/1.x. Off (with `http2` on), an HTTP/1 request is answered 505 and
    /// the connection closed: an HTTP/2-only server. Default on.
    pub http1: bool,
    /// HTTP/2: most streams (requests) a client may have open at once on one
    /// connection. Default 200 (hyper's).
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2: the flow-control window of each stream, in bytes: how much of a
    /// request body a client may send before the handler reads it. Default 1 MiB.
    pub h2_initial_stream_window: u32,
    /// HTTP/2: the flow-control window of the whole connection, in bytes. Default 1 MiB.
    pub h2_initial_connection_window: u32,
    /// HTTP/2: the largest header list a client may send (`SETTINGS_MAX_HEADER_LIST_SIZE`);
    /// None (the default) takes `max_header_bytes`.
    pub h2_max_header_list_size: Option<u32>,
    /// The `Server` header on every response. Default `cello`.
    pub server_header: HeaderValue,
    /// Batch the responses to pipelined HTTP/1.1 requests into one write. Off by
    /// default: with it on, hyper 1.12 closes a connection that sent a malformed
    /// request without writing the 400 first.
    pub pipeline_flush: bool,
    /// Answer a request whose declared `Content-Length` is over `max_body_bytes` with
    /// 413 at once, before the service sees it (the default). Off, the service gets
    /// the request with a body whose first read fails with the 413 error, and the
    /// connection closes after the response: for an app that answers its errors
    /// itself (its own error format, its middleware's headers).
    pub early_body_limit: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            max_body_bytes: 1024 * 1024,
            max_multipart_body_bytes: None,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(10),
            request_read_timeout: Duration::from_secs(60),
            min_body_rate: 0,
            write_timeout: Duration::from_secs(30),
            http2: true,
            http1: true,
            h2_max_concurrent_streams: 200,
            h2_initial_stream_window: 1024 * 1024,
            h2_initial_connection_window: 1024 * 1024,
            h2_max_header_list_size: None,
            server_header: HeaderValue::from_static("cello"),
            pipeline_flush: false,
            early_body_limit: true,
        }
    }
}
