//! The supervisor with forked workers, in this test process (one test: the signal
//! handlers are per process).

#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use cello_supervisor::{Child, Config, Error, Reporter, Supervisor};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

fn starts(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn record(path: &std::path::Path) -> usize {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "start").unwrap();
    drop(f);
    starts(path)
}

#[test]
fn workers_are_restarted_after_serving_stopped_on_sigterm_and_a_startup_failure_is_the_error() {
    let dir = std::env::temp_dir().join(format!("cello-supervisor-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // 1. A worker that dies after it served is restarted; SIGTERM then stops it.
    let path = dir.join("starts");
    let watched = path.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while starts(&watched) < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: sends a signal to this process; no pointers.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    });
    let lines = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = lines.clone();
    let config = Config {
        workers: 1,
        ..Config::default()
    };
    let launched = path.clone();
    Supervisor::new(config, move |_slot: usize| {
        let path = launched.clone();
        Child::fork(move |report| {
            let n = record(&path);
            let report = Reporter::new(report);
            report.ready();
            if n == 1 {
                return 3;
            }
            loop {
                report.beat();
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    })
    .log(move |_, line| sink.borrow_mut().push(line.to_string()))
    .run()
    .unwrap();
    let lines = lines.borrow().join("\n");
    assert_eq!(starts(&path), 2, "{lines}");
    assert!(
        lines.contains("died (exit code 3); restarting in 0.1s"),
        "{lines}"
    );
    assert!(
        lines.contains("SIGTERM: stopping the workers gracefully"),
        "{lines}"
    );

    // 2. A worker that fails before it serves stops everything with its error.
    let config = Config {
        workers: 2,
        ..Config::default()
    };
    let failed = Supervisor::new(config, |_slot: usize| {
        Child::fork(|report| {
            Reporter::new(report).failed("database unreachable");
            1
        })
    })
    .log(|_, _| {})
    .run();
    match failed {
        Err(Error::WorkerFailed(why)) => assert_eq!(why, "database unreachable"),
        other => panic!("expected WorkerFailed, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
