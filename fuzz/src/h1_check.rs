//! Reading back what the server wrote on an HTTP/1 connection, and checking it
//! against what the requests demand ([`crate::h1::Expect`]).

use crate::h1::{Conversation, Expect};

/// One response as read from the wire.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Content-Length, when sent.
    pub length: Option<usize>,
    /// Whether the response says `Connection: close`.
    pub close: bool,
    /// The body as framed (empty for a HEAD answer).
    pub body: Vec<u8>,
}

/// Reads one response from `out` (to a HEAD request when `head`). `None` when
/// `out` holds only part of one; a malformed response panics (a finding).
pub fn read_answer(out: &[u8], head: bool) -> Option<(Answer, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut res = httparse::Response::new(&mut headers);
    let head_len = match res.parse(out) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return None,
        Err(e) => panic!(
            "the server wrote a malformed response ({e}): {:?}",
            show(out)
        ),
    };
    let status = res.code.unwrap_or(0);
    let mut length = None;
    let (mut chunked, mut close) = (false, false);
    for h in res.headers.iter() {
        let value = String::from_utf8_lossy(h.value).to_ascii_lowercase();
        if h.name.eq_ignore_ascii_case("content-length") {
            assert!(
                length.is_none(),
                "two Content-Length headers: {:?}",
                show(out)
            );
            length =
                Some(value.trim().parse::<usize>().unwrap_or_else(|_| {
                    panic!("bad Content-Length in a response: {:?}", show(out))
                }));
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.trim() == "chunked";
        } else if h.name.eq_ignore_ascii_case("connection") {
            close = value.contains("close");
        }
    }
    let rest = &out[head_len..];
    let (body, used) = if head || status == 204 || status == 304 || status < 200 {
        (Vec::new(), 0)
    } else if chunked {
        read_chunked(rest)?
    } else if let Some(n) = length {
        if rest.len() < n {
            return None;
        }
        (rest[..n].to_vec(), n)
    } else {
        panic!(
            "a response with neither Content-Length nor chunked framing: {:?}",
            show(out)
        )
    };
    Some((
        Answer {
            status,
            length,
            close,
            body,
        },
        head_len + used,
    ))
}

fn read_chunked(mut rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let start = rest.len();
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_text:?} in a response"));
        rest = &rest[line_end + 2..];
        if size == 0 {
            // No trailers from this server: the blank line ends the body.
            if rest.len() < 2 {
                return None;
            }
            assert_eq!(
                &rest[..2],
                b"\r\n",
                "trailers or garbage after the last chunk"
            );
            rest = &rest[2..];
            return Some((body, start - rest.len()));
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        assert_eq!(
            &rest[size..size + 2],
            b"\r\n",
            "a chunk not followed by CRLF"
        );
        rest = &rest[size + 2..];
    }
}

/// Checks `out`, what the server wrote for `conv` (rendered as `sent`).
///
/// The requests before the first one whose answer is not fixed must be answered in
/// order, each as [`Expect`] says, the last of them completely unless the client
/// half-closed (then the server may stop early, so the answers are a prefix). Past
/// them, the server may answer anything well-formed, or nothing.
pub fn check(conv: &Conversation, sent: &[u8], out: &[u8]) {
    if sent.starts_with(b"PRI * HTTP/2.0") {
        return; // the connection went HTTP/2
    }
    if !out.is_empty() {
        assert!(
            out.starts_with(b"HTTP/1."),
            "not an HTTP/1 response: {:?}",
            show(out)
        );
    }
    let mut pos = 0;
    for (i, req) in conv.requests.iter().take(16).enumerate() {
        let expect = req.expect();
        let head = req.is_head();
        if expect == Expect::Unknown {
            break;
        }
        let Some((answer, used)) = read_answer(&out[pos..], head) else {
            assert!(
                conv.half_close,
                "request {i} ({expect:?}) got no complete answer; the server wrote {:?}",
                show(out)
            );
            return;
        };
        pos += used;
        match expect {
            Expect::Echo { head, body } => {
                assert_eq!(answer.status, 200, "request {i}: {:?}", show(out));
                assert!(
                    !answer.close,
                    "request {i} closed the connection: {:?}",
                    show(out)
                );
                if head {
                    // A HEAD answer may leave Content-Length out (hyper does for an
                    // empty body); when sent, it is the length a GET would get.
                    let length = answer.length.unwrap_or(body.len());
                    assert_eq!(length, body.len(), "HEAD request {i}: {:?}", show(out));
                } else {
                    assert_eq!(answer.body, body, "request {i}: {:?}", show(out));
                }
            }
            Expect::StatusThenClose(s) => {
                assert_eq!(answer.status, s, "request {i}: {:?}", show(out));
                assert!(
                    answer.close,
                    "request {i}: no Connection: close: {:?}",
                    show(out)
                );
                assert_eq!(
                    pos,
                    out.len(),
                    "bytes after a closing answer: {:?}",
                    show(out)
                );
                return;
            }
            Expect::Unknown => unreachable!(),
        }
    }
    if pos < out.len() {
        assert!(
            out[pos..].starts_with(b"HTTP/1."),
            "garbage after answer: {:?}",
            show(out)
        );
    }
}

/// `out`'s start as text, for a failure message.
fn show(out: &[u8]) -> String {
    String::from_utf8_lossy(&out[..out.len().min(600)]).into_owned()
}
