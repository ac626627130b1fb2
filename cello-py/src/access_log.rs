//! `AccessLog(target="logging")`: the access-log records of one worker, delivered to
//! `logging.getLogger("cello.access")` in batches — one Python call per batch (at most
//! every 100 ms, or every 256 records), never one per request. The batches are taken by
//! a task on the worker's runtime, on the thread that holds the GIL anyway.

use cello_middleware::access_log::{AccessRecord, BatchReceiver};
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::time::UNIX_EPOCH;
use tokio::sync::oneshot;

/// Delivers batches until every sender is gone or `stop` fires; then flushes what is
/// left. `cello.middleware._access_log.emit` turns each record into a `LogRecord`.
pub async fn deliver(mut batches: BatchReceiver, mut stop: oneshot::Receiver<()>) {
    let emit = Python::attach(|py| {
        py.import("cello.middleware._access_log")
            .and_then(|m| m.getattr("emit"))
            .map(Bound::unbind)
    });
    let emit = match emit {
        Ok(f) => f,
        Err(e) => {
            Python::attach(|py| {
                crate::runtime::log_error(
                    py,
                    &format!(
                        "the access log cannot reach Python's logging, records are dropped: {e}"
                    ),
                );
            });
            return;
        }
    };
    loop {
        tokio::select! {
            batch = batches.next_batch() => match batch {
                Some(batch) => send(&emit, batch),
                None => return,
            },
            _ = &mut stop => {
                send(&emit, batches.drain());
                return;
            }
        }
    }
}

/// One call: `emit([(client, method, target, version, status, bytes, duration_ms,
/// request_id, created, complete, line), ...])`. `line` is the message, assembled
/// here in uvicorn's shape: `127.0.0.1:54321 - "GET /items?page=2 HTTP/1.1" 200 OK`.
fn send(emit: &Py<PyAny>, batch: Vec<AccessRecord>) {
    if batch.is_empty() {
        return;
    }
    Python::attach(|py| {
        let result = PyList::empty(py);
        let built: PyResult<()> = batch.iter().try_for_each(|r| {
            let version = match r.version {
                http::Version::HTTP_09 => "0.9",
                http::Version::HTTP_10 => "1.0",
                http::Version::HTTP_2 => "2",
                http::Version::HTTP_3 => "3",
                _ => "1.1",
            };
            let created = r
                .time
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let request_id = r
                .request_id
                .as_ref()
                .map(|id| String::from_utf8_lossy(id.as_bytes()).into_owned());
            let client = r.client.map(|c| c.to_string());
            let mut line = format!(
                "{} - \"{} {} HTTP/{version}\" {} {}",
                client.as_deref().unwrap_or("-"),
                r.method,
                r.target,
                r.status.as_u16(),
                r.status.canonical_reason().unwrap_or(""),
            );
            line.truncate(line.trim_end().len());
            result.append((
                client,
                r.method.as_str(),
                r.target.as_str(),
                version,
                r.status.as_u16(),
                r.bytes,
                r.duration_ms(),
                request_id,
                created,
                r.complete,
                line,
            ))
        });
        if let Err(e) = built.and_then(|()| emit.call1(py, (result,)).map(drop)) {
            crate::runtime::log_error(py, &format!("the access log could not emit a batch: {e}"));
        }
    });
}
