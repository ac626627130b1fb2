//! [`TimeoutLayer`]: the deadline, and the [`Layer`] that builds [`Timeout`].

use super::Timeout;
use std::time::Duration;
use tower_layer::Layer;

/// Answers `504 Gateway Timeout` when the inner service has not produced a response
/// within a fixed time.
///
/// See the [module docs](super) for the rules and an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// A layer giving each request `timeout` to produce its response head.
    ///
    /// `Duration::ZERO` times out every request that does not answer on its first poll.
    pub const fn new(timeout: Duration) -> Self {
        Self { timeout }
    }

    /// The time each request gets.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout::new(inner, self.timeout)
    }
}
