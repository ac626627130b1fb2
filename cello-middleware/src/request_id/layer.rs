//! [`RequestIdLayer`]: configuration, and the [`Layer`] that builds [`RequestId`].

use super::{RequestId, X_REQUEST_ID};
use http::HeaderName;
use tower_layer::Layer;

/// Sets a request id on each request and copies it to the response.
///
/// See the [module docs](super) for the rules and an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestIdLayer {
    header_name: HeaderName,
}

impl RequestIdLayer {
    /// A layer using the `x-request-id` header.
    pub const fn new() -> Self {
        Self {
            header_name: X_REQUEST_ID,
        }
    }

    /// Use another header, such as `x-correlation-id`.
    ///
    /// Prefer a `const` built with [`HeaderName::from_static`]: cloning it per request
    /// costs nothing.
    pub fn header_name(mut self, header_name: HeaderName) -> Self {
        self.header_name = header_name;
        self
    }

    /// The header this layer reads and writes.
    pub fn name(&self) -> &HeaderName {
        &self.header_name
    }
}

impl Default for RequestIdLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestId::new(inner, self.header_name.clone())
    }
}
