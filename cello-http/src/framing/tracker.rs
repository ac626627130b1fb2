//! The tracker: follows one connection's HTTP/1 requests through the bytes it reads,
//! just before hyper sees them.
//!
//! It reads the grammar hyper reads, as lenient as hyper is and no more (httparse with
//! hyper's default parser configuration for heads, hyper's `ChunkedState` for chunked
//! bodies), so for every input hyper accepts both see the same heads in the same order.
//! On input hyper refuses it may stop anywhere: hyper answers 400 and closes.
//!
//! Cost: a request head costs a scan for the end of each line plus a look at the first
//! byte of each header line; only `Content-Length`, `Transfer-Encoding` and `Upgrade`
//! lines are read byte by byte. Bodies are skipped by length, chunk by chunk.

use super::fields::{Codings, Digits};
use super::plain::plain_head;
use super::{Reject, Verdict, MAX_LEN};
use memchr::{memchr, memchr2};

/// What a client sends first to speak HTTP/2 with prior knowledge (RFC 9113 §3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// `Tracker::preface` once the connection cannot be HTTP/2.
const NOT_H2: u8 = u8::MAX;

/// Where the tracker is in the byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before a request line: empty lines are skipped (httparse does).
    Start,
    /// A CR of an empty line before a request line.
    StartLf,
    /// The method, first byte `C`: how many bytes of `CONNECT` matched.
    Connect(u8),
    /// The rest of the method.
    Method,
    /// The request target.
    Target,
    /// The version token: how many bytes of `HTTP/x.y` were read.
    Version(u8),
    /// After the version: CRLF or LF.
    LineEnd,
    LineLf,
    /// The first byte of a header line, or of the empty line that ends the head.
    LineStart,
    HeadLf,
    /// A header name that may be one of the framing fields: bytes matched so far.
    Name(Field, u8),
    /// The value of a framing field, read byte by byte.
    Value(Field),
    /// The rest of a header line nobody needs.
    Skip,
    /// Body bytes left (Content-Length).
    Length(u64),
    /// A chunked body, state by state as hyper's decoder (`ChunkedState`) reads it; the
    /// number is the chunk size read so far, or the chunk data left.
    ChunkStart,
    ChunkSize(u64),
    ChunkLws(u64),
    ChunkExt(u64),
    ChunkSizeLf(u64),
    ChunkData(u64),
    ChunkDataCr,
    ChunkDataLf,
    EndCr,
    Trailer,
    TrailerLf,
    EndLf,
    /// Nothing more to follow: HTTP/2, a refused request, or input hyper refuses too.
    Off,
}

/// The header fields that decide framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    ContentLength,
    TransferEncoding,
    Upgrade,
}

impl Field {
    fn name(self) -> &'static [u8] {
        match self {
            Field::ContentLength => b"content-length",
            Field::TransferEncoding => b"transfer-encoding",
            Field::Upgrade => b"upgrade",
        }
    }
}

/// What one head said about framing, gathered line by line.
#[derive(Default)]
struct Head {
    connect: bool,
    upgrade: bool,
    http10: bool,
    /// The major version digit, when it is not `1`.
    major: Option<u8>,
    /// Whether this head's version digits are rewritten (decided at the major digit).
    rewrite: bool,
    /// A major version other than 1, rewritten to 1.1: (major, minor) as sent.
    refused: Option<(u8, u8)>,
    /// A version hyper refuses was left as sent (the h2 preface, or after an upgrade).
    kept_bad_version: bool,
    has_length: bool,
    length: Option<u64>,
    length_bad: bool,
    te: bool,
    /// hyper's rule: the last `Transfer-Encoding` line ends with `chunked`.
    chunked: bool,
    codings: Codings,
    digits: Digits,
}

/// Follows the requests of one connection. See the module docs.
pub(crate) struct Tracker {
    state: State,
    head: Head,
    /// Heads read so far: the index of the one being read.
    heads: u64,
    /// Version digits may be rewritten: false once a request may have switched
    /// protocols (`Upgrade`, `CONNECT`), since the bytes after it may not be HTTP/1.
    rewrite: bool,
    /// Bytes of the h2 preface the connection matched so far, or `NOT_H2`.
    preface: u8,
    /// A refusal decided by the bytes being read, handed out once.
    verdict: Option<Verdict>,
}

