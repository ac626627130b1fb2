//! `--max-requests`: a service that counts the worker's requests and, at the limit,
//! tells the supervisor and stops accepting (the connections drain, the worker
//! exits). Only a worker started with a limit is wrapped: others pay nothing.

use std::cell::Cell;
use std::rc::Rc;
use std::task::{Context, Poll};
use tower_service::Service;

/// The requests left, shared by every connection of one worker.
#[derive(Clone)]
pub(crate) struct Counted<S> {
    pub(crate) inner: S,
    pub(crate) left: Rc<Cell<u64>>,
    pub(crate) at_limit: Rc<dyn Fn()>,
}

impl<S: Service<R>, R> Service<R> for Counted<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> S::Future {
        let left = self.left.get();
        if left == 1 {
            (self.at_limit)();
        }
        self.left.set(left.saturating_sub(1));
        self.inner.call(req)
    }
}

/// The worker's own copy of its report pipe (`Engine.serve(supervisor_fd=...)`):
/// heartbeats and the recycling notice go there.
pub(crate) fn reporter(fd: i32) -> pyo3::PyResult<cello_supervisor::Reporter> {
    use std::os::fd::FromRawFd;
    // SAFETY: F_DUPFD_CLOEXEC makes a new descriptor (or fails); no pointers.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(pyo3::exceptions::PyOSError::new_err(format!(
            "supervisor_fd {fd}: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `copy` was just made and is owned by nothing else.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(copy) };
    Ok(cello_supervisor::Reporter::new(fd))
}
