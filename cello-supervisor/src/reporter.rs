//! The worker's side of the report pipe: one byte per event, never blocking.
//!
//! The protocol: `R` once serving; `E` then a message (to the end of the pipe) when
//! it fails before serving; `H` heartbeats (about one a second, written from the
//! worker's event loop, so a stuck loop stops them); `M` when it stops accepting to
//! be recycled (`--max-requests`), so its replacement starts at once.

use crate::child::REPORT_FD_ENV;
use crate::pipe::{set_nonblocking, write_some};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Ready: the worker serves.
pub const READY: u8 = b'R';
/// Failed before serving; the message follows.
pub const FAILED: u8 = b'E';
/// A heartbeat.
pub const BEAT: u8 = b'H';
/// Recycling: no longer accepting, draining, then exiting 0.
pub const RECYCLING: u8 = b'M';

/// Writes a worker's reports to its supervisor.
#[derive(Debug)]
pub struct Reporter(OwnedFd);

impl Reporter {
    /// The reporter on `fd` (a worker's write end; it becomes non-blocking).
    pub fn new(fd: OwnedFd) -> Reporter {
        let _ = set_nonblocking(fd.as_raw_fd());
        Reporter(fd)
    }

    /// The reporter of a spawned worker: the descriptor named by
    /// `CELLO_SUPERVISOR_FD`, if it is set to an open one.
    ///
    /// # Safety
    /// The descriptor must not be owned by anything else in this process.
    pub unsafe fn from_env() -> Option<Reporter> {
        let fd: i32 = std::env::var(REPORT_FD_ENV).ok()?.parse().ok()?;
        // SAFETY: F_GETFD only checks that the descriptor is open.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return None;
        }
        // SAFETY: the caller promises nothing else owns it.
        Some(Reporter::new(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Says the worker serves.
    pub fn ready(&self) {
        write_some(self.0.as_raw_fd(), &[READY]);
    }

    /// Says the worker failed before serving, and why (one line is best).
    pub fn failed(&self, message: &str) {
        let mut data = vec![FAILED];
        data.extend_from_slice(&message.as_bytes()[..message.len().min(4000)]);
        write_some(self.0.as_raw_fd(), &data);
    }

    /// One heartbeat.
    pub fn beat(&self) {
        write_some(self.0.as_raw_fd(), &[BEAT]);
    }

    /// Says the worker stopped accepting to be replaced.
    pub fn recycling(&self) {
        write_some(self.0.as_raw_fd(), &[RECYCLING]);
    }
}
