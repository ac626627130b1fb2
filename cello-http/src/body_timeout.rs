//! Time limits on reading a request body: a client that stops sending, or trickles,
//! gets 408 instead of holding its connection (and a connection slot) forever.
//!
//! Three rules, each from [`HttpConfig`](crate::HttpConfig):
//! - no more than `body_read_timeout` between two reads that bring data;
//! - the whole body within `request_read_timeout` of the first time a read waits for it
//!   (the head has `header_read_timeout` before that);
//! - on average at least `min_body_rate` bytes a second, judged once the body has been
//!   arriving for `body_read_timeout`.
//!
//! Nothing is armed for a body that is already complete when the handler reads it (a
//! GET, or a small POST that came with its head): the timer is made the first time a
//! read has to wait.

use crate::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The body limits of one connection, copied into each request that has a body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeouts {
    pub(crate) between_reads: Duration,
    pub(crate) whole_request: Duration,
    /// Bytes a second; 0 turns the rule off.
    pub(crate) min_rate: u64,
}

/// The clock of one request body. Boxed inside the body, made only for requests that
/// have one.
#[derive(Debug)]
pub(crate) struct BodyClock {
    limits: BodyTimeouts,
    /// The first time a read waited (on tokio's clock, like the timer).
    started: Option<Instant>,
    /// When data last arrived, or the first wait.
    last_data: Option<Instant>,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
}

impl BodyClock {
    pub(crate) fn new(limits: BodyTimeouts) -> Self {
        BodyClock {
            limits,
            started: None,
            last_data: None,
            received: 0,
            timer: None,
        }
    }

    /// Data arrived: restart the gap, and check the average rate.
    pub(crate) fn on_data(&mut self, n: u64) -> Result<(), Error> {
        self.received += n;
        if self.timer.is_none() {
            // Never waited: the body is arriving as fast as it is read.
            return Ok(());
        }
        let now = Instant::now();
        self.last_data = Some(now);
        self.check_rate(now)?;
        self.rearm(now);
        Ok(())
    }

    /// The inner body is not ready: arm the timer (first wait) and see whether it has
    /// run out.
    pub(crate) fn on_pending(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        if self.timer.is_none() {
            let now = Instant::now();
            self.started.get_or_insert(now);
            self.last_data = Some(now);
            self.timer = Some(Box::pin(tokio::time::sleep_until(self.deadline(now))));
        }
        let Some(timer) = self.timer.as_mut() else {
            return Ok(());
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Ok(());
        }
        let now = Instant::now();
        self.check_rate(now)?;
        if now >= self.deadline(now) {
            return Err(self.expired(now));
        }
        // Data moved the deadline since the timer was set: wait again.
        self.rearm(now);
        match self.timer.as_mut().map(|t| t.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Err(self.expired(now)),
            _ => Ok(()),
        }
    }

    fn deadline(&self, now: Instant) -> Instant {
        let gap = self.last_data.unwrap_or(now) + self.limits.between_reads;
        let whole = self.started.unwrap_or(now) + self.limits.whole_request;
        gap.min(whole)
    }

    fn rearm(&mut self, now: Instant) {
        let deadline = self.deadline(now);
        if let Some(t) = self.timer.as_mut() {
            t.as_mut().reset(deadline);
        }
    }

    fn check_rate(&self, now: Instant) -> Result<(), Error> {
        let (Some(started), rate) = (self.started, self.limits.min_rate) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(started);
        if rate == 0 || elapsed < self.limits.between_reads {
            return Ok(());
        }
        let owed = (rate as f64 * elapsed.as_secs_f64()) as u64;
        if self.received < owed {
            return Err(Error::body_timeout(format!(
                "the request body arrived at {} bytes/s, under the {rate} bytes/s minimum; raise `min_body_rate` or set it to 0",
                (self.received as f64 / elapsed.as_secs_f64()) as u64
            )));
        }
        Ok(())
    }

    fn expired(&self, now: Instant) -> Error {
        let whole = self
            .started
            .is_some_and(|s| now >= s + self.limits.whole_request);
        Error::body_timeout(if whole {
            format!(
                "the request did not arrive within {:?}; raise `request_read_timeout`",
                self.limits.whole_request
            )
        } else {
            format!(
                "no request body data for {:?}; raise `body_timeout`",
                self.limits.between_reads
            )
        })
    }
}
