//! [`SecurityHeadersLayer`]: the headers to add, and the [`Layer`] that builds
//! [`SecurityHeaders`].

use super::{SecurityHeaders, SecurityHeadersBuilder};
use http::{HeaderName, HeaderValue};
use std::sync::Arc;
use tower_layer::Layer;

/// Adds security headers to every response that does not already have them.
///
/// [`SecurityHeadersLayer::new`] has the defaults; [`SecurityHeadersLayer::builder`]
/// changes them and adds HSTS or CSP. Cloning is cheap: the header list is shared. See the
/// [module docs](super) for an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct SecurityHeadersLayer {
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl SecurityHeadersLayer {
    /// `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
    /// `Referrer-Policy: strict-origin-when-cross-origin`.
    pub fn new() -> Self {
        // The defaults have no HSTS or CSP, so nothing to check.
        Self::from_headers(Self::builder().fixed_headers())
    }

    /// Start from the defaults; finish with [`SecurityHeadersBuilder::build`].
    pub const fn builder() -> SecurityHeadersBuilder {
        SecurityHeadersBuilder::new()
    }

    /// The headers this layer adds, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(name, value)| (name, value))
    }

    pub(super) fn from_headers(headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Self {
            headers: headers.into(),
        }
    }

    pub(super) fn shared(&self) -> Arc<[(HeaderName, HeaderValue)]> {
        Arc::clone(&self.headers)
    }
}

impl Default for SecurityHeadersLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeaders::new(inner, self)
    }
}
