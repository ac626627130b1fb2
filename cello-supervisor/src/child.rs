//! [`Child`]: one worker process, killed and reaped when its handle drops, so a
//! worker the supervisor forgot cannot exist (no zombie, no orphan).
//!
//! Every child asks the kernel for SIGKILL when its parent dies
//! (`PR_SET_PDEATHSIG`), then checks its parent did not die before that took hold:
//! a supervisor killed with `kill -9` takes its workers with it.

use crate::pipe::{pipe, read_available};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The environment variable that tells a spawned worker which file descriptor
/// reports to its supervisor ([`crate::Reporter::from_env`]).
pub const REPORT_FD_ENV: &str = "CELLO_SUPERVISOR_FD";

/// How a worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(9) => write!(f, "signal 9, SIGKILL"),
            Exit::Signal(15) => write!(f, "signal 15, SIGTERM"),
            Exit::Signal(11) => write!(f, "signal 11, SIGSEGV"),
            Exit::Signal(sig) => write!(f, "signal {sig}"),
        }
    }
}

/// A running worker process and the read end of the pipe it reports on.
#[derive(Debug)]
pub struct Child {
    pid: libc::pid_t,
    report: OwnedFd,
    exited: Option<Exit>,
}

impl Child {
    /// Forks; the child runs `work` with the write end of its report pipe and exits
    /// with the code it returns (never returning into the caller's stack).
    ///
    /// Fork before starting threads: the child has only the forking thread, and
    /// locks other threads held stay locked in it.
    pub fn fork(work: impl FnOnce(OwnedFd) -> i32) -> io::Result<Child> {
        let (read, write) = pipe()?;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: fork has no memory-safety preconditions; the child only runs
        // `work` and then `_exit`s, never unwinding into the parent's frames.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            drop(read);
            let code = match in_child(parent) {
                Ok(()) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(write)))
                    .unwrap_or(101),
                Err(_) => 1,
            };
            // SAFETY: ends the forked child without running the parent's atexit
            // handlers or destructors a second time.
            unsafe { libc::_exit(code) }
        }
        drop(write);
        Ok(Child::adopt(pid, read))
    }

    /// Starts `command` with the report pipe's write end inherited, its number in
    /// the `CELLO_SUPERVISOR_FD` environment variable, and the file descriptors of
    /// `inherit` (listening sockets) kept open across `exec` at the same numbers.
    pub fn spawn(mut command: Command, inherit: &[RawFd]) -> io::Result<Child> {
        let (read, write) = pipe()?;
        let mut keep = inherit.to_vec();
        keep.push(write.as_raw_fd());
        command.env(REPORT_FD_ENV, write.as_raw_fd().to_string());
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the hook runs between fork and exec and only makes
        // async-signal-safe calls (prctl, getppid, fcntl).
        unsafe {
            command.pre_exec(move || {
                in_child(parent)?;
                for &fd in &keep {
                    let flags = libc::fcntl(fd, libc::F_GETFD);
                    if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop(write);
        Ok(Child::adopt(child.id() as libc::pid_t, read))
    }

    /// Takes charge of a process this one started some other way (Python's
    /// `os.fork`), with the read end of its report pipe.
    pub fn adopt(pid: libc::pid_t, report: OwnedFd) -> Child {
        Child {
            pid,
            report,
            exited: None,
        }
    }

    /// The process id.
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// The report pipe's read end (non-blocking).
    pub fn report_fd(&self) -> RawFd {
        self.report.as_raw_fd()
    }

    /// What the worker wrote since the last call.
    pub fn read_report(&self, into: &mut Vec<u8>) -> io::Result<bool> {
        read_available(&self.report, into)
    }

    /// Sends `signal` (ignored once it has exited).
    pub fn signal(&self, signal: i32) {
        if self.exited.is_none() {
            // SAFETY: kill has no memory-safety preconditions; the pid is still our
            // unreaped child, so it cannot name another process.
            unsafe { libc::kill(self.pid, signal) };
        }
    }

    /// Reaps it if it has exited, without waiting.
    pub fn try_wait(&mut self) -> Option<Exit> {
        if self.exited.is_none() {
            self.exited = wait(self.pid, libc::WNOHANG);
        }
        self.exited
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.exited.is_none() {
            self.signal(libc::SIGKILL);
            self.exited = wait(self.pid, 0);
        }
    }
}

fn wait(pid: libc::pid_t, flags: i32) -> Option<Exit> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid out pointer.
        let got = unsafe { libc::waitpid(pid, &mut status, flags) };
        if got == pid {
            return Some(if libc::WIFSIGNALED(status) {
                Exit::Signal(libc::WTERMSIG(status))
            } else {
                Exit::Code(libc::WEXITSTATUS(status))
            });
        }
        if got < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        // 0: still running; ECHILD: someone else reaped it (report it as gone).
        return (got < 0).then_some(Exit::Code(-1));
    }
}

/// What every worker does first: die with its parent, and give up at once if the
/// parent is already gone. Also restores the default handlers of the signals the
/// supervisor catches. Async-signal-safe.
pub fn in_child(parent: libc::pid_t) -> io::Result<()> {
    crate::signals::reset_in_child();
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number; no pointers.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err(io::Error::other(
            "the supervisor exited while this worker started",
        ));
    }
    Ok(())
}
