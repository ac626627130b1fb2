//! The asyncio loop as a guest of the tokio runtime, on the same thread.
//!
//! The loop is a stdlib selector loop. Its epoll fd is registered with tokio; the
//! driver runs one non-blocking turn of the loop (`Scheduler::turn`, in Rust) when
//! that fd is readable, when a timer the loop scheduled is due, or when a handler
//! just gave it work (a new Task, a cancellation). No second thread, no self-pipe
//! write per request.
//!
//! Timers use a `timerfd` armed at the loop's next deadline (CLOCK_MONOTONIC, the
//! clock `loop.time()` reads) rather than `tokio::time::sleep`: tokio's timer wheel
//! has 1 ms granularity, which turned `await asyncio.sleep(0.001)` into 2 ms and cut
//! `/async-sleep` throughput (measured: 7.9K req/s with tokio's sleep).

use crate::runtime;
use crate::scheduler::{Next, Scheduler};
use pyo3::prelude::*;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

struct Fd(RawFd);
impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// A non-blocking CLOCK_MONOTONIC timerfd.
struct TimerFd(OwnedFd);

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl TimerFd {
    fn new() -> std::io::Result<Self> {
        // SAFETY: plain syscall; the returned fd is checked and then owned.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Fires at `when` seconds of CLOCK_MONOTONIC (at once if that has passed).
    fn arm(&self, when: f64) {
        let when = when.max(1e-9);
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: when.trunc() as libc::time_t,
                tv_nsec: ((when.fract() * 1e9) as libc::c_long).clamp(0, 999_999_999),
            },
        };
        // SAFETY: valid fd and itimerspec; the old value is not requested.
        unsafe {
            libc::timerfd_settime(
                self.0.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
    }

    fn drain(&self) {
        let mut n = 0u64;
        // SAFETY: reads at most 8 bytes into a u64 on our own non-blocking fd.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
    }
}

/// Drives the loop of `scheduler` until the runtime stops. `selector_fd` is the fd of
/// the loop's selector.
pub async fn drive(scheduler: Py<Scheduler>, selector_fd: RawFd) {
    let notify = Python::attach(|py| scheduler.bind(py).borrow().notify());
    // SAFETY: the selector fd stays open while the loop lives, and the loop outlives
    // this driver: `Engine.serve` aborts the driver before it returns, and the loop is
    // closed by Python only after that.
    let selector = unsafe { AsyncFd::register_with_interest(Fd(selector_fd), Interest::READABLE) };
    let timer = TimerFd::new().and_then(|t| {
        // SAFETY: the AsyncFd owns the timerfd for its whole life.
        unsafe { AsyncFd::register_with_interest(t, Interest::READABLE) }
            .map_err(|e| e.to_string())
            .map_err(std::io::Error::other)
    });
    let (selector, timer) = match (selector, timer) {
        (Ok(s), Ok(t)) => (s, t),
        (s, t) => {
            let msg = format!(
                "cannot drive the asyncio loop: selector {:?}, timer {:?}",
                s.err().map(|e| e.to_string()),
                t.err().map(|e| e.to_string())
            );
            Python::attach(|py| runtime::log_error(py, &msg));
            return;
        }
    };
    let mut next = Next::Now;
    let mut armed = f64::NAN;
    // The selector is polled (a Python call and a syscall) only when tokio saw its
    // fd become readable, or when the last poll gave events: tokio watches the fd
    // edge-triggered, so events left queued after a turn bring no new edge.
    let mut poll_io = true;
    loop {
        match next {
            Next::Now => {
                tokio::select! {
                    biased;
                    r = selector.readable() => if let Ok(mut g) = r { g.clear_ready(); poll_io = true },
                    _ = tokio::task::yield_now() => {},
                }
            }
            Next::At(when) => {
                if when != armed {
                    timer.get_ref().arm(when);
                    armed = when;
                }
                tokio::select! {
                    biased;
                    r = selector.readable() => if let Ok(mut g) = r { g.clear_ready(); poll_io = true },
                    r = timer.readable() => if let Ok(mut g) = r {
                        g.get_inner().drain();
                        g.clear_ready();
                        armed = f64::NAN;
                    },
                    _ = notify.notified() => {},
                }
            }
            Next::Io => {
                tokio::select! {
                    biased;
                    r = selector.readable() => if let Ok(mut g) = r { g.clear_ready(); poll_io = true },
                    _ = notify.notified() => {},
                }
            }
        }
        next = Python::attach(|py| {
            let scheduler = scheduler.bind(py).borrow();
            let io = poll_io.then_some(Some(0.0));
            match scheduler.turn(py, io) {
                Ok(had_events) => poll_io = had_events,
                Err(e) => e.print(py),
            }
            if poll_io {
                Next::Now
            } else {
                scheduler.next(py)
            }
        });
    }
}
