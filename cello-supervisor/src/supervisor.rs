//! [`Supervisor`]: runs N workers until SIGTERM/SIGINT, restarts the ones that die,
//! replaces them all on SIGHUP (or a file change with `--reload`), and kills the
//! ones whose heartbeats stop.
//!
//! One thread, one `poll` over the signal pipe, the reload pipe and each worker's
//! report pipe; every worker is a [`Child`], so leaving `run` (even by a panic) kills
//! and reaps whatever still runs.

use crate::child::{Child, Exit};
use crate::reporter::{BEAT, FAILED, READY, RECYCLING};
use crate::signals::Signals;
use crate::watch::{Watch, WatchConfig};
use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

/// Starts the worker for a slot (0..workers): forks ([`Child::fork`]), spawns
/// ([`Child::spawn`]) or adopts ([`Child::adopt`]) it.
pub trait Launch {
    /// Starts one worker for `slot`.
    fn launch(&mut self, slot: usize) -> io::Result<Child>;
}

impl<F: FnMut(usize) -> io::Result<Child>> Launch for F {
    fn launch(&mut self, slot: usize) -> io::Result<Child> {
        self(slot)
    }
}

/// How bad a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal life: a worker started, stopped, was replaced.
    Info,
    /// Something the operator should look at (a worker killed at the deadline).
    Warning,
    /// A worker died or failed to start.
    Error,
}

/// The supervisor's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Workers kept running (at least 1).
    pub workers: usize,
    /// After SIGTERM/SIGINT, how long workers have to drain before SIGKILL.
    pub graceful_timeout: Duration,
    /// Kill a ready worker that sent no heartbeat for this long (None: never).
    pub healthcheck_timeout: Option<Duration>,
    /// Replace the workers when a watched file changes (development).
    pub reload: Option<WatchConfig>,
    /// The first restart delay; it doubles while replacements keep dying young.
    pub first_delay: Duration,
    /// The longest restart delay.
    pub max_delay: Duration,
    /// A worker that lived this long restarts after `first_delay` again.
    pub stable_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workers: 1,
            graceful_timeout: Duration::from_secs(30),
            healthcheck_timeout: None,
            reload: None,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            stable_after: Duration::from_secs(60),
        }
    }
}

