//! [`AccessLogLayer`]: the sink and the request-id header, and the [`Layer`] that builds
//! [`AccessLog`].

use super::{AccessLog, StderrSink};
use http::HeaderName;
use tower_layer::Layer;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Records every request — method, target, version, status, body bytes, duration,
/// request id, client — and hands the record to a [`Sink`](super::Sink) once the
/// response body is done.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct AccessLogLayer<K> {
    sink: K,
    request_id_header: HeaderName,
}

impl<K> AccessLogLayer<K> {
    /// Records go to `sink`: [`StderrSink`], a [`channel`](super::channel)'s
    /// [`ChannelSink`](super::ChannelSink), or any `Fn(AccessRecord)`.
    pub fn new(sink: K) -> Self {
        Self {
            sink,
            request_id_header: X_REQUEST_ID,
        }
    }

    /// The header the request id is read from (default `x-request-id`).
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = name;
        self
    }
}

impl AccessLogLayer<StderrSink> {
    /// One line per request on stderr.
    pub fn stderr() -> Self {
        Self::new(StderrSink)
    }
}

impl<S, K: Clone> Layer<S> for AccessLogLayer<K> {
    type Service = AccessLog<S, K>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog::new(inner, self.sink.clone(), self.request_id_header.clone())
    }
}
