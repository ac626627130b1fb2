//! `cello_native_example`: a Python extension module whose attributes are native
//! handlers for Cello — `PyCapsule`s named `cello.native.v1`, each pointing to a
//! `cello_native::NativeHandler`. Cello calls them from its engine with no Python call:
//!
//! ```python
//! import cello_native_example as native
//! app.native("/json", native.json)
//! app.native("/hello/{name}", native.echo)
//! ```

use cello_native::{NativeHandler, Request, Response};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::fmt::Write as _;

/// `{"message":"Hello, World!"}`, as the benchmarks' `/json`.
fn json(_req: &Request<'_>, res: &mut Response<'_>) {
    res.header("content-type", "application/json")
        .write(br#"{"message":"Hello, World!"}"#);
}

/// Echoes the request as text: the method, the `name` path parameter, the query, the
/// `user-agent` header and the body's length; with `?status=N` answers status `N`.
fn echo(req: &Request<'_>, res: &mut Response<'_>) {
    let status = req
        .query()
        .split('&')
        .find_map(|kv| kv.strip_prefix("status="))
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let agent = String::from_utf8_lossy(req.header("user-agent").unwrap_or(b"")).into_owned();
    res.status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-native", "yes");
    let _ = write!(
        res,
        "method={} name={} query={} agent={} body={}",
        req.method(),
        req.param("name").unwrap_or("-"),
        req.query(),
        agent,
        req.body().len(),
    );
}

/// Panics: Cello answers 500 and the worker keeps serving.
fn panics(_req: &Request<'_>, res: &mut Response<'_>) {
    res.write(b"never sent");
    panic!("this native handler always panics");
}

/// Sets a header with a line break in it: Cello answers 500 instead of sending it.
fn bad_header(_req: &Request<'_>, res: &mut Response<'_>) {
    res.header("x-bad", "a\r\nx-injected: 1");
}

static JSON: NativeHandler = cello_native::handler!(json);
static ECHO: NativeHandler = cello_native::handler!(echo);
static PANICS: NativeHandler = cello_native::handler!(panics);
static BAD_HEADER: NativeHandler = cello_native::handler!(bad_header);

/// A handler stamped with an ABI version no Cello speaks, to show the check that
/// refuses it at registration.
static WRONG_ABI: NativeHandler = NativeHandler {
    abi: 999,
    ..cello_native::handler!(json)
};

/// A `cello.native.v1` capsule pointing to `handler`.
fn capsule<'py>(
    py: Python<'py>,
    handler: &'static NativeHandler,
) -> PyResult<Bound<'py, PyCapsule>> {
    let ptr = std::ptr::NonNull::from(handler).cast();
    // SAFETY: `handler` is a static: it outlives the capsule, which has no destructor.
    unsafe { PyCapsule::new_with_pointer(py, ptr, cello_native::CAPSULE_NAME) }
}

/// The module: one capsule per handler.
#[pymodule]
fn cello_native_example(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("json", capsule(py, &JSON)?)?;
    m.add("echo", capsule(py, &ECHO)?)?;
    m.add("panics", capsule(py, &PANICS)?)?;
    m.add("bad_header", capsule(py, &BAD_HEADER)?)?;
    m.add("wrong_abi", capsule(py, &WRONG_ABI)?)?;
    Ok(())
}
