//! The signals the supervisor handles (SIGTERM, SIGINT, SIGHUP, SIGCHLD), turned into
//! bytes on a pipe its poll loop reads: a handler only writes one byte.

use crate::pipe::{pipe, read_available, set_nonblocking};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

const CAUGHT: [i32; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD];

static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
static READ_FD: AtomicI32 = AtomicI32::new(-1);
/// The supervisor's pid: a forked child that has not reset its handlers yet must
/// not write into the supervisor's pipe.
static OWNER: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    // SAFETY: getpid is async-signal-safe.
    if unsafe { libc::getpid() } != OWNER.load(Ordering::Relaxed) {
        return;
    }
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        crate::pipe::write_some(fd, &[signal as u8]);
    }
}

/// The installed handlers; dropping it restores the previous ones.
pub(crate) struct Signals {
    read: OwnedFd,
    _write: OwnedFd,
    saved: Vec<(i32, libc::sigaction)>,
}

impl Signals {
    /// Installs the handlers (one supervisor per process at a time).
    pub(crate) fn install() -> io::Result<Signals> {
        let (read, write) = pipe()?;
        set_nonblocking(write.as_raw_fd())?;
        WRITE_FD.store(write.as_raw_fd(), Ordering::SeqCst);
        READ_FD.store(read.as_raw_fd(), Ordering::SeqCst);
        OWNER.store(std::process::id() as i32, Ordering::SeqCst);
        let mut signals = Signals {
            read,
            _write: write,
            saved: Vec::new(),
        };
        for signal in CAUGHT {
            // SAFETY: a zeroed sigaction is a valid value to fill in.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
            // SAFETY: as above.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: both pointers are valid sigaction values; the handler is
            // async-signal-safe (getpid and write only).
            if unsafe { libc::sigemptyset(&mut action.sa_mask) } != 0
                || unsafe { libc::sigaction(signal, &action, &mut old) } != 0
            {
                return Err(io::Error::last_os_error());
            }
            signals.saved.push((signal, old));
        }
        Ok(signals)
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// The signals caught since the last call, in order.
    pub(crate) fn take(&self) -> Vec<i32> {
        let mut got = Vec::new();
        let _ = read_available(&self.read, &mut got);
        got.into_iter().map(i32::from).collect()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        WRITE_FD.store(-1, Ordering::SeqCst);
        READ_FD.store(-1, Ordering::SeqCst);
        for (signal, old) in &self.saved {
            // SAFETY: `old` is the action sigaction returned for this signal.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
    }
}

/// In a forked worker: the default handlers back, and the supervisor's signal pipe
/// closed. Async-signal-safe.
pub(crate) fn reset_in_child() {
    for signal in CAUGHT {
        // SAFETY: setting a disposition to SIG_DFL has no preconditions.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
    for fd in [&WRITE_FD, &READ_FD] {
        let fd = fd.swap(-1, Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: the child's copy of the supervisor's pipe; nothing in the
            // child uses it.
            unsafe { libc::close(fd) };
        }
    }
}
