//! A host for tests: calls a [`NativeHandler`] through the C ABI as Cello does, so a
//! module's handlers can be unit-tested without a server.
//!
//! ```
//! use cello_native::{testing::TestRequest, NativeHandler, Request, Response};
//!
//! fn echo(req: &Request<'_>, res: &mut Response<'_>) {
//!     res.status(201).write(req.param("name").unwrap_or("?").as_bytes());
//! }
//! static ECHO: NativeHandler = cello_native::handler!(echo);
//!
//! let answer = TestRequest::get("/hi/ada").param("name", "ada").call(&ECHO).unwrap();
//! assert_eq!(answer.status, 201);
//! assert_eq!(answer.body, b"ada");
//! ```

use crate::abi::{NativeHandler, RawPair, RawRequest, RawResponse, RawSlice, ANSWERED};
use std::ffi::c_void;

/// A request to pass to [`TestRequest::call`].
#[derive(Clone, Debug, Default)]
pub struct TestRequest {
    method: String,
    path: String,
    query: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// What the handler wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestResponse {
    /// The status (200 unless the handler set one).
    pub status: u16,
    /// The headers, in the order added.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why [`TestRequest::call`] got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The handler panicked (Cello would answer 500).
    Panicked,
    /// The handler returned a code this ABI does not define.
    Unknown(u32),
}

impl TestRequest {
    /// A `GET` of `path`.
    pub fn get(path: &str) -> Self {
        TestRequest::new("GET", path)
    }

    /// A `method` request of `path`.
    pub fn new(method: &str, path: &str) -> Self {
        TestRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            ..TestRequest::default()
        }
    }

    /// Sets the query string (without `?`).
    pub fn query(mut self, query: &str) -> Self {
        self.query = query.to_owned();
        self
    }

    /// Adds a path parameter.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header (its name lowercased, as Cello passes it).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Calls `handler` with this request, through its `extern "C"` entry point.
    pub fn call(&self, handler: &NativeHandler) -> Result<TestResponse, CallError> {
        let pair = |(n, v): (&[u8], &[u8])| RawPair {
            name: RawSlice::new(n),
            value: RawSlice::new(v),
        };
        let params: Vec<RawPair> = self
            .params
            .iter()
            .map(|(n, v)| pair((n.as_bytes(), v.as_bytes())))
            .collect();
        let headers: Vec<RawPair> = self
            .headers
            .iter()
            .map(|(n, v)| pair((n.as_bytes(), v)))
            .collect();
        let req = RawRequest {
            method: RawSlice::new(self.method.as_bytes()),
            path: RawSlice::new(self.path.as_bytes()),
            query: RawSlice::new(self.query.as_bytes()),
            params: params.as_ptr(),
            params_len: params.len(),
            headers: headers.as_ptr(),
            headers_len: headers.len(),
            body: RawSlice::new(&self.body),
        };
        let mut out = TestResponse {
            status: 200,
            ..TestResponse::default()
        };
        let res = RawResponse {
            host: (&raw mut out).cast(),
            set_status,
            add_header,
            write,
        };
        // SAFETY: `req` and `res` and everything they point to live across the call.
        let code = unsafe { (handler.call)(handler.data, &req, &res) };
        match code {
            ANSWERED => Ok(out),
            crate::abi::PANICKED => Err(CallError::Panicked),
            other => Err(CallError::Unknown(other)),
        }
    }
}

/// # Safety
/// `host` is the `TestResponse` of a live [`TestRequest::call`].
unsafe extern "C" fn set_status(host: *mut c_void, status: u16) {
    // SAFETY: the function's contract.
    let out = unsafe { &mut *host.cast::<TestResponse>() };
    out.status = status;
}

/// # Safety
/// As [`set_status`]; the slices are valid for the call.
unsafe extern "C" fn add_header(host: *mut c_void, name: RawSlice, value: RawSlice) {
    // SAFETY: the function's contract.
    let (out, name, value) = unsafe {
        (
            &mut *host.cast::<TestResponse>(),
            name.as_bytes(),
            value.as_bytes(),
        )
    };
    out.headers.push((name.to_vec(), value.to_vec()));
}

/// # Safety
/// As [`add_header`].
unsafe extern "C" fn write(host: *mut c_void, data: RawSlice) {
    // SAFETY: the function's contract.
    let (out, data) = unsafe { (&mut *host.cast::<TestResponse>(), data.as_bytes()) };
    out.body.extend_from_slice(data);
}
