//! The C ABI of Cello's native handlers, and a safe layer over it.
//!
//! A native handler is a Rust function in *your* extension module that Cello calls
//! straight from its engine: no Python call and no Python object per request. The
//! module exports a `PyCapsule` named [`CAPSULE_NAME`] (`cello.native.v1`) that points
//! to a [`NativeHandler`]; Python registers it with `app.native("/fast", capsule)`,
//! and Cello checks the name, [`ABI_VERSION`] and the struct size then.
//!
//! Per request, Cello passes a [`RawRequest`] (method, path, query, path parameters,
//! headers and body, all borrowed for the call) and a [`RawResponse`] whose
//! `extern "C"` callbacks copy status, headers and body into Cello's own buffers, so
//! no allocation crosses from one allocator to the other. The [`handler!`] macro wraps
//! a plain `fn(&Request, &mut Response)` into that entry point and catches its panics
//! (a panic must not unwind across `extern "C"`): Cello answers them with 500 and
//! keeps serving.
//!
//! ```
//! use cello_native::{testing::TestRequest, NativeHandler, Request, Response};
//!
//! fn hello(req: &Request<'_>, res: &mut Response<'_>) {
//!     res.header("content-type", "application/json");
//!     res.write(br#"{"message":"Hello, "#);
//!     res.write(req.query().as_bytes()).write(br#""}"#);
//! }
//!
//! // What the module's capsule points to.
//! pub static HELLO: NativeHandler = cello_native::handler!(hello);
//!
//! let answer = TestRequest::get("/hello").query("World").call(&HELLO).unwrap();
//! assert_eq!(answer.body, br#"{"message":"Hello, World"}"#);
//! ```
//!
//! Making the capsule takes the Python C API; with pyo3:
//!
//! ```ignore
//! let ptr = std::ptr::NonNull::from(&HELLO).cast();
//! // SAFETY: HELLO is a static, so it outlives the capsule.
//! let capsule = unsafe { PyCapsule::new_with_pointer(py, ptr, cello_native::CAPSULE_NAME) }?;
//! ```

mod abi;
mod request;
mod response;
pub mod testing;

pub use abi::{
    AddHeaderFn, CallFn, NativeHandler, RawPair, RawRequest, RawResponse, RawSlice, SetStatusFn,
    WriteFn, ABI_VERSION, ANSWERED, CAPSULE_NAME, PANICKED,
};
pub use request::Request;
pub use response::Response;

/// A safe handler: reads the request, writes the response.
pub type HandlerFn = fn(&Request<'_>, &mut Response<'_>);

/// A [`NativeHandler`] that runs `f` (a [`HandlerFn`]), for a `static`:
/// `static JSON: NativeHandler = cello_native::handler!(json);`. A panic in `f` is
/// caught and reported to Cello as [`PANICKED`].
#[macro_export]
macro_rules! handler {
    ($f:expr) => {{
        unsafe extern "C" fn call(
            _data: *const ::core::ffi::c_void,
            req: *const $crate::RawRequest,
            res: *const $crate::RawResponse,
        ) -> u32 {
            let f: $crate::HandlerFn = $f;
            // SAFETY: Cello passes a request and a writer valid for this call.
            unsafe { $crate::dispatch(f, req, res) }
        }
        $crate::NativeHandler::new(call, ::core::ptr::null())
    }};
}

/// Runs `f` on the request and writer Cello passed; what [`handler!`] expands to.
///
/// # Safety
/// `req` and `res` must be null or valid for the call, as Cello guarantees.
#[doc(hidden)]
pub unsafe fn dispatch(f: HandlerFn, req: *const RawRequest, res: *const RawResponse) -> u32 {
    // SAFETY: the caller's contract.
    let (Some(req), Some(res)) = (unsafe { req.as_ref() }, unsafe { res.as_ref() }) else {
        return PANICKED;
    };
    // SAFETY: the caller's contract, for the length of this call.
    let (req, mut res) = unsafe { (Request::from_raw(req), Response::from_raw(res)) };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&req, &mut res))) {
        Ok(()) => ANSWERED,
        Err(payload) => {
            // Dropping a panic payload may panic in turn; leaking it cannot.
            std::mem::forget(payload);
            PANICKED
        }
    }
}

#[cfg(test)]
mod tests;
