//! [`ResponseFuture`]: a ready preflight answer, or the inner response plus CORS headers.

use super::config::{Config, VARY_ORIGIN};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Response future of [`Cors`](super::Cors).
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Preflight {
            status: StatusCode,
            headers: Option<HeaderMap>,
        },
        Inner {
            #[pin]
            future: F,
            // The `Access-Control-Allow-Origin` value, for an allowed origin only.
            allowed: Option<(HeaderValue, Arc<Config>)>,
            vary_origin: bool,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn preflight(status: StatusCode, headers: HeaderMap) -> Self {
        Self {
            kind: Kind::Preflight {
                status,
                headers: Some(headers),
            },
        }
    }

    pub(super) fn inner(
        future: F,
        allowed: Option<(HeaderValue, Arc<Config>)>,
        vary_origin: bool,
    ) -> Self {
        Self {
            kind: Kind::Inner {
                future,
                allowed,
                vary_origin,
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Preflight { status, headers } => {
                let mut response = Response::new(B::default());
                *response.status_mut() = *status;
                if let Some(headers) = headers.take() {
                    *response.headers_mut() = headers;
                }
                Poll::Ready(Ok(response))
            }
            KindProj::Inner {
                future,
                allowed,
                vary_origin,
            } => {
                let mut response = ready!(future.poll(cx))?;
                let headers = response.headers_mut();
                if let Some((allow_origin, config)) = allowed.take() {
                    config.add_response_headers(headers, allow_origin);
                }
                if *vary_origin {
                    headers.append(header::VARY, VARY_ORIGIN);
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
