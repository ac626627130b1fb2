//! [`Sink`]: where records go; [`StderrSink`], one line per request.

use super::AccessRecord;
use std::cell::RefCell;
use std::io::Write;

/// Receives each request's [`AccessRecord`]. Called on the thread that served the
/// request, when its body is done: keep it short (hand the record on, don't block).
///
/// Any `Fn(AccessRecord)` is a sink.
pub trait Sink {
    /// Takes one record.
    fn emit(&self, record: AccessRecord);
}

impl<F: Fn(AccessRecord)> Sink for F {
    fn emit(&self, record: AccessRecord) {
        self(record);
    }
}

/// Writes each record to stderr as one line (the record's `Display`: Common Log Format
/// plus duration and request id).
///
/// The line is formatted into a per-thread buffer first and written with a single
/// `write`, so lines from several worker threads never interleave and nothing waits in
/// a buffer for a flush. A failed write (stderr closed) drops the line.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrSink;

impl Sink for StderrSink {
    fn emit(&self, record: AccessRecord) {
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        LINE.with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                return;
            };
            line.clear();
            if writeln!(line, "{record}").is_ok() {
                let _ = std::io::stderr().lock().write_all(&line);
            }
        });
    }
}
