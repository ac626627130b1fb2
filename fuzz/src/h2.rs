//! HTTP/2 with prior knowledge (h2c) as the fuzzer describes it: the client preface,
//! a SETTINGS frame, optionally one well-formed request, then arbitrary frames.

use crate::hpack::{self, Field};
use libfuzzer_sys::arbitrary::{self, Arbitrary};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a client sends on one h2c connection.
#[derive(Arbitrary, Debug)]
pub struct Conversation {
    /// Whether the client half-closes after writing.
    pub half_close: bool,
    /// Where the bytes are cut into separate writes.
    pub splits: Vec<u16>,
    /// The client's first SETTINGS frame (valid values only).
    pub settings: Vec<Setting>,
    /// A well-formed request on stream 1, sent first.
    pub request: Option<Request>,
    /// Anything after it.
    pub frames: Vec<Frame>,
}

/// A setting with a value the protocol allows.
#[derive(Arbitrary, Debug)]
pub enum Setting {
    /// SETTINGS_HEADER_TABLE_SIZE.
    HeaderTableSize(u32),
    /// SETTINGS_ENABLE_PUSH.
    EnablePush(bool),
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    MaxConcurrentStreams(u32),
    /// SETTINGS_INITIAL_WINDOW_SIZE (at most 2^31 - 1).
    InitialWindowSize(u32),
    /// SETTINGS_MAX_FRAME_SIZE (2^14 to 2^24 - 1).
    MaxFrameSize(u32),
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    MaxHeaderListSize(u32),
    /// An unknown identifier, which must be ignored.
    Unknown(u16, u32),
}

/// A well-formed request (GET without a body, or POST with one).
#[derive(Arbitrary, Debug)]
pub struct Request {
    path: Vec<u8>,
    body: Option<Vec<u8>>,
}

/// A stream identifier.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Stream {
    /// The connection (0).
    Zero,
    /// A client stream: 2n + 1.
    Client(u8),
    /// Any 32 bits, the reserved bit included.
    Any(u32),
}

/// One frame, any type, any flags.
#[derive(Arbitrary, Debug)]
#[allow(missing_docs)]
pub enum Frame {
    Data {
        stream: Stream,
        end_stream: bool,
        pad: Option<u8>,
        data: Vec<u8>,
    },
    Headers {
        stream: Stream,
        end_stream: bool,
        end_headers: bool,
        pad: Option<u8>,
        priority: Option<(u32, u8)>,
        block: Vec<Field>,
    },
    Priority {
        stream: Stream,
        depends_on: u32,
        weight: u8,
    },
    RstStream {
        stream: Stream,
        code: u32,
    },
    Settings {
        ack: bool,
        params: Vec<(u16, u32)>,
    },
    PushPromise {
        stream: Stream,
        promised: u32,
        block: Vec<Field>,
    },
    Ping {
        ack: bool,
        data: u64,
    },
    GoAway {
        last: u32,
        code: u32,
        debug: Vec<u8>,
    },
    WindowUpdate {
        stream: Stream,
        increment: u32,
    },
    Continuation {
        stream: Stream,
        end_headers: bool,
        block: Vec<Field>,
    },
    Unknown {
        kind: u8,
        flags: u8,
        stream: Stream,
        payload: Vec<u8>,
    },
}

const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;
const ACK: u8 = 0x1;

impl Stream {
    fn id(self) -> u32 {
        match self {
            Stream::Zero => 0,
            Stream::Client(n) => 2 * u32::from(n) + 1,
            Stream::Any(n) => n,
        }
    }
}

/// Writes one frame: the 9-byte header, then `payload`.
pub fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len().min(0xff_ffff) as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(&payload[..len as usize]);
}

fn block(fields: &[Field]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields.iter().take(64) {
        f.render(&mut out);
    }
    out
}

