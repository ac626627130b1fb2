//! A small process supervisor for servers, in the spirit of RAII: a worker is a
//! [`Child`] handle that kills and reaps its process when dropped, and every worker
//! dies with its supervisor (`PR_SET_PDEATHSIG`), so neither zombies nor orphans
//! outlive it (Linux).
//!
//! [`Supervisor::run`] keeps `workers` processes running: it restarts one that dies
//! after it served (with a delay that doubles while replacements die young), stops
//! everything with the worker's error when one dies before it ever served, forwards
//! SIGTERM/SIGINT and kills what has not drained after the graceful timeout,
//! replaces every worker on SIGHUP without downtime (new ones first, then the old
//! ones drain), kills a worker whose heartbeats stop, and with
//! [`Config::reload`] does the SIGHUP replacement when a watched file changes.
//!
//! Workers report on a pipe ([`Reporter`]): ready, failed, heartbeat, recycling.
//!
//! Run [`Supervisor::run`] on a thread that lives as long as the workers (the main
//! thread): the kernel's parent-death signal fires when the *thread* that forked a
//! worker exits. Linux only (`prctl`, `pipe2`).
//!
//! ```no_run
//! use cello_supervisor::{Child, Config, Reporter, Supervisor};
//!
//! let config = Config { workers: 2, ..Config::default() };
//! Supervisor::new(config, |_slot: usize| {
//!     Child::fork(|report| {
//!         let report = Reporter::new(report);
//!         report.ready();
//!         // serve here, calling report.beat() about once a second
//!         0
//!     })
//! })
//! .run()
//! .unwrap();
//! ```

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
