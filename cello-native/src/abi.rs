//! The `#[repr(C)]` types both sides of the boundary agree on. Cello (the host) and the
//! extension module may be built by different compilers, so nothing here is a Rust
//! type with an unstable layout, and no allocation crosses: the request is borrowed,
//! and the response is written into the host's buffers through its callbacks.

use std::ffi::{c_void, CStr};

/// The version of this ABI. Cello refuses, at registration, a capsule whose
/// [`NativeHandler::abi`] differs from the one it was built with.
pub const ABI_VERSION: u32 = 1;

/// The name every native handler capsule carries; Cello asks `PyCapsule_GetPointer`
/// for exactly this name, so a capsule made for something else is refused.
pub const CAPSULE_NAME: &CStr = c"cello.native.v1";

/// What [`NativeHandler::call`] returns when the handler answered.
pub const ANSWERED: u32 = 0;

/// What [`NativeHandler::call`] returns when the handler panicked: Cello discards what
/// was written and answers 500.
pub const PANICKED: u32 = 1;

/// A borrowed byte slice: valid only during the call it is passed to.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawSlice {
    /// The first byte; may dangle (or be null) when `len` is 0.
    pub ptr: *const u8,
    /// How many bytes.
    pub len: usize,
}

impl RawSlice {
    /// No bytes.
    pub const EMPTY: RawSlice = RawSlice {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `bytes` (the slice must outlive every use of the result).
    pub const fn new(bytes: &[u8]) -> Self {
        RawSlice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` must point to `len` initialized bytes that stay valid and unchanged for
    /// `'a` (or `len` must be 0).
    pub unsafe fn as_bytes<'a>(self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        // SAFETY: the caller guarantees `ptr` and `len` describe live bytes for `'a`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A name and a value: a path parameter or a header.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawPair {
    /// The name: a path parameter's as in the pattern, a header's in lowercase.
    pub name: RawSlice,
    /// The value: a path parameter's percent-decoded text (UTF-8), a header's bytes.
    pub value: RawSlice,
}

impl RawPair {
    /// An empty pair, to fill arrays with.
    pub const EMPTY: RawPair = RawPair {
        name: RawSlice::EMPTY,
        value: RawSlice::EMPTY,
    };
}

/// The request, as Cello passes it in: everything borrowed, valid only during the call.
/// Method, path, query and parameters are UTF-8.
#[repr(C)]
#[derive(Debug)]
pub struct RawRequest {
    /// `GET`, `POST`...
    pub method: RawSlice,
    /// The path as sent (still percent-encoded), without the query.
    pub path: RawSlice,
    /// The query string as sent, without the `?`; empty when there is none.
    pub query: RawSlice,
    /// The path parameters, in pattern order (`params_len` of them).
    pub params: *const RawPair,
    /// How many path parameters.
    pub params_len: usize,
    /// The headers, in the order received (`headers_len` of them); a repeated header
    /// appears once per value.
    pub headers: *const RawPair,
    /// How many headers.
    pub headers_len: usize,
    /// The whole body (read up to the app's body limit before the call).
    pub body: RawSlice,
}

/// Sets the status (100–599 are accepted; Cello answers 500 for anything else).
pub type SetStatusFn = unsafe extern "C" fn(host: *mut c_void, status: u16);
/// Adds a header (Cello answers 500 if the name or value is not valid HTTP).
pub type AddHeaderFn = unsafe extern "C" fn(host: *mut c_void, name: RawSlice, value: RawSlice);
/// Appends bytes to the body.
pub type WriteFn = unsafe extern "C" fn(host: *mut c_void, data: RawSlice);

/// The response writer Cello passes in: its callbacks copy into Cello's buffers, so the
/// handler never hands over memory it allocated.
#[repr(C)]
#[derive(Debug)]
pub struct RawResponse {
    /// Cello's state for this response, passed back to each callback.
    pub host: *mut c_void,
    /// Sets the status (200 when never called).
    pub set_status: SetStatusFn,
    /// Adds a header.
    pub add_header: AddHeaderFn,
    /// Appends to the body.
    pub write: WriteFn,
}

/// The handler's entry point: `data` is [`NativeHandler::data`]. Returns [`ANSWERED`],
/// or [`PANICKED`]; it must never unwind.
pub type CallFn = unsafe extern "C" fn(
    data: *const c_void,
    req: *const RawRequest,
    res: *const RawResponse,
) -> u32;

/// What a `cello.native.v1` capsule points to. Usually a `static` made by
/// [`handler!`](crate::handler).
#[repr(C)]
#[derive(Debug)]
pub struct NativeHandler {
    /// [`ABI_VERSION`] of the crate the module was built with.
    pub abi: u32,
    /// `size_of::<NativeHandler>()` as the module saw it: Cello checks it too.
    pub size: u32,
    /// The entry point.
    pub call: CallFn,
    /// Anything the entry point needs; passed back to it as is.
    pub data: *const c_void,
}

// SAFETY: a NativeHandler is immutable; `data` is only handed back to `call`, whose
// author promises it may be called from any thread (Cello's workers each call it from
// their own thread).
unsafe impl Sync for NativeHandler {}
// SAFETY: as above.
unsafe impl Send for NativeHandler {}

impl NativeHandler {
    /// A handler of this ABI version that calls `call` with `data`.
    pub const fn new(call: CallFn, data: *const c_void) -> Self {
        NativeHandler {
            abi: ABI_VERSION,
            size: std::mem::size_of::<NativeHandler>() as u32,
            call,
            data,
        }
    }
}