impl Tracker {
    /// A tracker for a new connection; `h2`: the server accepts HTTP/2 with prior
    /// knowledge, so a connection may open with the preface.
    pub(crate) fn new(h2: bool) -> Self {
        Tracker {
            state: State::Start,
            head: Head::default(),
            heads: 0,
            rewrite: true,
            preface: if h2 { 0 } else { NOT_H2 },
            verdict: None,
        }
    }

    /// Reads `buf`, bytes just read from the client and not yet seen by hyper, and
    /// fixes version digits in place: `HTTP/1.x` (x > 1) becomes `HTTP/1.1`, a major
    /// version other than 1 becomes `HTTP/1.1` plus a verdict. Returns the verdict
    /// that refuses a request, if these bytes complete its head; after that the
    /// tracker stops (the refusal closes the connection).
    pub(crate) fn feed(&mut self, buf: &mut [u8]) -> Option<Verdict> {
        if self.preface != NOT_H2 && self.is_h2(buf) {
            // hyper-util's auto builder serves this connection as HTTP/2.
            self.state = State::Off;
        }
        let mut from = 0;
        while from < buf.len() && self.state != State::Off {
            // Most reads are whole plain heads: a short path for them, so that they
            // pay only for the scan.
            if self.state == State::Start && self.preface == NOT_H2 {
                if let Some((end, length)) = plain_head(buf, from) {
                    self.heads += 1;
                    from = end;
                    if length > 0 {
                        self.state = State::Length(length);
                    }
                    continue;
                }
            }
            if let State::Length(left) = self.state {
                // A body with a length: skipped here too, without the state machine.
                let take = left.min((buf.len() - from) as u64);
                from += take as usize;
                self.state = if take == left {
                    State::Start
                } else {
                    State::Length(left - take)
                };
                continue;
            }
            from += self.step(&mut buf[from..]);
        }
        if self.state == State::Off {
            return self.verdict.take();
        }
        None
    }

    /// Whether the connection opens with the h2 preface: `buf` continues it to the end.
    fn is_h2(&mut self, buf: &[u8]) -> bool {
        let at = usize::from(self.preface);
        let n = (PREFACE.len() - at).min(buf.len());
        if buf[..n] != PREFACE[at..at + n] {
            self.preface = NOT_H2;
            return false;
        }
        self.preface += n as u8;
        usize::from(self.preface) == PREFACE.len()
    }

