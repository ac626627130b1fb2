//! `--max-requests`: the worker's requests are counted and, at the limit, it tells the
//! supervisor and stops accepting (the connections drain, the worker exits). Only a
//! worker started with a limit counts: others pay nothing.

use std::cell::Cell;
use std::rc::Rc;

/// The requests a worker has left before it recycles, shared by its connections
/// (counted in [`crate::front::Front`], which only a worker with a limit has).
#[derive(Clone)]
pub(crate) struct Recycle {
    left: Rc<Cell<u64>>,
    at_limit: Rc<dyn Fn()>,
}

impl Recycle {
    /// `at_limit` runs once, as the `n`th request starts.
    pub(crate) fn new(n: u64, at_limit: impl Fn() + 'static) -> Self {
        Recycle {
            left: Rc::new(Cell::new(n.max(1))),
            at_limit: Rc::new(at_limit),
        }
    }

    /// Counts one request.
    pub(crate) fn count(&self) {
        let left = self.left.get();
        if left == 1 {
            (self.at_limit)();
        }
        self.left.set(left.saturating_sub(1));
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
