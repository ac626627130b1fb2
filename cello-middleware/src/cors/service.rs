//! [`Cors`]: the service; answers preflights itself and decorates other responses.

use super::config::Config;
use super::future::ResponseFuture;
use super::CorsLayer;
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// Middleware that applies a [`CorsLayer`]'s configuration.
///
/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
/// here, `204` if granted and `403` if not, and never reaches the inner service. Other
/// requests go through; allowed origins get CORS headers on the response.
#[derive(Debug, Clone)]
#[must_use]
pub struct Cors<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> Cors<S> {
    /// Wrap `inner` with `layer`'s configuration.
    pub fn new(inner: S, layer: CorsLayer) -> Self {
        Self {
            inner,
            config: layer.into_config(),
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwrap, returning the wrapped service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let config = &self.config;
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            // Not a CORS request, but the answer to one would differ.
            return ResponseFuture::inner(self.inner.call(req), None, config.varies_with_origin());
        };
        let allow_origin = config.allow_origin(origin);

        let is_preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if is_preflight {
            let granted =
                allow_origin.and_then(|allow| config.preflight_headers(allow, req.headers()));
            return match granted {
                Some(headers) => ResponseFuture::preflight(StatusCode::NO_CONTENT, headers),
                None => {
                    let mut headers = HeaderMap::new();
                    config.add_preflight_vary(&mut headers);
                    ResponseFuture::preflight(StatusCode::FORBIDDEN, headers)
                }
            };
        }

        let allowed = allow_origin.map(|allow| (allow, Arc::clone(config)));
        let vary = config.varies_with_origin();
        ResponseFuture::inner(self.inner.call(req), allowed, vary)
    }
}
