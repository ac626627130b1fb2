//! [`CorsLayer`]: a checked CORS configuration, and the [`Layer`] that builds [`Cors`].

use super::config::{AllowHeaders, AllowMethods, Config, Origins};
use super::{Cors, CorsBuilder};
use std::sync::Arc;
use std::time::Duration;
use tower_layer::Layer;

/// Answers CORS preflights and adds CORS headers to responses for allowed origins.
///
/// Build one with [`CorsLayer::builder`] (checked, returns [`CorsError`](super::CorsError)
/// on a bad configuration) or [`CorsLayer::permissive`]. Cloning is cheap: the
/// configuration is shared. See the [module docs](super) for behavior and an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct CorsLayer {
    config: Arc<Config>,
}

impl CorsLayer {
    /// Start a configuration; finish it with [`CorsBuilder::build`].
    pub fn builder() -> CorsBuilder {
        CorsBuilder::new()
    }

    /// Allow any origin, method and request header, without credentials. Meant for
    /// development and public APIs; production apps with cookies should list origins.
    pub fn permissive() -> Self {
        Self::from_config(Config::new(
            Origins::Any,
            AllowMethods::Any,
            AllowHeaders::Any,
            false,
            &[],
            Some(Duration::from_secs(600)),
        ))
    }

    pub(super) fn from_config(config: Config) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    pub(super) fn into_config(self) -> Arc<Config> {
        self.config
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Cors::new(inner, self.clone())
    }
}
