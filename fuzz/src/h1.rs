//! An HTTP/1 request as the fuzzer describes it, and its rendering to bytes.
//!
//! Each part is either one of a few well-formed choices or raw bytes, so a mutation
//! can make a request slightly wrong (a second `Host`, `chunked` twice, a length one
//! off, a bare LF) while the rest stays valid enough to reach the code behind it.
//! [`Request::expect`] says what the server must answer when the request is one of
//! the shapes whose answer is fixed.

use crate::from_alphabet;
use crate::wire::MAX_BODY;
use libfuzzer_sys::arbitrary::{self, Arbitrary};

/// What a client sends on one connection: pipelined requests, then raw bytes.
#[derive(Arbitrary, Debug)]
pub struct Conversation {
    /// Whether the client half-closes after writing (else the server's idle timer
    /// ends the connection).
    pub half_close: bool,
    /// Where the bytes are cut into separate writes.
    pub splits: Vec<u16>,
    /// The requests, one after another on the connection.
    pub requests: Vec<Request>,
    /// Raw bytes after the requests (the whole input when there are none).
    pub tail: Vec<u8>,
}

/// One request.
#[derive(Arbitrary, Debug)]
pub struct Request {
    method: Method,
    target: Target,
    version: Version,
    host: Host,
    headers: Vec<Header>,
    framing: Framing,
    body: Vec<u8>,
    eol: Eol,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Patch,
    Options,
    Trace,
    Connect,
    Pri,
    Lower,
    Raw(u8),
}

#[derive(Arbitrary, Debug)]
enum Target {
    Path(Vec<u8>),
    Asterisk,
    Absolute(Vec<u8>),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, PartialEq)]
