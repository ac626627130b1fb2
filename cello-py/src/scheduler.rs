//! The asyncio loop's ready queue and timers, kept in Rust.
//!
//! The stdlib loop keeps every `call_soon`/`call_later` callback as a Python `Handle`
//! (a Python `__init__`), files timers with Python-level `call_at`/`heappush`, and runs
//! them from Python (`_run_once`, `Handle._run`). A handler that awaits
//! `asyncio.sleep(0.001)` goes through that about five times per request. `Scheduler`
//! takes those methods over on the loop *instance* (`call_soon`, `call_later`,
//! `call_at`, `_run_once`, `create_future`), so they are Rust calls with no Python
//! frame, and the guest-loop driver runs a whole turn (due timers, ready callbacks)
//! in Rust.
//!
//! Measured (CPython 3.11, `instr-per-request.sh` at concurrency 1): `/async-sleep`
//! 111,517 → 51,310 instructions per request; under `wrk -c64` 30K → 41K req/s in
//! back-to-back runs, and 1.57× Granian RSGI per core in `cargo xtask bench`.
//!
//! Everything else stays the stdlib selector loop's: I/O callbacks (`add_reader`,
//! transports) and `call_soon_threadsafe` still go through its own `_ready` deque,
//! which every turn also drains, and its selector is polled only when tokio reports
//! its epoll fd readable.
//!
//! Differences from the stdlib, chosen for speed: the two queues are drained one after
//! the other (ordering between a `call_soon` callback and an I/O callback of the same
//! turn is not kept; asyncio does not promise it), asyncio's debug mode checks (slow
//! callbacks, wrong thread) do not apply to these methods, and handles are
//! `cello._cello.Handle` objects with the stdlib's public methods (`cancel`,
//! `cancelled`, `when`, `get_context`).

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PySystemExit, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;
use tokio::sync::Notify;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

/// Cancelled timers are swept out of the heap once there are more than this many and
/// they are over half of it (the stdlib's rule).
const SWEEP_MIN: usize = 100;

/// A scheduled callback: what `loop.call_soon`, `call_later` and `call_at` return.
#[pyclass(module = "cello._cello", name = "Handle", unsendable)]
pub struct Handle {
    /// `(context, callback, *args)`, the arguments of `Context.run`; taken when the
    /// handle runs or is cancelled.
    call: Option<Py<PyTuple>>,
    context: Py<PyAny>,
    when: Option<f64>,
    cancelled: bool,
    /// Set while the handle is a timer in the heap: the scheduler's count of
    /// cancelled timers still there.
    in_heap: Option<Rc<Cell<usize>>>,
}

#[pymethods]
impl Handle {
    /// Cancels the callback; it will not run. Idempotent.
    fn cancel(&mut self) {
        if !self.cancelled {
            self.cancelled = true;
            self.call = None;
            if let Some(count) = self.in_heap.take() {
                count.set(count.get() + 1);
            }
        }
    }

    fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// The loop time a timer is due at (`None` for a `call_soon` handle).
    fn when(&self) -> Option<f64> {
        self.when
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Some(call) = &self.call {
            visit.call(call)?;
        }
        visit.call(&self.context)
    }

    fn get_context(&self, py: Python<'_>) -> Py<PyAny> {
        self.context.clone_ref(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = if self.cancelled { " cancelled" } else { "" };
        let callback = self
            .call
            .as_ref()
            .and_then(|c| c.bind(py).get_item(1).ok())
            .and_then(|cb| cb.repr().ok().map(|r| r.to_string()))
            .unwrap_or_default();
        match self.when {
            Some(w) => format!("<TimerHandle{state} when={w} {callback}>"),
            None => format!("<Handle{state} {callback}>"),
        }
    }
}

/// A timer in the heap, ordered soonest first (ties in scheduling order).
struct Timer {
    when: f64,
    seq: u64,
    handle: Py<Handle>,
}

impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        other
            .when
            .total_cmp(&self.when)
            .then(other.seq.cmp(&self.seq))
    }
}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}

/// When the loop next has work.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Next {
    /// Ready callbacks are waiting.
    Now,
    /// Its earliest timer, in `loop.time()` seconds (CLOCK_MONOTONIC).
    At(f64),
    /// Nothing but I/O.
    Io,
}