fn padded(flags: &mut u8, pad: Option<u8>, body: Vec<u8>) -> Vec<u8> {
    match pad {
        None => body,
        Some(n) => {
            *flags |= PADDED;
            let mut p = vec![n];
            p.extend_from_slice(&body);
            p.extend(std::iter::repeat(0).take(usize::from(n)));
            p
        }
    }
}

impl Setting {
    fn pair(&self) -> (u16, u32) {
        match *self {
            Setting::HeaderTableSize(v) => (1, v),
            Setting::EnablePush(b) => (2, u32::from(b)),
            Setting::MaxConcurrentStreams(v) => (3, v),
            Setting::InitialWindowSize(v) => (4, v & 0x7fff_ffff),
            Setting::MaxFrameSize(v) => (5, 16_384 + v % (16_777_215 - 16_384 + 1)),
            Setting::MaxHeaderListSize(v) => (6, v),
            // 8 is SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441), which the h2 crate knows
            // and checks: only 0 or 1 are allowed (any other value is a connection error).
            Setting::Unknown(id, v) => match id.max(7) {
                8 => (8, v & 1),
                id => (id, v),
            },
        }
    }
}

fn settings(out: &mut Vec<u8>, flags: u8, params: impl Iterator<Item = (u16, u32)>) {
    let mut payload = Vec::new();
    for (id, v) in params.take(32) {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&v.to_be_bytes());
    }
    frame(out, 0x4, flags, 0, &payload);
}

impl Frame {
    fn render(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Data {
                stream,
                end_stream,
                pad,
                data,
            } => {
                let mut flags = if *end_stream { END_STREAM } else { 0 };
                let payload = padded(&mut flags, *pad, data.clone());
                frame(out, 0x0, flags, stream.id(), &payload);
            }
            Frame::Headers {
                stream,
                end_stream,
                end_headers,
                pad,
                priority,
                block: b,
            } => {
                let mut flags = 0;
                if *end_stream {
                    flags |= END_STREAM;
                }
                if *end_headers {
                    flags |= END_HEADERS;
                }
                let mut body = Vec::new();
                if let Some((dep, weight)) = priority {
                    flags |= PRIORITY;
                    body.extend_from_slice(&dep.to_be_bytes());
                    body.push(*weight);
                }
                body.extend(block(b));
                let payload = padded(&mut flags, *pad, body);
                frame(out, 0x1, flags, stream.id(), &payload);
            }
            Frame::Priority {
                stream,
                depends_on,
                weight,
            } => {
                let mut p = depends_on.to_be_bytes().to_vec();
                p.push(*weight);
                frame(out, 0x2, 0, stream.id(), &p);
            }
            Frame::RstStream { stream, code } => {
                frame(out, 0x3, 0, stream.id(), &code.to_be_bytes())
            }
            Frame::Settings { ack, params } => {
                settings(out, if *ack { ACK } else { 0 }, params.iter().copied())
            }
            Frame::PushPromise {
                stream,
                promised,
                block: b,
            } => {
                let mut p = promised.to_be_bytes().to_vec();
                p.extend(block(b));
                frame(out, 0x5, END_HEADERS, stream.id(), &p);
            }
            Frame::Ping { ack, data } => {
                frame(out, 0x6, if *ack { ACK } else { 0 }, 0, &data.to_be_bytes())
            }
            Frame::GoAway { last, code, debug } => {
                let mut p = last.to_be_bytes().to_vec();
                p.extend_from_slice(&code.to_be_bytes());
                p.extend_from_slice(debug);
                frame(out, 0x7, 0, 0, &p);
            }
            Frame::WindowUpdate { stream, increment } => {
                frame(out, 0x8, 0, stream.id(), &increment.to_be_bytes())
            }
            Frame::Continuation {
                stream,
                end_headers,
                block: b,
            } => {
                let flags = if *end_headers { END_HEADERS } else { 0 };
                frame(out, 0x9, flags, stream.id(), &block(b));
            }
            Frame::Unknown {
                kind,
                flags,
                stream,
                payload,
            } => frame(out, *kind, *flags, stream.id(), payload),
        }
    }
}

