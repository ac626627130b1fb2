//! [`Response`]: the safe face of a [`RawResponse`].

use crate::abi::{RawResponse, RawSlice};

/// What a native handler fills: status, headers and body go straight into Cello's
/// buffers. A handler that sets nothing answers `200` with an empty body.
#[derive(Debug)]
pub struct Response<'a> {
    raw: &'a RawResponse,
}

impl<'a> Response<'a> {
    /// Writes through `raw`.
    ///
    /// # Safety
    /// `raw`'s callbacks must accept `raw.host` for `'a`, as Cello guarantees during a
    /// call.
    pub unsafe fn from_raw(raw: &'a RawResponse) -> Self {
        Response { raw }
    }

    /// Sets the status (`200` unless set). Outside 100–599 (or 101) Cello answers 500.
    pub fn status(&mut self, status: u16) -> &mut Self {
        // SAFETY: `from_raw`'s contract.
        unsafe { (self.raw.set_status)(self.raw.host, status) };
        self
    }

    /// Adds a header. A name or value that is not valid HTTP (a CR or LF in it) makes
    /// Cello answer 500 instead: never sent.
    pub fn header(&mut self, name: &str, value: impl AsRef<[u8]>) -> &mut Self {
        // SAFETY: `from_raw`'s contract; both slices outlive the call.
        unsafe {
            (self.raw.add_header)(
                self.raw.host,
                RawSlice::new(name.as_bytes()),
                RawSlice::new(value.as_ref()),
            )
        };
        self
    }

    /// Appends `data` to the body.
    pub fn write(&mut self, data: &[u8]) -> &mut Self {
        // SAFETY: `from_raw`'s contract; `data` outlives the call.
        unsafe { (self.raw.write)(self.raw.host, RawSlice::new(data)) };
        self
    }
}

/// Body writes, for `serde_json::to_writer` and the like.
impl std::io::Write for Response<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Response::write(self, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Body writes, for `write!(res, "{id}")`.
impl std::fmt::Write for Response<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.write(s.as_bytes());
        Ok(())
    }
}