/// The loop's ready queue and timer heap. Installed on a loop by `install_scheduler`.
#[pyclass(module = "cello._cello", name = "Scheduler", unsendable)]
pub struct Scheduler {
    event_loop: Py<PyAny>,
    ready: RefCell<VecDeque<Py<Handle>>>,
    timers: RefCell<BinaryHeap<Timer>>,
    cancelled_timers: Rc<Cell<usize>>,
    seq: Cell<u64>,
    /// The loop's own `_ready` deque (I/O callbacks, `call_soon_threadsafe`).
    stdlib_ready: Py<PyAny>,
    select: Py<PyAny>,
    process_events: Py<PyAny>,
    context_run: Py<PyAny>,
    copy_context: Py<PyAny>,
    task_type: Py<PyAny>,
    task_kwargs: Py<PyDict>,
    future_type: Py<PyAny>,
    /// Python < 3.12 has no `eager_start`: the Task's first `call_soon` runs at once.
    eager_by_hand: bool,
    eager_next: Cell<bool>,
    in_turn: Cell<bool>,
    closed: Cell<bool>,
    notify: Rc<Notify>,
}

/// Takes over `call_soon`, `call_later`, `call_at`, `create_future` and
/// `_run_once` of `event_loop`
/// (a stdlib selector loop) and returns the scheduler, also kept as
/// `event_loop._cello_scheduler`.
#[pyfunction]
pub fn install_scheduler<'py>(event_loop: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Scheduler>> {
    let py = event_loop.py();
    let contextvars = py.import("contextvars")?;
    let asyncio = py.import("asyncio")?;
    let eager_by_hand = py.version_info() < (3, 12);
    let task_kwargs = PyDict::new(py);
    task_kwargs.set_item("loop", event_loop)?;
    if !eager_by_hand {
        task_kwargs.set_item("eager_start", true)?;
    }
    let scheduler = Bound::new(
        py,
        Scheduler {
            event_loop: event_loop.clone().unbind(),
            ready: RefCell::new(VecDeque::new()),
            timers: RefCell::new(BinaryHeap::new()),
            cancelled_timers: Rc::new(Cell::new(0)),
            seq: Cell::new(0),
            stdlib_ready: event_loop.getattr("_ready")?.unbind(),
            select: event_loop.getattr("_selector")?.getattr("select")?.unbind(),
            process_events: event_loop.getattr("_process_events")?.unbind(),
            context_run: contextvars.getattr("Context")?.getattr("run")?.unbind(),
            copy_context: contextvars.getattr("copy_context")?.unbind(),
            task_type: asyncio.getattr("Task")?.unbind(),
            task_kwargs: task_kwargs.unbind(),
            future_type: asyncio.getattr("Future")?.unbind(),
            eager_by_hand,
            eager_next: Cell::new(false),
            in_turn: Cell::new(false),
            closed: Cell::new(false),
            notify: Rc::new(Notify::new()),
        },
    )?;
    for name in [
        "call_soon",
        "call_later",
        "call_at",
        "create_future",
        "_run_once",
    ] {
        event_loop.setattr(name, scheduler.getattr(name)?)?;
    }
    event_loop.setattr("_cello_scheduler", &scheduler)?;
    Ok(scheduler)
}

