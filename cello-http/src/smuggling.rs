//! `Content-Length` together with `Transfer-Encoding` → 400, connection closed.
//!
//! hyper follows RFC 9112 §6.3 for such a request: Transfer-Encoding wins, the
//! Content-Length header is removed before the request reaches Cello, and the
//! connection closes after the response. Cello refuses the request instead (the
//! bad-input table: a request framed two ways is a smuggling attempt, not something
//! to guess about). Since the header is gone by then, each connection keeps a window
//! of the bytes it read recently, and only for a request that carries
//! Transfer-Encoding, which is rare, is that window searched for a header block that
//! has both.

use std::cell::RefCell;

/// Most bytes kept; the window restarts when it would grow past this.
const WINDOW: usize = 16 * 1024;
/// Most bytes kept from one read (a request head fits well within it).
const PER_READ: usize = 8 * 1024;

/// The recent bytes of one connection.
#[derive(Default)]
pub(crate) struct RawWindow {
    bytes: RefCell<Vec<u8>>,
}

impl RawWindow {
    /// Remembers bytes just read.
    pub(crate) fn record(&self, read: &[u8]) {
        let read = &read[..read.len().min(PER_READ)];
        let mut bytes = self.bytes.borrow_mut();
        if bytes.len() + read.len() > WINDOW {
            bytes.clear();
        }
        bytes.extend_from_slice(read);
    }

    /// Whether a header block in the window has both framing headers.
    pub(crate) fn has_length_and_chunked(&self) -> bool {
        let bytes = self.bytes.borrow();
        bytes
            .split_inclusive(|&b| b == b'\n')
            .fold((false, false, false), |(te, cl, found), line| {
                if found {
                    return (te, cl, true);
                }
                if line == b"\r\n" || line == b"\n" {
                    // End of a header block.
                    return (false, false, te && cl);
                }
                let te = te || starts_with_ci(line, b"transfer-encoding:");
                let cl = cl || starts_with_ci(line, b"content-length:");
                (te, cl, te && cl)
            })
            .2
    }
}

fn starts_with_ci(line: &[u8], name: &[u8]) -> bool {
    line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name)
}

#[cfg(test)]
mod tests {
    use super::RawWindow;

    fn window(raw: &[u8]) -> RawWindow {
        let w = RawWindow::default();
        w.record(raw);
        w
    }

    #[test]
    fn finds_a_head_with_both_framing_headers_in_any_case() {
        assert!(window(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .has_length_and_chunked());
        assert!(window(
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 5\r\n\r\n"
        )
        .has_length_and_chunked());
    }

    #[test]
    fn a_chunked_request_alone_is_fine_even_after_one_with_a_length() {
        let w = window(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assert!(!w.has_length_and_chunked());
    }
}