impl Request {
    fn render(&self, out: &mut Vec<u8>) {
        let mut b = Vec::new();
        let method: &[u8] = if self.body.is_some() { b"POST" } else { b"GET" };
        hpack::literal(&mut b, b":method", method);
        hpack::literal(&mut b, b":scheme", b"http");
        let mut path = b"/".to_vec();
        path.extend(crate::from_alphabet(
            &self.path,
            b"abcdefghijklmnopqrstuvwxyz0123456789-._~/",
        ));
        hpack::literal(&mut b, b":path", &path);
        hpack::literal(&mut b, b":authority", b"example.com");
        match &self.body {
            None => frame(out, 0x1, END_HEADERS | END_STREAM, 1, &b),
            Some(body) => {
                frame(out, 0x1, END_HEADERS, 1, &b);
                // Within the default 64 KiB window and 16 KiB frame size.
                frame(out, 0x0, END_STREAM, 1, &body[..body.len().min(4096)]);
            }
        }
    }
}

impl Conversation {
    /// The bytes the client sends.
    pub fn render(&self) -> Vec<u8> {
        let mut out = PREFACE.to_vec();
        settings(&mut out, 0, self.settings.iter().map(Setting::pair));
        if let Some(r) = &self.request {
            r.render(&mut out);
        }
        for f in self.frames.iter().take(64) {
            f.render(&mut out);
        }
        out
    }
}

/// Checks what the server wrote: whole frames, its SETTINGS first; and when the
/// client sent only a well-formed request, a HEADERS frame answering it with 200.
pub fn check(conv: &Conversation, out: &[u8]) {
    let mut pos = 0;
    let mut first = true;
    let mut answered = false;
    let mut seen = Vec::new();
    while pos < out.len() {
        assert!(
            out.len() - pos >= 9,
            "a partial frame header at {pos}: {:?}",
            &out[pos..]
        );
        let len = usize::from(out[pos]) << 16
            | usize::from(out[pos + 1]) << 8
            | usize::from(out[pos + 2]);
        let (kind, flags) = (out[pos + 3], out[pos + 4]);
        let stream = u32::from_be_bytes([out[pos + 5], out[pos + 6], out[pos + 7], out[pos + 8]]);
        let payload = &out[pos + 9..];
        assert!(
            payload.len() >= len,
            "a partial frame (type {kind}) at {pos}"
        );
        seen.push((
            kind,
            flags,
            stream,
            out[pos + 9..pos + 9 + len]
                .iter()
                .take(24)
                .copied()
                .collect::<Vec<u8>>(),
        ));
        if first {
            assert!(
                kind == 0x4 && stream == 0 && flags & ACK == 0,
                "the server did not start with SETTINGS"
            );
            first = false;
        }
        // HEADERS on stream 1 whose block starts with `:status: 200` (static index 8),
        // after the table size updates the client's SETTINGS may call for.
        if kind == 0x1 && stream == 1 && flags & (PADDED | PRIORITY) == 0 {
            answered |= skip_size_updates(&payload[..len]).first() == Some(&0x88);
        }
        pos += 9 + len;
    }
    if conv.request.is_some() && conv.frames.is_empty() && !conv.half_close {
        assert!(
            answered,
            "a well-formed request on stream 1 got no 200 HEADERS; the server wrote (type, flags, stream, payload start) {seen:?} for {conv:?}"
        );
    }
}

/// `block` past its leading dynamic table size updates (`001xxxxx` + integer).
fn skip_size_updates(mut block: &[u8]) -> &[u8] {
    while let Some(&b) = block.first() {
        if b & 0xe0 != 0x20 {
            break;
        }
        let mut n = 1;
        if b & 0x1f == 0x1f {
            // Continuation bytes of the integer: high bit set on all but the last.
            while block.get(n).is_some_and(|c| c & 0x80 != 0) {
                n += 1;
            }
            n += 1;
        }
        block = block.get(n..).unwrap_or_default();
    }
    block
}