/// `loop.time()`: CLOCK_MONOTONIC in seconds, as `time.monotonic()` reads it.
fn now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Clears `in_turn` when a turn ends, however it ends.
struct TurnGuard<'a>(&'a Cell<bool>);
impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Scheduler {
    /// Wakes the driver when the loop gets work.
    pub fn notify(&self) -> Rc<Notify> {
        self.notify.clone()
    }

    /// An asyncio Task named `name` for `coro`, whose first step has already run
    /// (3.12's `eager_start`; on 3.11 the step the Task schedules runs at once).
    ///
    /// The name is the handler's: 3.11 formats a `Task-N` name for every unnamed
    /// Task (`PyUnicode_FromFormat`, about 1,450 instructions per request).
    pub fn start_task<'py>(
        &self,
        coro: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = coro.py();
        let args = PyTuple::new(py, [coro])?;
        let kwargs = self.task_kwargs.bind(py).copy()?;
        kwargs.set_item(pyo3::intern!(py, "name"), name)?;
        if !self.eager_by_hand {
            return self.task_type.bind(py).call(args, Some(&kwargs));
        }
        self.eager_next.set(true);
        let task = self.task_type.bind(py).call(args, Some(&kwargs));
        self.eager_next.set(false);
        task
    }

    /// One turn: polls the selector first if `io` is set (with that timeout; `None`
    /// blocks), moves due timers to the ready queue, then runs the callbacks that were
    /// ready when the turn began. Returns whether the selector gave events.
    pub fn turn(&self, py: Python<'_>, io: Option<Option<f64>>) -> PyResult<bool> {
        self.in_turn.set(true);
        let _guard = TurnGuard(&self.in_turn);
        let mut had_events = false;
        if let Some(timeout) = io {
            let events = self.select.bind(py).call1((timeout,))?;
            if events.len()? > 0 {
                had_events = true;
                self.process_events.bind(py).call1((events,))?;
            }
        }
        self.move_due_timers(py);
        let n = self.ready.borrow().len();
        for _ in 0..n {
            let Some(handle) = self.ready.borrow_mut().pop_front() else {
                break;
            };
            self.run(py, handle)?;
        }
        let stdlib_ready = self.stdlib_ready.bind(py);
        let n = stdlib_ready.len()?;
        for _ in 0..n {
            let handle = stdlib_ready.call_method0(pyo3::intern!(py, "popleft"))?;
            if !handle
                .getattr(pyo3::intern!(py, "_cancelled"))?
                .is_truthy()?
            {
                handle.call_method0(pyo3::intern!(py, "_run"))?;
            }
        }
        Ok(had_events)
    }

    /// When the loop next has work.
    pub fn next(&self, py: Python<'_>) -> Next {
        if !self.ready.borrow().is_empty()
            || self.stdlib_ready.bind(py).len().map_or(true, |n| n > 0)
        {
            return Next::Now;
        }
        match self.earliest(py) {
            Some(when) => Next::At(when),
            None => Next::Io,
        }
    }

    /// The earliest live timer, dropping cancelled ones from the top of the heap.
    fn earliest(&self, py: Python<'_>) -> Option<f64> {
        let mut timers = self.timers.borrow_mut();
        while let Some(top) = timers.peek() {
            if top.handle.bind(py).borrow().cancelled {
                timers.pop();
                self.cancelled_timers
                    .set(self.cancelled_timers.get().saturating_sub(1));
            } else {
                return Some(top.when);
            }
        }
        None
    }

    fn move_due_timers(&self, py: Python<'_>) {
        let mut timers = self.timers.borrow_mut();
        let cancelled = self.cancelled_timers.get();
        if cancelled > SWEEP_MIN && cancelled * 2 > timers.len() {
            timers.retain(|t| !t.handle.bind(py).borrow().cancelled);
            self.cancelled_timers.set(0);
        }
        // Due now or within the clock's resolution, as the stdlib counts it.
        let end = now() + 1e-9;
        let mut ready = self.ready.borrow_mut();
        while let Some(top) = timers.peek() {
            let mut handle = top.handle.bind(py).borrow_mut();
            if handle.cancelled {
                drop(handle);
                timers.pop();
                self.cancelled_timers
                    .set(self.cancelled_timers.get().saturating_sub(1));
                continue;
            }
            if top.when > end {
                break;
            }
            handle.in_heap = None;
            drop(handle);
            if let Some(t) = timers.pop() {
                ready.push_back(t.handle);
            }
        }
    }

    /// Runs `handle` in its context. An exception goes to the loop's exception
    /// handler, as the stdlib's `Handle._run` does; SystemExit and KeyboardInterrupt
    /// propagate.
    fn run(&self, py: Python<'_>, handle: Py<Handle>) -> PyResult<()> {
        let Some(call) = ({
            let mut h = handle.bind(py).borrow_mut();
            if h.cancelled {
                None
            } else {
                h.call.take()
            }
        }) else {
            return Ok(());
        };
        let result = self.context_run.bind(py).call1(&call);
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.is_instance_of::<PySystemExit>(py)
                    || e.is_instance_of::<PyKeyboardInterrupt>(py) =>
            {
                Err(e)
            }
            Err(e) => {
                let callback = call
                    .bind(py)
                    .get_item(1)
                    .and_then(|cb| cb.repr().map(|r| r.to_string()))
                    .unwrap_or_default();
                let context = PyDict::new(py);
                context.set_item("message", format!("Exception in callback {callback}"))?;
                context.set_item("exception", e.value(py))?;
                context.set_item("handle", handle)?;
                self.event_loop
                    .bind(py)
                    .call_method1(pyo3::intern!(py, "call_exception_handler"), (context,))?;
                Ok(())
            }
        }
    }

    /// Builds the handle of `callback(*args)` in `context` (a copy of the current
    /// one if `None`).
    fn handle(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        context: Option<Bound<'_, PyAny>>,
        when: Option<f64>,
    ) -> PyResult<Handle> {
        if self.closed.get() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "a callable object was expected by call_soon(), got {}",
                callback.repr()?
            )));
        }
        let context = match context {
            Some(c) if !c.is_none() => c,
            _ => self.copy_context.bind(py).call0()?,
        };
        let call = match args.len() {
            0 => PyTuple::new(py, [&context, callback])?,
            1 => PyTuple::new(py, [&context, callback, &args.get_item(0)?])?,
            n => {
                let mut items = Vec::with_capacity(n + 2);
                items.extend([context.clone(), callback.clone()]);
                items.extend(args.iter());
                PyTuple::new(py, items)?
            }
        };
        Ok(Handle {
            call: Some(call.unbind()),
            context: context.unbind(),
            when,
            cancelled: false,
            in_heap: None,
        })
    }

    fn wake(&self) {
        if !self.in_turn.get() {
            self.notify.notify_one();
        }
    }
}

