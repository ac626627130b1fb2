#![doc = include_str!("../README.md")]

mod child;
mod pipe;
mod reporter;
mod signals;
mod supervisor;
mod watch;

pub use child::{in_child, Child, Exit, REPORT_FD_ENV};
pub use reporter::{Reporter, BEAT, FAILED, READY, RECYCLING};
pub use supervisor::{Config, Error, Launch, Level, Supervisor};
pub use watch::WatchConfig;

/// A report pipe for a worker started some other way ([`Child::adopt`]): the
/// supervisor keeps the (non-blocking) read end, the worker gets the write end.
pub fn report_pipe() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    pipe::pipe()
}
