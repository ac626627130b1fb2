//! The asyncio loop as a guest of the tokio runtime, on the same thread.
//!
//! The loop is a stdlib selector loop. Its epoll fd is registered with tokio; the
//! driver runs one non-blocking iteration of the loop (`cello._runtime.run_once`)
//! when that fd is readable, when a timer the loop scheduled is due, or when a
//! handler just gave it work (a new Task, a cancellation). No second thread, no
//! self-pipe write per request.

use crate::runtime;
use pyo3::prelude::*;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Notify;

struct Fd(RawFd);
impl std::os::fd::AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

fn still_readable(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    unsafe { libc::poll(&mut p, 1, 0) > 0 }
}

/// Drives `event_loop` until the runtime stops. `selector_fd` is its selector's fd.
pub async fn drive(event_loop: Py<PyAny>, selector_fd: RawFd, notify: Rc<Notify>) {
    // SAFETY: the selector fd stays open while the loop lives, and the loop outlives
    // this driver: `Engine.serve` aborts the driver before it returns, and the loop is
    // closed by Python only after that.
    let registered =
        unsafe { AsyncFd::register_with_interest(Fd(selector_fd), Interest::READABLE) };
    let afd = match registered {
        Ok(a) => a,
        Err(e) => {
            let e = e.to_string();
            Python::attach(|py| {
                runtime::log_error(py, &format!("cannot watch the asyncio selector: {e}"))
            });
            return;
        }
    };
    let mut next: Option<f64> = Some(0.0);
    loop {
        match next {
            Some(s) if s <= 0.0 => tokio::task::yield_now().await,
            Some(s) => {
                // Round up so the loop finds its timer due when it runs.
                let d = Duration::from_secs_f64(s) + Duration::from_micros(50);
                tokio::select! {
                    biased;
                    r = afd.readable() => if let Ok(mut g) = r { g.clear_ready() },
                    _ = notify.notified() => {},
                    _ = tokio::time::sleep(d) => {},
                }
            }
            None => {
                tokio::select! {
                    biased;
                    r = afd.readable() => if let Ok(mut g) = r { g.clear_ready() },
                    _ = notify.notified() => {},
                }
            }
        }
        let after = Python::attach(|py| {
            let rt = runtime::get(py).ok()?;
            match rt.run_once.bind(py).call1((event_loop.bind(py),)) {
                Ok(v) => v.extract::<Option<f64>>().ok().flatten(),
                Err(e) => {
                    e.print(py);
                    Some(0.001)
                }
            }
        });
        // tokio watches the selector edge-triggered: if events are still queued after
        // this turn, take another turn instead of waiting for an edge that won't come.
        next = if still_readable(selector_fd) {
            Some(0.0)
        } else {
            after
        };
    }
}