#[pymethods]
impl Scheduler {
    /// `loop.call_soon(callback, *args, context=None)`.
    #[pyo3(signature = (callback, *args, context=None))]
    fn call_soon(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        context: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<Handle>>> {
        if self.eager_next.replace(false) {
            // A Task's first step, on Python 3.11 (see `start_task`): run it now.
            let handle = self.handle(py, callback, args, context, None)?;
            if let Some(call) = handle.call {
                self.context_run.bind(py).call1(call.bind(py))?;
            }
            return Ok(None);
        }
        let handle = Py::new(py, self.handle(py, callback, args, context, None)?)?;
        self.ready.borrow_mut().push_back(handle.clone_ref(py));
        self.wake();
        Ok(Some(handle))
    }

    /// `loop.call_later(delay, callback, *args, context=None)`.
    #[pyo3(signature = (delay, callback, *args, context=None))]
    fn call_later(
        &self,
        py: Python<'_>,
        delay: f64,
        callback: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        context: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<Handle>> {
        self.call_at(py, now() + delay, callback, args, context)
    }

    /// `loop.call_at(when, callback, *args, context=None)`.
    #[pyo3(signature = (when, callback, *args, context=None))]
    fn call_at(
        &self,
        py: Python<'_>,
        when: f64,
        callback: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        context: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<Handle>> {
        let mut handle = self.handle(py, callback, args, context, Some(when))?;
        handle.in_heap = Some(self.cancelled_timers.clone());
        let handle = Py::new(py, handle)?;
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        self.timers.borrow_mut().push(Timer {
            when,
            seq,
            handle: handle.clone_ref(py),
        });
        self.wake();
        Ok(handle)
    }

    /// `loop.create_future()`.
    pub(crate) fn create_future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "loop"), &self.event_loop)?;
        self.future_type.bind(py).call((), Some(&kwargs))
    }

    /// `loop._run_once()`, for `run_forever`/`run_until_complete` (startup and
    /// shutdown hooks): blocks in the selector until a timer is due or I/O arrives.
    fn _run_once(&self, py: Python<'_>) -> PyResult<()> {
        let stopping = self
            .event_loop
            .bind(py)
            .getattr(pyo3::intern!(py, "_stopping"))?
            .is_truthy()?;
        let timeout = if stopping {
            Some(0.0)
        } else {
            match self.next(py) {
                Next::Now => Some(0.0),
                Next::At(when) => Some((when - now()).clamp(0.0, 86_400.0)),
                Next::Io => None,
            }
        };
        self.turn(py, Some(timeout)).map(|_| ())
    }

    /// Timers in the heap, cancelled ones included until they are swept out.
    fn pending_timers(&self) -> usize {
        self.timers.borrow().len()
    }

    /// Drops every queued callback and timer; later scheduling raises
    /// `RuntimeError`. Called when the loop closes.
    fn close(&self) {
        self.closed.set(true);
        self.ready.borrow_mut().clear();
        self.timers.borrow_mut().clear();
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(ready) = self.ready.try_borrow() {
            for h in ready.iter() {
                visit.call(h)?;
            }
        }
        if let Ok(timers) = self.timers.try_borrow() {
            for t in timers.iter() {
                visit.call(&t.handle)?;
            }
        }
        visit.call(&self.event_loop)?;
        visit.call(&self.stdlib_ready)?;
        visit.call(&self.select)?;
        visit.call(&self.process_events)?;
        visit.call(&self.task_kwargs)
    }
}
