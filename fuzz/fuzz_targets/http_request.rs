//! HTTP/1 requests into the real engine (`cello_http::Http::serve_connection` over an
//! in-memory stream): pipelined requests built from a structured description (method,
//! target, version, Host, headers, framing, body, line endings), then raw bytes, cut
//! into several writes. The server must never panic; it must answer the well-formed
//! requests in order with their echoed bodies, refuse the ones DESIGN's bad-input
//! table fixes (413, 400 for Content-Length with Transfer-Encoding) and then close,
//! and write nothing but well-formed HTTP/1 responses.

#![no_main]

use cello_fuzz::{h1, h1_check, split_writes, wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|conv: h1::Conversation| {
    let mut sent = Vec::new();
    for r in conv.requests.iter().take(16) {
        r.render(&mut sent);
    }
    sent.extend_from_slice(&conv.tail);
    let out = wire::converse(&split_writes(&sent, &conv.splits), conv.half_close);
    h1_check::check(&conv, &sent, &out);
});