/// Why [`Supervisor::run`] failed.
#[derive(Debug)]
pub enum Error {
    /// A worker failed before it ever served (so every worker would): its error.
    WorkerFailed(String),
    /// The supervisor itself could not work (signals, pipes, the watcher, fork).
    Io(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::WorkerFailed(why) => write!(f, "a worker failed to start: {why}"),
            Error::Io(e) => write!(f, "the supervisor failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// Runs workers; see the module documentation.
pub struct Supervisor<L> {
    launch: L,
    config: Config,
    log: LogFn,
}

/// Where the supervisor's log lines go.
type LogFn = Box<dyn FnMut(Level, &str)>;

struct Worker {
    child: Child,
    slot: usize,
    generation: u64,
    ready: bool,
    /// Draining to be replaced (old generation, or recycled): its exit is expected.
    retiring: bool,
    started: Instant,
    last_beat: Instant,
    error: Option<Vec<u8>>,
    eof: bool,
}

impl<L: Launch> Supervisor<L> {
    /// A supervisor that starts workers with `launch` and logs to stderr.
    pub fn new(config: Config, launch: L) -> Self {
        Supervisor {
            launch,
            config,
            log: Box::new(|level, line| eprintln!("{level:?}: {line}")),
        }
    }

    /// Sends the log lines (worker deaths, restarts, replacements) to `log`.
    pub fn log(mut self, log: impl FnMut(Level, &str) + 'static) -> Self {
        self.log = Box::new(log);
        self
    }

    /// Runs until SIGTERM or SIGINT and every worker has exited (`Ok`), or until a
    /// worker failed before it served (`Error::WorkerFailed`, once the others
    /// stopped). SIGHUP starts new workers and, once each is ready, stops the old ones.
    pub fn run(mut self) -> Result<(), Error> {
        let signals = Signals::install()?;
        let watch = self.config.reload.as_ref().map(Watch::start).transpose()?;
        let mut state = State {
            workers: Vec::new(),
            generation: 0,
            pending: None,
            restarts: Vec::new(),
            delays: HashMap::new(),
            stop_deadline: None,
            failure: None,
            reload_at: None,
        };
        for slot in 0..self.config.workers.max(1) {
            let child = self.launch.launch(slot)?;
            state.workers.push(Worker::new(child, slot, 0));
        }
        loop {
            if state.stop_deadline.is_some() && state.workers.is_empty() {
                break;
            }
            self.wait(&state, &signals, watch.as_ref());
            let now = Instant::now();
            for signal in signals.take() {
                match signal {
                    libc::SIGTERM | libc::SIGINT if state.stop_deadline.is_none() => {
                        let name = if signal == libc::SIGINT {
                            "SIGINT"
                        } else {
                            "SIGTERM"
                        };
                        (self.log)(
                            Level::Info,
                            &format!("{name}: stopping the workers gracefully"),
                        );
                        self.stop(&mut state, now);
                    }
                    libc::SIGINT => {
                        (self.log)(Level::Warning, "SIGINT again: killing the workers");
                        state.kill_all();
                    }
                    libc::SIGHUP => self.replace(&mut state, "SIGHUP"),
                    _ => {}
                }
            }
            if watch.as_ref().is_some_and(Watch::changed) {
                state.reload_at = Some(now + Duration::from_millis(100));
            }
            if state.reload_at.is_some_and(|at| at <= now) {
                state.reload_at = None;
                self.replace(&mut state, "a watched file changed");
            }
            self.read_reports(&mut state, now);
            self.reap(&mut state, now);
            self.check_health(&state, now);
            self.restart_due(&mut state, now);
            if state.stop_deadline.is_some_and(|at| at <= now) {
                (self.log)(
                    Level::Warning,
                    &format!(
                        "{} worker(s) still running after the graceful timeout; killing them",
                        state.workers.len()
                    ),
                );
                state.kill_all();
                state.stop_deadline = Some(now + Duration::from_secs(3600));
            }
        }
        drop(signals);
        match state.failure {
            Some(why) => Err(Error::WorkerFailed(why)),
            None => Ok(()),
        }
    }

    /// Sleeps in `poll` until a signal, a report, a file change or the next deadline.
    fn wait(&self, state: &State, signals: &Signals, watch: Option<&Watch>) {
        let now = Instant::now();
        let mut until = now + Duration::from_secs(1);
        let deadlines = state
            .restarts
            .iter()
            .map(|(at, _)| *at)
            .chain(state.reload_at)
            .chain(state.stop_deadline)
            .chain(self.config.healthcheck_timeout.into_iter().flat_map(|t| {
                state
                    .workers
                    .iter()
                    .filter(|w| w.ready)
                    .map(move |w| w.last_beat + t)
            }));
        for at in deadlines {
            until = until.min(at);
        }
        let mut fds = vec![signals.fd()];
        fds.extend(watch.map(Watch::fd));
        fds.extend(
            state
                .workers
                .iter()
                .filter(|w| !w.eof)
                .map(|w| w.child.report_fd()),
        );
        let mut polled: Vec<libc::pollfd> = fds
            .into_iter()
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let ms = until.saturating_duration_since(now).as_millis().min(1000) as i32;
        // SAFETY: `polled` is a valid array of `polled.len()` pollfd values. EINTR
        // (a signal) just ends the wait early.
        unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, ms) };
    }

    fn start(&mut self, state: &mut State, slot: usize, generation: u64) {
        match self.launch.launch(slot) {
            Ok(child) => state.workers.push(Worker::new(child, slot, generation)),
            Err(e) => {
                let delay = self.config.max_delay;
                (self.log)(
                    Level::Error,
                    &format!(
                        "could not start a worker ({e}); trying again in {:.1}s",
                        delay.as_secs_f64()
                    ),
                );
                state.restarts.push((Instant::now() + delay, slot));
            }
        }
    }

    fn stop(&mut self, state: &mut State, now: Instant) {
        state.stop_deadline = Some(now + self.config.graceful_timeout);
        state.restarts.clear();
        state.pending = None;
        state.reload_at = None;
        for w in &state.workers {
            w.child.signal(libc::SIGTERM);
        }
    }

    /// Starts a new generation of workers; the old ones stop once all are ready.
    fn replace(&mut self, state: &mut State, why: &str) {
        if state.stop_deadline.is_some() {
            return;
        }
        if let Some(pending) = state.pending {
            state.retire(|w| w.generation == pending);
        }
        let generation = state
            .workers
            .iter()
            .map(|w| w.generation)
            .max()
            .unwrap_or(0)
            + 1;
        state.pending = Some(generation);
        let n = self.config.workers.max(1);
        (self.log)(Level::Info, &format!("{why}: starting {n} new worker(s)"));
        for slot in 0..n {
            self.start(state, slot, generation);
        }
    }

    fn read_reports(&mut self, state: &mut State, now: Instant) {
        let mut recycled = Vec::new();
        let mut became_ready = false;
        for w in state.workers.iter_mut().filter(|w| !w.eof) {
            let mut data = Vec::new();
            w.eof = w.child.read_report(&mut data).unwrap_or(true);
            for (i, &byte) in data.iter().enumerate() {
                if let Some(error) = &mut w.error {
                    error.push(byte);
                    continue;
                }
                match byte {
                    READY => {
                        w.ready = true;
                        w.last_beat = now;
                        became_ready = true;
                    }
                    BEAT => w.last_beat = now,
                    RECYCLING if !w.retiring => {
                        w.retiring = true;
                        recycled.push((w.child.pid(), w.slot));
                    }
                    FAILED => {
                        // The rest of the pipe is the message.
                        w.error = Some(data[i + 1..].to_vec());
                        break;
                    }
                    _ => {}
                }
            }
        }
        for (pid, slot) in recycled {
            if state.stop_deadline.is_none() {
                (self.log)(
                    Level::Info,
                    &format!("worker {pid} reached its max requests; starting its replacement"),
                );
                let generation = state.generation;
                self.start(state, slot, generation);
            }
        }
        if became_ready {
            if let Some(pending) = state.pending {
                let new = state.workers.iter().filter(|w| w.generation == pending);
                if new.clone().count() >= self.config.workers.max(1) && new.clone().all(|w| w.ready)
                {
                    state.pending = None;
                    state.generation = pending;
                    let old = state.retire(|w| w.generation < pending);
                    (self.log)(
                        Level::Info,
                        &format!("new workers ready; stopping {old} old worker(s)"),
                    );
                }
            }
        }
    }

    fn reap(&mut self, state: &mut State, now: Instant) {
        let mut i = 0;
        while i < state.workers.len() {
            let Some(exit) = state.workers[i].child.try_wait() else {
                i += 1;
                continue;
            };
            let mut w = state.workers.swap_remove(i);
            let mut rest = Vec::new();
            let _ = w.child.read_report(&mut rest);
            if w.error.is_none() {
                if let Some(at) = rest.iter().position(|&b| b == FAILED) {
                    w.error = Some(rest[at + 1..].to_vec());
                }
                w.ready |= rest.contains(&READY);
            } else if let Some(error) = &mut w.error {
                error.extend_from_slice(&rest);
            }
            self.died(state, w, exit, now);
        }
    }

    fn died(&mut self, state: &mut State, w: Worker, exit: Exit, now: Instant) {
        let pid = w.child.pid();
        let why = match &w.error {
            Some(e) if !e.is_empty() => String::from_utf8_lossy(e).trim().to_string(),
            _ => exit.to_string(),
        };
        if state.stop_deadline.is_some() || (w.retiring && w.ready) {
            (self.log)(Level::Info, &format!("worker {pid} stopped ({exit})"));
            return;
        }
        if w.retiring {
            return; // a new worker abandoned before it was ready
        }
        if !w.ready {
            if state.pending == Some(w.generation) {
                (self.log)(
                    Level::Error,
                    &format!(
                        "new worker {pid} failed to start ({why}); the old workers keep serving"
                    ),
                );
                state.pending = None;
                state.retire(|o| o.generation == w.generation);
            } else if self.config.reload.is_some() {
                (self.log)(
                    Level::Error,
                    &format!("worker {pid} failed to start ({why}); waiting for a change"),
                );
            } else {
                (self.log)(
                    Level::Error,
                    &format!("worker {pid} failed to start ({why}); stopping the other workers"),
                );
                state.failure = Some(why);
                self.stop(state, now);
            }
            return;
        }
        let lived = now.duration_since(w.started);
        let delay = match state.delays.get(&w.slot) {
            Some(last) if lived < self.config.stable_after => {
                (*last * 2).min(self.config.max_delay)
            }
            _ => self.config.first_delay,
        };
        state.delays.insert(w.slot, delay);
        (self.log)(
            Level::Error,
            &format!(
                "worker {pid} died ({why}); restarting in {:.1}s",
                delay.as_secs_f64()
            ),
        );
        state.restarts.push((now + delay, w.slot));
    }

    fn check_health(&mut self, state: &State, now: Instant) {
        let Some(timeout) = self.config.healthcheck_timeout else {
            return;
        };
        for w in state.workers.iter().filter(|w| w.ready) {
            if now.duration_since(w.last_beat) > timeout {
                (self.log)(
                    Level::Error,
                    &format!(
                        "worker {} sent no heartbeat for {:.1}s (its event loop is stuck); killing it",
                        w.child.pid(),
                        timeout.as_secs_f64()
                    ),
                );
                w.child.signal(libc::SIGKILL);
            }
        }
    }

    fn restart_due(&mut self, state: &mut State, now: Instant) {
        let due: Vec<usize> = state
            .restarts
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(_, s)| *s)
            .collect();
        state.restarts.retain(|(at, _)| *at > now);
        for slot in due {
            let generation = state.generation;
            self.start(state, slot, generation);
        }
    }
}

struct State {
    workers: Vec<Worker>,
    /// The generation serving now.
    generation: u64,
    /// A generation starting (SIGHUP, reload) that replaces the others once ready.
    pending: Option<u64>,
    restarts: Vec<(Instant, usize)>,
    delays: HashMap<usize, Duration>,
    stop_deadline: Option<Instant>,
    failure: Option<String>,
    reload_at: Option<Instant>,
}

impl State {
    /// SIGTERMs the workers `which` picks that are not retiring yet; how many.
    fn retire(&mut self, which: impl Fn(&Worker) -> bool) -> usize {
        let mut n = 0;
        for w in self.workers.iter_mut().filter(|w| !w.retiring && which(w)) {
            w.retiring = true;
            w.child.signal(libc::SIGTERM);
            n += 1;
        }
        n
    }

    fn kill_all(&self) {
        for w in &self.workers {
            w.child.signal(libc::SIGKILL);
        }
    }
}

impl Worker {
    fn new(child: Child, slot: usize, generation: u64) -> Worker {
        let now = Instant::now();
        Worker {
            child,
            slot,
            generation,
            ready: false,
            retiring: false,
            started: now,
            last_beat: now,
            error: None,
            eof: false,
        }
    }
}
