//! [`channel`]: a [`ChannelSink`] that queues records and a [`BatchReceiver`] that takes
//! them in batches, for a consumer that pays per call (Python's `logging`, a network
//! exporter).

use super::{AccessRecord, Sink};
use std::time::Duration;
use tokio::sync::mpsc;

/// A sink and the receiver of its records, in batches of at most `max_batch` records,
/// each delivered at most `max_delay` after its first record arrived.
///
/// The queue is unbounded: the receiver is expected to keep up (in Cello it runs on the
/// same thread as the requests it logs).
///
/// ```
/// use cello_middleware::access_log::channel;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (sink, mut batches) = channel(256, Duration::from_millis(100));
/// drop(sink); // every sender gone: the receiver ends
/// assert!(batches.next_batch().await.is_none());
/// # }
/// ```
pub fn channel(max_batch: usize, max_delay: Duration) -> (ChannelSink, BatchReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        ChannelSink { tx },
        BatchReceiver {
            rx,
            batch: Vec::new(),
            max_batch: max_batch.max(1),
            max_delay,
        },
    )
}

/// Queues records for a [`BatchReceiver`]; made by [`channel`]. Once the receiver is
/// gone, records are dropped.
#[derive(Debug, Clone)]
pub struct ChannelSink {
    tx: mpsc::UnboundedSender<AccessRecord>,
}

impl Sink for ChannelSink {
    fn emit(&self, record: AccessRecord) {
        let _ = self.tx.send(record);
    }
}

/// Takes a [`ChannelSink`]'s records in batches; made by [`channel`].
#[derive(Debug)]
pub struct BatchReceiver {
    rx: mpsc::UnboundedReceiver<AccessRecord>,
    /// The batch being filled; kept here so that a cancelled `next_batch` loses nothing.
    batch: Vec<AccessRecord>,
    max_batch: usize,
    max_delay: Duration,
}

impl BatchReceiver {
    /// Waits for a record, then for more until the batch is full or `max_delay` has
    /// passed since the first. `None` once every sender is gone and the queue is empty.
    /// Needs tokio's timer.
    ///
    /// Cancel-safe: records already taken stay for the next call or [`drain`](Self::drain)
    /// (the delay then starts again).
    pub async fn next_batch(&mut self) -> Option<Vec<AccessRecord>> {
        if self.batch.is_empty() && self.rx.recv_many(&mut self.batch, self.max_batch).await == 0 {
            return None;
        }
        let deadline = tokio::time::Instant::now() + self.max_delay;
        while self.batch.len() < self.max_batch {
            let room = self.max_batch - self.batch.len();
            let more = self.rx.recv_many(&mut self.batch, room);
            match tokio::time::timeout_at(deadline, more).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        Some(std::mem::take(&mut self.batch))
    }

    /// The records queued now, without waiting: for a last flush at shutdown.
    pub fn drain(&mut self) -> Vec<AccessRecord> {
        let mut rest = std::mem::take(&mut self.batch);
        while let Ok(record) = self.rx.try_recv() {
            rest.push(record);
        }
        rest
    }
}
