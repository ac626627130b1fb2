//! Native handlers: a `cello.native.v1` capsule from another extension module (the
//! `cello-native` ABI) served as a [`cello::SyncHandler`]. Per request: no Python call
//! and no Python object — the request is lent to the handler as byte slices and its
//! answer is copied into buffers owned here.

use bytes::Bytes;
use cello::{SyncHandler, SyncRequest};
use cello_http::{Body, Response};
use cello_native::{
    NativeHandler, RawPair, RawRequest, RawResponse, RawSlice, ABI_VERSION, ANSWERED,
};
use cello_router::ParamValue;
use http::{HeaderMap, HeaderName, HeaderValue};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods};
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

/// A native handler as a route's endpoint.
pub(crate) struct NativeEndpoint {
    handler: NonNull<NativeHandler>,
    /// Keeps the capsule, and so what it points to, alive as long as the app.
    _capsule: Py<PyAny>,
    /// `GET /fast`, for the log line of a failed answer.
    route: Box<str>,
}

// SAFETY: `handler` points to an immutable `NativeHandler` that the capsule keeps alive
// (`NativeHandler` is `Sync` by cello-native's contract); the capsule is a `Py`.
unsafe impl Send for NativeEndpoint {}
// SAFETY: as above.
unsafe impl Sync for NativeEndpoint {}

impl NativeEndpoint {
    /// Checks `capsule` for `method pattern`: a `PyCapsule` named `cello.native.v1`
    /// whose handler speaks this ABI version and has this struct size.
    pub(crate) fn new(method: &str, pattern: &str, capsule: &Bound<'_, PyAny>) -> PyResult<Self> {
        let route = format!("{method} {pattern}");
        let wanted = cello_native::CAPSULE_NAME.to_string_lossy();
        let Ok(cap) = capsule.cast::<PyCapsule>() else {
            let ty = capsule.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "native route {route}: expected a capsule named '{wanted}' (a cello-native handler), got a {ty} object"
            )));
        };
        let name = match cap.name()? {
            // SAFETY: the name of a live capsule, copied before the capsule can change.
            Some(name) => unsafe { name.as_cstr() }.to_string_lossy().into_owned(),
            None => String::new(),
        };
        if name != wanted {
            return Err(PyTypeError::new_err(format!(
                "native route {route}: expected a capsule named '{wanted}' (a cello-native handler), got a capsule named '{name}'"
            )));
        }
        let ptr = cap.pointer_checked(Some(cello_native::CAPSULE_NAME))?;
        // SAFETY: a `cello.native.v1` capsule points to a `NativeHandler` of some ABI
        // version; every version starts with the `abi` and `size` u32s, read alone first.
        let (abi, size) = unsafe {
            let words = ptr.cast::<u32>().as_ptr();
            (words.read_unaligned(), words.add(1).read_unaligned())
        };
        if abi != ABI_VERSION {
            return Err(PyValueError::new_err(format!(
                "native route {route}: the handler was built for cello-native ABI {abi}, this Cello speaks ABI {ABI_VERSION}; rebuild the module against the cello-native of this Cello"
            )));
        }
        let expected = std::mem::size_of::<NativeHandler>();
        if size as usize != expected {
            return Err(PyValueError::new_err(format!(
                "native route {route}: the handler struct is {size} bytes, ABI {ABI_VERSION} has {expected}; rebuild the module against the cello-native of this Cello"
            )));
        }
        Ok(NativeEndpoint {
            handler: ptr.cast(),
            _capsule: capsule.clone().unbind(),
            route: route.into(),
        })
    }

    /// The 500 of a handler that panicked or wrote what cannot be sent, logged.
    #[cold]
    fn failed(&self, why: &str) -> Response {
        let text = format!("native handler for {} {why}; answered 500", self.route);
        Python::attach(|py| crate::runtime::log_error(py, &text));
        crate::convert::internal_error()
    }
}

/// Up to this many path parameters or headers are lent from the stack.
const INLINE: usize = 16;

/// Name/value pairs for the ABI: on the stack when few, else on the heap. The stack
/// slots are left uninitialized until pushed: zeroing both arrays cost ~100
/// instructions a request (callgrind, native `/json`).
struct Pairs {
    inline: [MaybeUninit<RawPair>; INLINE],
    len: usize,
    heap: Vec<RawPair>,
}

impl Pairs {
    fn new() -> Self {
        Pairs {
            inline: [const { MaybeUninit::uninit() }; INLINE],
            len: 0,
            heap: Vec::new(),
        }
    }

    fn push(&mut self, name: &[u8], value: &[u8]) {
        let pair = RawPair {
            name: RawSlice::new(name),
            value: RawSlice::new(value),
        };
        if !self.heap.is_empty() {
            self.heap.push(pair);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            slot.write(pair);
            self.len += 1;
        } else {
            let mut heap = Vec::with_capacity(INLINE * 2);
            heap.extend_from_slice(initialized(&self.inline, self.len));
            heap.push(pair);
            self.heap = heap;
        }
    }

    fn as_slice(&self) -> &[RawPair] {
        if self.heap.is_empty() {
            initialized(&self.inline, self.len)
        } else {
            &self.heap
        }
    }
}