    /// The state machine, byte by byte where it must be, until it is back at the start
    /// of a request (or stops, or `buf` ends). Returns the bytes it read.
    #[inline(never)]
    fn step(&mut self, buf: &mut [u8]) -> usize {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            self.state = match self.state {
                State::Start => {
                    i += 1;
                    match b {
                        b'\r' => State::StartLf,
                        b'\n' => State::Start,
                        b'C' => State::Connect(1),
                        _ => State::Method,
                    }
                }
                State::StartLf => {
                    i += 1;
                    if b == b'\n' {
                        State::Start
                    } else {
                        State::Off
                    }
                }
                State::Connect(k) => {
                    if k < 7 && b == b"CONNECT"[usize::from(k)] {
                        i += 1;
                        State::Connect(k + 1)
                    } else {
                        self.head.connect = k == 7 && b == b' ';
                        State::Method
                    }
                }
                State::Method => match memchr2(b' ', b'\n', &buf[i..]) {
                    Some(j) if buf[i + j] == b' ' => {
                        i += j + 1;
                        State::Target
                    }
                    Some(_) => State::Off,
                    None => {
                        i = buf.len();
                        State::Method
                    }
                },
                State::Target => match memchr2(b' ', b'\n', &buf[i..]) {
                    Some(j) if buf[i + j] == b' ' => {
                        i += j + 1;
                        State::Version(0)
                    }
                    Some(_) => State::Off,
                    None => {
                        i = buf.len();
                        State::Target
                    }
                },
                State::Version(0) if buf.len() - i >= 8 && &buf[i..i + 8] == b"HTTP/1.1" => {
                    i += 8;
                    State::LineEnd
                }
                State::Version(k) => {
                    i += 1;
                    self.version_byte(k, &mut buf[i - 1])
                }
                State::LineEnd => {
                    i += 1;
                    match b {
                        b'\r' => State::LineLf,
                        b'\n' => State::LineStart,
                        _ => State::Off,
                    }
                }
                State::LineLf => {
                    i += 1;
                    if b == b'\n' {
                        State::LineStart
                    } else {
                        State::Off
                    }
                }
                State::LineStart => {
                    i += 1;
                    match b {
                        b'\r' => State::HeadLf,
                        b'\n' => self.end_head(),
                        _ => match b | 0x20 {
                            b'c' => State::Name(Field::ContentLength, 1),
                            b't' => State::Name(Field::TransferEncoding, 1),
                            b'u' => State::Name(Field::Upgrade, 1),
                            _ => State::Skip,
                        },
                    }
                }
                State::HeadLf => {
                    i += 1;
                    if b == b'\n' {
                        self.end_head()
                    } else {
                        State::Off
                    }
                }
                State::Name(field, k) => {
                    let name = field.name();
                    if usize::from(k) == name.len() {
                        if b == b':' {
                            i += 1;
                            self.start_value(field)
                        } else {
                            State::Skip
                        }
                    } else if b.to_ascii_lowercase() == name[usize::from(k)] {
                        i += 1;
                        State::Name(field, k + 1)
                    } else {
                        State::Skip
                    }
                }
                State::Value(field) => {
                    let (used, end) = self.value_bytes(field, &buf[i..]);
                    i += used;
                    if end {
                        State::LineStart
                    } else {
                        State::Value(field)
                    }
                }
                State::Skip => match memchr(b'\n', &buf[i..]) {
                    Some(j) => {
                        i += j + 1;
                        State::LineStart
                    }
                    None => {
                        i = buf.len();
                        State::Skip
                    }
                },
                State::Length(left) => {
                    let take = left.min((buf.len() - i) as u64);
                    i += take as usize;
                    if take == left {
                        State::Start
                    } else {
                        State::Length(left - take)
                    }
                }
                State::ChunkStart => {
                    i += 1;
                    match hex(b) {
                        Some(d) => State::ChunkSize(d),
                        None => State::Off,
                    }
                }
                State::ChunkSize(size) => {
                    i += 1;
                    match (hex(b), b) {
                        (Some(d), _) => size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(d))
                            .map_or(State::Off, State::ChunkSize),
                        (None, b'\t' | b' ') => State::ChunkLws(size),
                        (None, b';') => State::ChunkExt(size),
                        (None, b'\r') => State::ChunkSizeLf(size),
                        (None, _) => State::Off,
                    }
                }
                State::ChunkLws(size) => {
                    i += 1;
                    match b {
                        b'\t' | b' ' => State::ChunkLws(size),
                        b';' => State::ChunkExt(size),
                        b'\r' => State::ChunkSizeLf(size),
                        _ => State::Off,
                    }
                }
                State::ChunkExt(size) => match memchr2(b'\r', b'\n', &buf[i..]) {
                    Some(j) if buf[i + j] == b'\r' => {
                        i += j + 1;
                        State::ChunkSizeLf(size)
                    }
                    Some(_) => State::Off,
                    None => {
                        i = buf.len();
                        State::ChunkExt(size)
                    }
                },
                State::ChunkSizeLf(size) => {
                    i += 1;
                    match (b, size) {
                        (b'\n', 0) => State::EndCr,
                        (b'\n', size) => State::ChunkData(size),
                        _ => State::Off,
                    }
                }
                State::ChunkData(left) => {
                    let take = left.min((buf.len() - i) as u64);
                    i += take as usize;
                    if take == left {
                        State::ChunkDataCr
                    } else {
                        State::ChunkData(left - take)
                    }
                }
                State::ChunkDataCr => {
                    i += 1;
                    if b == b'\r' {
                        State::ChunkDataLf
                    } else {
                        State::Off
                    }
                }
                State::ChunkDataLf => {
                    i += 1;
                    if b == b'\n' {
                        State::ChunkStart
                    } else {
                        State::Off
                    }
                }
                State::EndCr => {
                    i += 1;
                    if b == b'\r' {
                        State::EndLf
                    } else {
                        State::Trailer
                    }
                }
                State::Trailer => match memchr(b'\r', &buf[i..]) {
                    Some(j) => {
                        i += j + 1;
                        State::TrailerLf
                    }
                    None => {
                        i = buf.len();
                        State::Trailer
                    }
                },
                State::TrailerLf => {
                    i += 1;
                    if b == b'\n' {
                        State::EndCr
                    } else {
                        State::Off
                    }
                }
                State::EndLf => {
                    i += 1;
                    if b == b'\n' {
                        State::Start
                    } else {
                        State::Off
                    }
                }
                State::Off => break,
            };
            if self.state == State::Start {
                break;
            }
        }
        i
    }

    /// One byte of the version token, `k` bytes into it. httparse takes only
    /// `HTTP/1.0` and `HTTP/1.1`; other digits are rewritten here (see `feed`).
    fn version_byte(&mut self, k: u8, b: &mut u8) -> State {
        let head = &mut self.head;
        match k {
            0..=4 if *b == b"HTTP/"[usize::from(k)] => State::Version(k + 1),
            5 if b.is_ascii_digit() => {
                // Decided once per head: the h2 preface must reach hyper-util as sent.
                head.rewrite = self.rewrite && self.preface == NOT_H2;
                if *b != b'1' {
                    head.major = Some(*b);
                    if head.rewrite {
                        *b = b'1';
                    }
                }
                State::Version(6)
            }
            6 if *b == b'.' => State::Version(7),
            7 if b.is_ascii_digit() => {
                let bad = match head.major {
                    Some(major) => {
                        if head.rewrite {
                            head.refused = Some((major - b'0', *b - b'0'));
                        }
                        true
                    }
                    None => {
                        head.http10 = *b == b'0';
                        *b > b'1'
                    }
                };
                if bad {
                    if head.rewrite {
                        *b = b'1';
                    } else {
                        head.kept_bad_version = true;
                    }
                }
                State::LineEnd
            }
            _ => State::Off,
        }
    }

    fn start_value(&mut self, field: Field) -> State {
        match field {
            Field::ContentLength => {
                self.head.has_length = true;
                self.head.digits = Digits::Lead;
            }
            Field::TransferEncoding => {
                self.head.te = true;
            }
            Field::Upgrade => {
                self.head.upgrade = true;
                return State::Skip;
            }
        }
        State::Value(field)
    }

    /// Reads a framing field's value up to the end of its line; returns the bytes
    /// used and whether the line ended.
    fn value_bytes(&mut self, field: Field, bytes: &[u8]) -> (usize, bool) {
        let head = &mut self.head;
        for (j, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                match field {
                    Field::ContentLength => match head.digits.value() {
                        Some(n) if head.length.is_none_or(|m| m == n) => head.length = Some(n),
                        _ => head.length_bad = true,
                    },
                    _ => head.chunked = head.codings.end_line(),
                }
                return (j + 1, true);
            }
            match field {
                Field::ContentLength => head.digits = head.digits.step(b),
                _ => head.codings.step(b),
            }
        }
        (bytes.len(), false)
    }

    /// The empty line after the headers: decides the head's verdict and body.
    fn end_head(&mut self) -> State {
        let head = std::mem::take(&mut self.head);
        let index = self.heads;
        self.heads += 1;
        if head.kept_bad_version {
            // hyper refuses the version (or the connection is the h2 preface).
            return State::Off;
        }
        // hyper refuses Transfer-Encoding on HTTP/1.0, and one not ending in chunked;
        // otherwise it frames the body as chunked, whatever the codings before.
        let chunked = head.te && !head.http10 && head.chunked;
        let reject = if let Some((major, minor)) = head.refused {
            Some(Reject::Version { major, minor })
        } else if head.has_length && head.te {
            Some(Reject::LengthAndChunked)
        } else if chunked && head.codings.chunked > 1 {
            Some(Reject::ChunkedTwice)
        } else if chunked {
            head.codings.other.map(Reject::UnknownCoding)
        } else {
            None
        };
        if let Some(reject) = reject {
            self.verdict = Some(Verdict {
                request: index,
                reject,
            });
            return State::Off;
        }
        if head.upgrade || head.connect {
            self.rewrite = false;
        }
        if head.te {
            return if chunked {
                State::ChunkStart
            } else {
                State::Off
            };
        }
        match head.length {
            _ if head.length_bad => State::Off,
            Some(n) if n > MAX_LEN => State::Off,
            Some(n) if n > 0 => State::Length(n),
            _ => State::Start,
        }
    }
}

#[cfg(test)]
impl Tracker {
    /// Heads read so far.
    pub(super) fn heads(&self) -> u64 {
        self.heads
    }

    /// Where the tracker is, e.g. `Start`, `Length(3)`, `ChunkStart`, `Off`.
    pub(super) fn state(&self) -> String {
        format!("{:?}", self.state)
    }
}

fn hex(b: u8) -> Option<u64> {
    char::from(b).to_digit(16).map(u64::from)
}
