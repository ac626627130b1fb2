//! The timer heap and the cancelled-timer sweep, on a real stdlib selector loop in an
//! interpreter started by the test.

use super::*;
use pyo3::types::PyList;

/// A scheduler installed on a fresh selector loop, and a list its callbacks append to.
struct Fixture<'py> {
    py: Python<'py>,
    event_loop: Bound<'py, PyAny>,
    scheduler: Bound<'py, Scheduler>,
    log: Bound<'py, PyList>,
}

fn with_fixture(test: impl for<'py> FnOnce(&Fixture<'py>)) {
    Python::attach(|py| {
        let event_loop = py
            .import("asyncio")
            .and_then(|asyncio| asyncio.call_method0("SelectorEventLoop"))
            .unwrap();
        let scheduler = install_scheduler(&event_loop).unwrap();
        let fixture = Fixture {
            py,
            event_loop,
            scheduler,
            log: PyList::empty(py),
        };
        test(&fixture);
        fixture.scheduler.borrow().close();
        fixture.event_loop.call_method0("close").unwrap();
    });
}

impl<'py> Fixture<'py> {
    /// `loop.call_at(when, log.append, label)`.
    fn at(&self, when: f64, label: &str) -> Py<Handle> {
        let append = self.log.getattr("append").unwrap();
        let args = PyTuple::new(self.py, [label]).unwrap();
        self.scheduler
            .borrow()
            .call_at(self.py, when, &append, &args, None)
            .unwrap()
    }

    fn cancel(&self, handle: &Py<Handle>) {
        handle.bind(self.py).borrow_mut().cancel();
    }

    /// One turn without polling the selector.
    fn turn(&self) {
        self.scheduler.borrow().turn(self.py, None).unwrap();
    }

    fn ran(&self) -> Vec<String> {
        self.log.extract().unwrap()
    }

    fn pending(&self) -> usize {
        self.scheduler.borrow().pending_timers()
    }

    fn cancelled_count(&self) -> usize {
        self.scheduler.borrow().cancelled_timers.get()
    }

    fn next(&self) -> Next {
        self.scheduler.borrow().next(self.py)
    }
}

/// A time no test reaches: timers there are never due.
fn later() -> f64 {
    now() + 3600.0
}

#[test]
fn due_timers_run_soonest_first_and_ties_in_scheduling_order() {
    with_fixture(|f| {
        let past = now() - 10.0;
        f.at(past + 3.0, "third");
        f.at(past + 1.0, "first");
        f.at(past + 2.0, "second-a");
        f.at(past + 2.0, "second-b");
        f.at(later(), "not due");
        f.turn();
        assert_eq!(f.ran(), ["first", "second-a", "second-b", "third"]);
        assert_eq!(f.pending(), 1);
    });
}

#[test]
fn a_cancelled_timer_never_runs_and_leaves_the_heap() {
    with_fixture(|f| {
        let past = now() - 1.0;
        let handle = f.at(past, "cancelled");
        f.at(past, "kept");
        f.cancel(&handle);
        f.cancel(&handle); // idempotent: counted once
        assert_eq!(f.cancelled_count(), 1);
        f.turn();
        assert_eq!(f.ran(), ["kept"]);
        assert_eq!(f.pending(), 0);
        assert_eq!(f.cancelled_count(), 0);
    });
}

#[test]
fn next_names_the_earliest_live_timer_and_drops_cancelled_ones_above_it() {
    with_fixture(|f| {
        assert_eq!(f.next(), Next::Io);
        let t = later();
        let soon = f.at(t + 1.0, "soon");
        f.at(t + 5.0, "late");
        assert_eq!(f.next(), Next::At(t + 1.0));
        f.cancel(&soon);
        assert_eq!(f.next(), Next::At(t + 5.0));
        // The cancelled timer was at the top: `next` popped it and uncounted it.
        assert_eq!(f.pending(), 1);
        assert_eq!(f.cancelled_count(), 0);
        let append = f.log.getattr("append").unwrap();
        let args = PyTuple::new(f.py, ["now"]).unwrap();
        f.scheduler
            .borrow()
            .call_soon(f.py, &append, &args, None)
            .unwrap();
        assert_eq!(f.next(), Next::Now);
    });
}

#[test]
fn cancelled_timers_are_swept_once_over_a_hundred_and_over_half_the_heap() {
    with_fixture(|f| {
        let t = later();
        let handles: Vec<_> = (0..300).map(|i| f.at(t + f64::from(i), "x")).collect();
        // The 200 latest: never at the top, so only a sweep removes them.
        for h in &handles[100..] {
            f.cancel(h);
        }
        assert_eq!((f.pending(), f.cancelled_count()), (300, 200));
        f.turn();
        assert_eq!((f.pending(), f.cancelled_count()), (100, 0));
        assert!(f.ran().is_empty());
        assert_eq!(f.next(), Next::At(t));
    });
}

#[test]
fn no_sweep_at_a_hundred_cancelled_or_at_half_the_heap() {
    with_fixture(|f| {
        let t = later();
        let handles: Vec<_> = (0..200).map(|i| f.at(t + f64::from(i), "x")).collect();
        // Exactly SWEEP_MIN cancelled, half the heap: kept.
        for h in &handles[100..] {
            f.cancel(h);
        }
        f.turn();
        assert_eq!((f.pending(), f.cancelled_count()), (200, 100));
        // 150 of 400 cancelled: more than SWEEP_MIN but under half: kept.
        let more: Vec<_> = (200..400).map(|i| f.at(t + f64::from(i), "x")).collect();
        for h in &more[150..] {
            f.cancel(h);
        }
        assert_eq!(f.cancelled_count(), 150);
        f.turn();
        assert_eq!((f.pending(), f.cancelled_count()), (400, 150));
    });
}

#[test]
fn cancelling_a_timer_that_already_left_the_heap_is_not_counted() {
    with_fixture(|f| {
        let due = f.at(now() - 1.0, "due");
        f.scheduler.borrow().move_due_timers(f.py);
        assert_eq!(f.pending(), 0);
        f.cancel(&due);
        assert_eq!(f.cancelled_count(), 0);
        f.turn();
        assert!(
            f.ran().is_empty(),
            "a handle cancelled while ready must not run"
        );
    });
}

#[test]
fn scheduling_after_close_is_refused() {
    with_fixture(|f| {
        f.at(later(), "x");
        f.scheduler.borrow().close();
        assert_eq!(f.pending(), 0);
        let append = f.log.getattr("append").unwrap();
        let args = PyTuple::empty(f.py);
        let err = f
            .scheduler
            .borrow()
            .call_at(f.py, later(), &append, &args, None)
            .err()
            .unwrap();
        assert!(err.is_instance_of::<PyRuntimeError>(f.py));
        assert!(err.to_string().contains("Event loop is closed"));
    });
}
