//! [`Request`]: the safe view of a [`RawRequest`].

use crate::abi::{RawPair, RawRequest};

/// The request a native handler answers: borrowed from Cello for the call.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    raw: &'a RawRequest,
}

impl<'a> Request<'a> {
    /// Views `raw`.
    ///
    /// # Safety
    /// Every slice and array `raw` points to must be valid for `'a`, as Cello
    /// guarantees during a call.
    pub unsafe fn from_raw(raw: &'a RawRequest) -> Self {
        Request { raw }
    }

    /// `GET`, `POST`...
    pub fn method(&self) -> &'a str {
        // SAFETY: `from_raw`'s contract.
        text(unsafe { self.raw.method.as_bytes() })
    }

    /// The path as sent, still percent-encoded, without the query.
    pub fn path(&self) -> &'a str {
        // SAFETY: `from_raw`'s contract.
        text(unsafe { self.raw.path.as_bytes() })
    }

    /// The query string as sent (still percent-encoded), without the `?`; empty when
    /// there is none.
    pub fn query(&self) -> &'a str {
        // SAFETY: `from_raw`'s contract.
        text(unsafe { self.raw.query.as_bytes() })
    }

    /// The path parameter called `name`, percent-decoded (`{id}` in `/items/{id}`).
    /// Typed parameters (`{id:int}`) come as the text they were read from, normalized
    /// (`+7` is `7`).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The path parameters, `(name, value)`, in pattern order.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        // SAFETY: `from_raw`'s contract.
        let pairs = unsafe { pairs(self.raw.params, self.raw.params_len) };
        pairs.iter().map(|p| {
            // SAFETY: `from_raw`'s contract.
            unsafe { (text(p.name.as_bytes()), text(p.value.as_bytes())) }
        })
    }

    /// The first value of the header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The headers, `(lowercase name, value)`, in the order received.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a [u8])> + 'a {
        // SAFETY: `from_raw`'s contract.
        let pairs = unsafe { pairs(self.raw.headers, self.raw.headers_len) };
        pairs.iter().map(|p| {
            // SAFETY: `from_raw`'s contract.
            unsafe { (text(p.name.as_bytes()), p.value.as_bytes()) }
        })
    }

    /// The whole body (empty for a request without one).
    pub fn body(&self) -> &'a [u8] {
        // SAFETY: `from_raw`'s contract.
        unsafe { self.raw.body.as_bytes() }
    }
}

/// Text Cello promises is UTF-8; checked anyway (it is short), so a broken host cannot
/// make safe code read invalid `str`s.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// # Safety
/// `ptr` must point to `len` pairs valid for `'a` (or `len` must be 0).
unsafe fn pairs<'a>(ptr: *const RawPair, len: usize) -> &'a [RawPair] {
    if len == 0 || ptr.is_null() {
        return &[];
    }
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}