enum Version {
    Http11,
    Http10,
    /// No version: an HTTP/0.9 request line.
    None,
    Http20,
    Http12,
    Http21,
    Lower,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Host {
    One(Vec<u8>),
    Missing,
    Twice(Vec<u8>, Vec<u8>),
    Empty,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Header {
    name: Name,
    sep: Sep,
    value: Value,
}

#[derive(Arbitrary, Debug)]
enum Name {
    /// An ordinary header, from [`PLAIN_NAMES`].
    Plain(u8),
    /// One that changes framing or the connection, from [`SPECIAL_NAMES`].
    Special(u8),
    Token(Vec<u8>),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, PartialEq)]
enum Sep {
    Colon,
    ColonNoSpace,
    SpaceBeforeColon,
    /// An obsolete line fold inside the value.
    Fold,
}

#[derive(Arbitrary, Debug)]
enum Value {
    Text(Vec<u8>),
    Known(u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Framing {
    None,
    Length,
    LengthOff(i8),
    Chunked(Chunking),
    LengthAndChunked,
    TwoLengths(bool),
    ChunkedTwice,
    GzipChunked,
    LengthRaw(Vec<u8>),
    TransferRaw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Chunking {
    sizes: Vec<u8>,
    ext: bool,
    upper: bool,
    trailers: Vec<Header>,
    bad_size: Option<Vec<u8>>,
}

#[derive(Arbitrary, Debug, PartialEq)]
enum Eol {
    Crlf,
    Lf,
    /// CRLF on the request line, bare LF on the headers.
    Mixed,
}

const PLAIN_NAMES: &[&str] = &[
    "Accept",
    "User-Agent",
    "Cookie",
    "X-Request-Id",
    "Accept-Encoding",
    "Content-Type",
    "Cache-Control",
    "Referer",
    "Origin",
    "Authorization",
    "X-Forwarded-For",
    "If-None-Match",
];
const SPECIAL_NAMES: &[&str] = &[
    "Connection",
    "Expect",
    "Transfer-Encoding",
    "Content-Length",
    "Upgrade",
    "TE",
    "Keep-Alive",
    "Host",
    "Trailer",
    "Proxy-Connection",
    "HTTP2-Settings",
];
const KNOWN_VALUES: &[&str] = &[
    "close",
    "keep-alive",
    "100-continue",
    "chunked",
    "gzip, chunked",
    "chunked, chunked",
    "identity",
    "h2c",
    "Upgrade, HTTP2-Settings",
    "0",
    "-1",
    "+5",
    "18446744073709551616",
    "1, 1",
    "AAMAAABkAARAAAAAAAIAAAAA",
];
/// Path characters that need no escaping (no `%`: raw targets cover escapes).
const PATH: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=:@?";
const HOST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789.-";
const TCHAR: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
/// Visible ASCII and space, without a leading or trailing space after mapping
/// mattering: httparse trims them.
const VCHAR: &[u8] = b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// What the server must answer to a request, when that is fixed.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// 200 with the request's body echoed (no body for HEAD); the connection stays open.
    Echo {
        /// Whether the request was HEAD.
        head: bool,
        /// The body the client sent.
        body: Vec<u8>,
    },
    /// This status, then the connection closes.
    StatusThenClose(u16),
    /// Not fixed by the harness: any well-formed answer, or none.
    Unknown,
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

impl Request {
    fn eol_line(&self) -> &'static [u8] {
        if self.eol == Eol::Lf {
            b"\n"
        } else {
            b"\r\n"
        }
    }

    fn eol_header(&self) -> &'static [u8] {
        if self.eol == Eol::Crlf {
            b"\r\n"
        } else {
            b"\n"
        }
    }

    fn body(&self) -> &[u8] {
        &self.body[..self.body.len().min(2 * MAX_BODY as usize)]
    }

    /// Appends the request's bytes to `out`.
    pub fn render(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.method {
            Method::Get => b"GET",
            Method::Head => b"HEAD",
            Method::Post => b"POST",
            Method::Put => b"PUT",
            Method::Delete => b"DELETE",
            Method::Patch => b"PATCH",
            Method::Options => b"OPTIONS",
            Method::Trace => b"TRACE",
            Method::Connect => b"CONNECT",
            Method::Pri => b"PRI",
            Method::Lower => b"get",
            Method::Raw(_) => b"",
        });
        if let Method::Raw(b) = self.method {
            out.push(b);
        }
        out.push(b' ');
        match &self.target {
            Target::Path(p) => {
                out.push(b'/');
                out.extend(from_alphabet(p, PATH));
            }
            Target::Asterisk => out.push(b'*'),
            Target::Absolute(p) => {
                out.extend_from_slice(b"http://example.com/");
                out.extend(from_alphabet(p, PATH));
            }
            Target::Raw(r) => out.extend_from_slice(r),
        }
        match &self.version {
            Version::None => {}
            v => {
                out.push(b' ');
                out.extend_from_slice(match v {
                    Version::Http11 => b"HTTP/1.1",
                    Version::Http10 => b"HTTP/1.0",
                    Version::Http20 => b"HTTP/2.0",
                    Version::Http12 => b"HTTP/1.2",
                    Version::Http21 => b"HTTP/2.1",
                    Version::Lower => b"http/1.1",
                    Version::Raw(r) => r,
                    Version::None => b"",
                });
            }
        }
        out.extend_from_slice(self.eol_line());
        let eol = self.eol_header();
        let field = |out: &mut Vec<u8>, name: &[u8], value: &[u8]| {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(eol);
        };
        match &self.host {
            Host::One(h) => field(out, b"Host", &from_alphabet_or(h, HOST, b"x")),
            Host::Missing => {}
            Host::Twice(a, b) => {
                field(out, b"Host", &from_alphabet_or(a, HOST, b"x"));
                field(out, b"Host", &from_alphabet_or(b, HOST, b"y"));
            }
            Host::Empty => field(out, b"Host", b""),
            Host::Raw(r) => field(out, b"Host", r),
        }
        for h in self.headers.iter().take(120) {
            h.render(out, eol);
        }
        let body = self.body();
        let len = body.len().to_string();
        match &self.framing {
            Framing::None => {}
            Framing::Length => field(out, b"Content-Length", len.as_bytes()),
            Framing::LengthOff(d) => {
                let off = (body.len() as i64 + i64::from(*d)).to_string();
                field(out, b"Content-Length", off.as_bytes());
            }
            Framing::Chunked(_) => field(out, b"Transfer-Encoding", b"chunked"),
            Framing::LengthAndChunked => {
                field(out, b"Content-Length", len.as_bytes());
                field(out, b"Transfer-Encoding", b"chunked");
            }
            Framing::TwoLengths(same) => {
                field(out, b"Content-Length", len.as_bytes());
                let second = if *same {
                    len.clone()
                } else {
                    (body.len() + 1).to_string()
                };
                field(out, b"Content-Length", second.as_bytes());
            }
            Framing::ChunkedTwice => {
                field(out, b"Transfer-Encoding", b"chunked");
                field(out, b"Transfer-Encoding", b"chunked");
            }
            Framing::GzipChunked => field(out, b"Transfer-Encoding", b"gzip, chunked"),
            Framing::LengthRaw(r) => field(out, b"Content-Length", r),
            Framing::TransferRaw(r) => field(out, b"Transfer-Encoding", r),
        }
        out.extend_from_slice(eol);
        match &self.framing {
            Framing::None => {}
            Framing::Chunked(c) => c.render(body, out, eol),
            Framing::LengthAndChunked | Framing::ChunkedTwice | Framing::GzipChunked => {
                Chunking::plain().render(body, out, eol)
            }
            _ => out.extend_from_slice(body),
        }
    }

    /// Whether every part is one of the well-formed choices.
    fn well_formed_head(&self) -> bool {
        let method = matches!(
            self.method,
            Method::Get
                | Method::Head
                | Method::Post
                | Method::Put
                | Method::Delete
                | Method::Patch
                | Method::Options
        );
        let headers_ok = self.headers.len() < 80
            && self.headers.iter().all(|h| {
                matches!(h.name, Name::Plain(_))
                    && h.sep == Sep::Colon
                    && matches!(h.value, Value::Text(_))
            });
        let head_len = self.headers.iter().map(|h| h.approx_len()).sum::<usize>()
            + match &self.target {
                Target::Path(p) => p.len(),
                _ => 0,
            };
        method
            && matches!(self.target, Target::Path(_))
            && self.version == Version::Http11
            && matches!(self.host, Host::One(_))
            && headers_ok
            && head_len < 6 * 1024
            && self.eol == Eol::Crlf
    }

