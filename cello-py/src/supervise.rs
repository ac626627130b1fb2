//! `supervise`, `worker_init`: `App.run(workers=N)` and `cello run --workers/--reload`
//! on the Rust supervisor (`cello_supervisor`). The supervisor loop runs without the
//! GIL; it takes it only to fork a worker through Python (`os.fork` keeps the
//! interpreter consistent in the child) and to log through `logging`.

use cello_supervisor::{Child, Config, Error, Level, Supervisor, WatchConfig};
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Runs `workers` workers until SIGTERM/SIGINT. Each is started either by
/// `fork(slot, report_fd) -> pid` (a Python function that forks; the child calls
/// `worker_init`, serves with `report_fd`, and never returns), or by running
/// `command` (argv) with the listening socket `listen_fds[slot]` inherited and
/// named by `CELLO_LISTEN_FD`. A worker that fails before it served raises
/// `RuntimeError` "a worker failed to start: ...". Worker deaths, restarts and
/// replacements are logged on `cello.error`.
#[pyfunction]
#[pyo3(signature = (workers, *, fork=None, command=None, listen_fds=Vec::new(), timeout_graceful_shutdown=None, timeout_worker_healthcheck=None, reload=false, reload_dirs=Vec::new(), reload_include=Vec::new(), reload_exclude=Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn supervise(
    py: Python<'_>,
    workers: usize,
    fork: Option<Py<PyAny>>,
    command: Option<Vec<String>>,
    listen_fds: Vec<i32>,
    timeout_graceful_shutdown: Option<f64>,
    timeout_worker_healthcheck: Option<f64>,
    reload: bool,
    reload_dirs: Vec<PathBuf>,
    reload_include: Vec<String>,
    reload_exclude: Vec<String>,
) -> PyResult<()> {
    let mut config = Config {
        workers: workers.max(1),
        healthcheck_timeout: timeout_worker_healthcheck.map(Duration::from_secs_f64),
        ..Config::default()
    };
    if let Some(t) = timeout_graceful_shutdown {
        // The workers drain for this long themselves; a little more for their
        // shutdown hooks before the SIGKILL.
        config.graceful_timeout = Duration::from_secs_f64(t) + Duration::from_secs(2);
    }
    if reload {
        let mut watch = WatchConfig::default();
        if !reload_dirs.is_empty() {
            watch.dirs = reload_dirs;
        }
        if !reload_include.is_empty() {
            watch.include = reload_include;
        }
        watch.exclude.extend(reload_exclude);
        config.reload = Some(watch);
    }
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("cello.error",))?
        .unbind();
    let log = move |level: Level, line: &str| {
        let level = match level {
            Level::Info => 20,
            Level::Warning => 30,
            Level::Error => 40,
        };
        Python::attach(|py| {
            if logger.call_method1(py, "log", (level, line)).is_err() {
                eprintln!("{line}");
            }
        });
    };
    let result = match (fork, command) {
        (Some(fork), None) => {
            let launch = move |slot: usize| {
                let (read, write) = cello_supervisor::report_pipe()?;
                let pid = Python::attach(|py| -> PyResult<i32> {
                    fork.call1(py, (slot, write.as_raw_fd()))?.extract(py)
                })
                .map_err(|e| std::io::Error::other(e.to_string()))?;
                drop(write);
                Ok(Child::adopt(pid, read))
            };
            py.detach(|| Supervisor::new(config, launch).log(log).run())
        }
        (None, Some(argv)) if !argv.is_empty() && !listen_fds.is_empty() => {
            let launch = move |slot: usize| {
                let fd = listen_fds[slot % listen_fds.len()];
                let mut cmd = Command::new(&argv[0]);
                cmd.args(&argv[1..]).env("CELLO_LISTEN_FD", fd.to_string());
                Child::spawn(cmd, &[fd])
            };
            py.detach(|| Supervisor::new(config, launch).log(log).run())
        }
        _ => {
            return Err(PyRuntimeError::new_err(
                "supervise needs either fork or command with listen_fds",
            ))
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(e @ Error::WorkerFailed(_)) => Err(PyRuntimeError::new_err(e.to_string())),
        Err(Error::Io(e)) => Err(PyOSError::new_err(format!(
            "the worker supervisor failed: {e}"
        ))),
    }
}

/// In a worker just forked by `supervise`: dies with the supervisor
/// (`PR_SET_PDEATHSIG`), and raises `OSError` if `parent` already exited.
#[pyfunction]
pub fn worker_init(parent: i32) -> PyResult<()> {
    cello_supervisor::in_child(parent).map_err(|e| PyOSError::new_err(e.to_string()))
}
