use crate::testing::{CallError, TestRequest};
use crate::{NativeHandler, Request, Response, ABI_VERSION, ANSWERED, CAPSULE_NAME, PANICKED};
use std::io::Write as _;

fn echo(req: &Request<'_>, res: &mut Response<'_>) {
    let agent = req.header("User-Agent").unwrap_or(b"none");
    res.status(202).header("x-agent", agent);
    let _ = write!(
        res,
        "{} {} q={} id={} body={}",
        req.method(),
        req.path(),
        req.query(),
        req.param("id").unwrap_or("-"),
        req.body().len()
    );
}
static ECHO: NativeHandler = crate::handler!(echo);

fn silent(_: &Request<'_>, _: &mut Response<'_>) {}
static SILENT: NativeHandler = crate::handler!(silent);

fn boom(_: &Request<'_>, res: &mut Response<'_>) {
    res.write(b"partial");
    panic!("boom");
}
static BOOM: NativeHandler = crate::handler!(boom);

#[test]
fn handler_macro_stamps_the_abi_version_and_size() {
    assert_eq!(ECHO.abi, ABI_VERSION);
    assert_eq!(ECHO.size as usize, std::mem::size_of::<NativeHandler>());
    assert!(ECHO.data.is_null());
    assert_eq!(CAPSULE_NAME.to_bytes(), b"cello.native.v1");
}

#[test]
fn request_view_reads_every_part() {
    let answer = TestRequest::new("POST", "/items/7")
        .query("a=1&b=2")
        .param("id", "7")
        .header("user-agent", "test/1")
        .body("hello")
        .call(&ECHO);
    let answer = answer.unwrap_or_default();
    assert_eq!(answer.status, 202);
    assert_eq!(answer.headers, [(b"x-agent".to_vec(), b"test/1".to_vec())]);
    assert_eq!(answer.body, b"POST /items/7 q=a=1&b=2 id=7 body=5");
}

#[test]
fn header_lookup_ignores_case_and_takes_the_first_value() {
    fn first(req: &Request<'_>, res: &mut Response<'_>) {
        res.write(req.header("X-TWICE").unwrap_or(b"?"));
        res.write(req.headers().len().to_string().as_bytes());
    }
    static FIRST: NativeHandler = crate::handler!(first);
    let answer = TestRequest::get("/")
        .header("x-twice", "one")
        .header("x-twice", "two")
        .call(&FIRST);
    assert_eq!(answer.map(|a| a.body), Ok(b"one2".to_vec()));
}

#[test]
fn missing_parts_read_as_empty() {
    let answer = TestRequest::get("/").call(&ECHO).unwrap_or_default();
    assert_eq!(answer.headers, [(b"x-agent".to_vec(), b"none".to_vec())]);
    assert_eq!(answer.body, b"GET / q= id=- body=0");
}

#[test]
fn a_handler_that_writes_nothing_answers_200_empty() {
    let answer = TestRequest::get("/").call(&SILENT);
    assert_eq!(
        answer.map(|a| (a.status, a.body.len(), a.headers.len())),
        Ok((200, 0, 0))
    );
}

#[test]
fn a_panic_is_caught_and_reported_not_unwound() {
    assert_eq!(TestRequest::get("/").call(&BOOM), Err(CallError::Panicked));
    // The entry point itself says so with the ABI's code.
    assert_eq!(
        TestRequest::get("/").call(&SILENT).map(|_| ANSWERED),
        Ok(ANSWERED)
    );
    assert_ne!(ANSWERED, PANICKED);
}

#[test]
fn null_pointers_are_refused_without_a_call() {
    // SAFETY: null is allowed by `dispatch`'s contract.
    let code = unsafe { crate::dispatch(echo, std::ptr::null(), std::ptr::null()) };
    assert_eq!(code, PANICKED);
}
