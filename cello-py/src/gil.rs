//! Holding the GIL while the runtime works, releasing it only while it parks.
//!
//! The runtime runs on the Python thread that called `Engine.serve`, which holds the
//! GIL. Instead of releasing the GIL for the whole serve and taking it back for every
//! handler (measured: ~600 instructions per request in `PyGILState_Ensure`,
//! `take_gil` and `drop_gil`), the thread keeps it while tokio has tasks to run and
//! hands it back only when the runtime is about to sleep in epoll (tokio's park
//! hooks). Under load one acquisition serves a whole batch of requests; when idle,
//! other Python threads run freely.

use std::cell::Cell;
use std::future::Future;

thread_local! {
    static SAVED: Cell<*mut pyo3::ffi::PyThreadState> = const { Cell::new(std::ptr::null_mut()) };
}

fn release() {
    // SAFETY: called by tokio on the thread that holds the GIL (the runtime is
    // current-thread and was started with the GIL held); the saved state is restored
    // by `reacquire` before any Python runs again on this thread.
    let state = unsafe { pyo3::ffi::PyEval_SaveThread() };
    SAVED.with(|s| s.set(state));
}

fn reacquire() {
    let state = SAVED.with(|s| s.replace(std::ptr::null_mut()));
    if !state.is_null() {
        // SAFETY: `state` came from `PyEval_SaveThread` on this thread in `release`.
        unsafe { pyo3::ffi::PyEval_RestoreThread(state) };
    }
}

/// Runs `fut` on a current-thread runtime inside a `LocalSet`, on this thread, which
/// must hold the GIL; the GIL is released only while the runtime parks.
pub fn run_holding_gil<F: Future>(fut: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(release)
        .on_thread_unpark(reacquire)
        .build()?;
    let local = tokio::task::LocalSet::new();
    Ok(local.block_on(&rt, fut))
}