/// The first `len` slots of `inline`, which `Pairs::push` wrote.
fn initialized(inline: &[MaybeUninit<RawPair>], len: usize) -> &[RawPair] {
    let slots = inline.get(..len).unwrap_or_default();
    // SAFETY: `Pairs` keeps `len` as the count of slots `push` wrote, in order, and
    // `MaybeUninit<T>` has `T`'s layout.
    unsafe { &*(std::ptr::from_ref(slots) as *const [RawPair]) }
}

/// A typed path parameter as text.
fn param_text(value: &ParamValue<'_>, scratch: &mut String) {
    use std::fmt::Write as _;
    let _ = match value {
        ParamValue::Int(i) => write!(scratch, "{i}"),
        ParamValue::Float(x) => write!(scratch, "{x}"),
        ParamValue::Uuid(u) => write!(scratch, "{}", u.hyphenated()),
        _ => Ok(()),
    };
}

/// What the handler writes, through the callbacks below.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The first thing written that cannot be sent.
    invalid: Option<&'static str>,
}

/// # Safety
/// `host` is the `Answer` of a live [`NativeEndpoint::respond`] call.
unsafe extern "C" fn set_status(host: *mut c_void, status: u16) {
    // SAFETY: the function's contract.
    let answer = unsafe { &mut *host.cast::<Answer>() };
    answer.status = status;
}

/// # Safety
/// As [`set_status`]; `name` and `value` are valid for the call.
unsafe extern "C" fn add_header(host: *mut c_void, name: RawSlice, value: RawSlice) {
    // SAFETY: the function's contract.
    let (answer, name, value) = unsafe {
        (
            &mut *host.cast::<Answer>(),
            name.as_bytes(),
            value.as_bytes(),
        )
    };
    match (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
        (Ok(name), Ok(value)) => {
            if answer.headers.try_append(name, value).is_err() {
                answer.invalid.get_or_insert("set too many headers");
            }
        }
        _ => {
            answer
                .invalid
                .get_or_insert("set an invalid header name or value");
        }
    }
}

/// # Safety
/// As [`add_header`].
unsafe extern "C" fn write(host: *mut c_void, data: RawSlice) {
    // SAFETY: the function's contract.
    let (answer, data) = unsafe { (&mut *host.cast::<Answer>(), data.as_bytes()) };
    answer.body.extend_from_slice(data);
}

impl SyncHandler for NativeEndpoint {
    fn respond(&self, req: &SyncRequest<'_>) -> Response {
        // Typed parameters are written out first, so that no later write moves the
        // text the pairs point to (text parameters are lent as they are).
        let mut scratch = String::new();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (_, value) in req.params() {
            if value.as_str().is_none() {
                let start = scratch.len();
                param_text(value, &mut scratch);
                spans.push((start, scratch.len()));
            }
        }
        let mut spans = spans.into_iter();
        let mut params = Pairs::new();
        for (name, value) in req.params() {
            let text = match value.as_str() {
                Some(s) => s,
                None => spans
                    .next()
                    .and_then(|(start, end)| scratch.get(start..end))
                    .unwrap_or_default(),
            };
            params.push(name.as_bytes(), text.as_bytes());
        }
        let mut headers = Pairs::new();
        for (name, value) in req.headers() {
            headers.push(name.as_str().as_bytes(), value.as_bytes());
        }
        let uri = req.uri();
        let raw_params = params.as_slice();
        let raw_headers = headers.as_slice();
        let raw_req = RawRequest {
            method: RawSlice::new(req.method().as_str().as_bytes()),
            path: RawSlice::new(uri.path().as_bytes()),
            query: RawSlice::new(uri.query().unwrap_or("").as_bytes()),
            params: raw_params.as_ptr(),
            params_len: raw_params.len(),
            headers: raw_headers.as_ptr(),
            headers_len: raw_headers.len(),
            body: RawSlice::new(req.body()),
        };
        let mut answer = Answer {
            status: 200,
            headers: HeaderMap::new(),
            body: Vec::new(),
            invalid: None,
        };
        let raw_res = RawResponse {
            host: (&raw mut answer).cast(),
            set_status,
            add_header,
            write,
        };
        // SAFETY: `handler` is kept alive by the capsule (see `NativeEndpoint`); the
        // request, the writer and all they point to outlive the call, which is what the
        // ABI asks.
        let code = unsafe {
            let handler = self.handler.as_ref();
            (handler.call)(handler.data, &raw_req, &raw_res)
        };
        if code != ANSWERED {
            return self.failed("panicked");
        }
        if let Some(why) = answer.invalid {
            return self.failed(why);
        }
        let Ok(status) = cello_http::status::check(answer.status) else {
            return self.failed("set an invalid status");
        };
        let mut res = Response::new(Body::full(Bytes::from(answer.body)));
        *res.status_mut() = status;
        *res.headers_mut() = answer.headers;
        res
    }
}

/// `app.native(...)`'s check, when the route is declared (the engine checks again when
/// it registers the route): `TypeError` or `ValueError` naming `method pattern`.
#[pyfunction]
pub(crate) fn check_native(
    method: &str,
    pattern: &str,
    capsule: &Bound<'_, PyAny>,
) -> PyResult<()> {
    NativeEndpoint::new(method, pattern, capsule).map(drop)
}