    /// Whether the method is HEAD (its answer has no body).
    pub fn is_head(&self) -> bool {
        self.method == Method::Head
    }

    /// Whether the request says `Transfer-Encoding: chunked` (and nothing else).
    pub fn is_chunked(&self) -> bool {
        matches!(self.framing, Framing::Chunked(_))
    }

    /// What the server must answer, for the shapes the harness knows.
    pub fn expect(&self) -> Expect {
        if !self.well_formed_head() {
            return Expect::Unknown;
        }
        let body = self.body();
        let small = body.len() as u64 <= MAX_BODY;
        match &self.framing {
            Framing::None => Expect::Echo {
                head: self.method == Method::Head,
                body: Vec::new(),
            },
            Framing::Length if !small => Expect::StatusThenClose(413),
            Framing::Length => Expect::Echo {
                head: self.method == Method::Head,
                body: body.to_vec(),
            },
            Framing::Chunked(c) if small && c.well_formed() => Expect::Echo {
                head: self.method == Method::Head,
                body: body.to_vec(),
            },
            // A request framed two ways is refused (DESIGN's bad-input table).
            Framing::LengthAndChunked => Expect::StatusThenClose(400),
            _ => Expect::Unknown,
        }
    }
}

fn from_alphabet_or(bytes: &[u8], alphabet: &[u8], empty: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        empty.to_vec()
    } else {
        from_alphabet(&bytes[..bytes.len().min(64)], alphabet)
    }
}

impl Header {
    fn approx_len(&self) -> usize {
        let v = match &self.value {
            Value::Text(t) | Value::Raw(t) => t.len(),
            Value::Known(_) => 32,
        };
        let n = match &self.name {
            Name::Token(t) | Name::Raw(t) => t.len(),
            _ => 20,
        };
        n + v + 4
    }

    fn render(&self, out: &mut Vec<u8>, eol: &[u8]) {
        match &self.name {
            Name::Plain(i) => out.extend_from_slice(pick(PLAIN_NAMES, *i).as_bytes()),
            Name::Special(i) => out.extend_from_slice(pick(SPECIAL_NAMES, *i).as_bytes()),
            Name::Token(t) => out.extend(from_alphabet_or(t, TCHAR, b"x")),
            Name::Raw(r) => out.extend_from_slice(r),
        }
        out.extend_from_slice(match self.sep {
            Sep::Colon | Sep::Fold => b": ",
            Sep::ColonNoSpace => b":",
            Sep::SpaceBeforeColon => b" : ",
        });
        let value = match &self.value {
            // Never empty and never ending in a space: httparse trims, and the
            // checks compare nothing of it anyway.
            Value::Text(t) => from_alphabet_or(t, VCHAR, b"v"),
            Value::Known(i) => pick(KNOWN_VALUES, *i).as_bytes().to_vec(),
            Value::Raw(r) => r.clone(),
        };
        if self.sep == Sep::Fold {
            let mid = value.len() / 2;
            out.extend_from_slice(&value[..mid]);
            out.extend_from_slice(eol);
            out.push(b' ');
            out.extend_from_slice(&value[mid..]);
        } else {
            out.extend_from_slice(&value);
        }
        out.extend_from_slice(eol);
    }
}

impl Chunking {
    fn plain() -> Self {
        Chunking {
            sizes: Vec::new(),
            ext: false,
            upper: false,
            trailers: Vec::new(),
            bad_size: None,
        }
    }

    fn well_formed(&self) -> bool {
        self.bad_size.is_none()
            && self.trailers.len() < 20
            && self.trailers.iter().all(|h| {
                matches!(h.name, Name::Plain(_))
                    && h.sep == Sep::Colon
                    && matches!(h.value, Value::Text(_))
            })
    }

    fn render(&self, body: &[u8], out: &mut Vec<u8>, eol: &[u8]) {
        let mut rest = body;
        let mut sizes = self.sizes.iter().filter(|s| **s > 0);
        while !rest.is_empty() {
            let n = sizes
                .next()
                .map_or(rest.len(), |s| usize::from(*s))
                .min(rest.len());
            let size = if self.upper {
                format!("{n:X}")
            } else {
                format!("{n:x}")
            };
            out.extend_from_slice(size.as_bytes());
            if self.ext {
                out.extend_from_slice(b";name=value");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&rest[..n]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[n..];
        }
        match &self.bad_size {
            Some(raw) => out.extend_from_slice(raw),
            None => out.push(b'0'),
        }
        out.extend_from_slice(b"\r\n");
        for t in self.trailers.iter().take(30) {
            t.render(out, eol);
        }
        out.extend_from_slice(b"\r\n");
    }
}
