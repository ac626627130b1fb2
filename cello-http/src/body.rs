//! The body type every Cello crate speaks, for requests and responses alike.

use crate::body_timeout::{BodyClock, BodyTimeouts};
use crate::error::Error;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A request or response body.
///
/// Small, common cases are variants (empty, one buffer) so that a response needs no
/// allocation beyond its bytes. A request body streams from the connection and
/// counts what it has read against the body limit *as it streams*: a client that
/// sends more than `max_body_size` gets an error from the body the moment it crosses
/// the limit, before anything is buffered past it. It also keeps time: a client that
/// stops sending (or trickles) gets a timeout error, [`Error::is_timeout`] (→ 408).
pub struct Body(Kind);

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming {
        inner: hyper::body::Incoming,
        remaining: u64,
        limit: u64,
        /// `None` for a request without a body.
        clock: Option<Box<BodyClock>>,
    },
    Boxed(UnsyncBoxBody<Bytes, Error>),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// A body of one buffer.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            Body::empty()
        } else {
            Body(Kind::Full(Some(bytes)))
        }
    }

    /// Any other body (a stream, a file...).
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Body(Kind::Boxed(body.map_err(Error::body).boxed_unsync()))
    }

    /// A request body read from the connection, cut off after `limit` bytes and timed
    /// by `timeouts`.
    pub(crate) fn incoming(
        inner: hyper::body::Incoming,
        limit: u64,
        timeouts: BodyTimeouts,
    ) -> Self {
        use http_body::Body as _;
        let clock = (!inner.is_end_stream()).then(|| Box::new(BodyClock::new(timeouts)));
        Body(Kind::Incoming {
            inner,
            remaining: limit,
            limit,
            clock,
        })
    }

    /// A body whose first read fails with `err` (a request refused without reading it).
    pub(crate) fn failed(err: Error) -> Self {
        let frames = futures_util::stream::iter([Err::<Frame<Bytes>, Error>(err)]);
        Body(Kind::Boxed(
            http_body_util::StreamBody::new(frames).boxed_unsync(),
        ))
    }

    /// Reads the whole body into one buffer. Fails with
    /// [`Error::is_body_too_large`] as soon as the limit is crossed.
    pub async fn to_bytes(self) -> Result<Bytes, Error> {
        match self.0 {
            Kind::Empty => Ok(Bytes::new()),
            Kind::Full(b) => Ok(b.unwrap_or_default()),
            _ => Ok(self.collect().await?.to_bytes()),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Incoming { .. } => "incoming",
            Kind::Boxed(_) => "boxed",
        };
        f.debug_tuple("Body").field(&kind).finish()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::full(b)
    }
}
impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body::full(b)
    }
}
impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::full(s)
    }
}
impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::full(Bytes::from_static(s.as_bytes()))
    }
}
impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body::full(Bytes::from_static(s))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.get_mut().0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Kind::Incoming {
                inner,
                remaining,
                limit,
                clock,
            } => {
                let frame = match Pin::new(inner).poll_frame(cx) {
                    Poll::Pending => {
                        if let Some(clock) = clock {
                            if let Err(e) = clock.on_pending(cx) {
                                return Poll::Ready(Some(Err(e)));
                            }
                        }
                        return Poll::Pending;
                    }
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Error::body(e)))),
                    Poll::Ready(Some(Ok(frame))) => frame,
                };
                if let Some(data) = frame.data_ref() {
                    let n = data.len() as u64;
                    if n > *remaining {
                        *remaining = 0;
                        return Poll::Ready(Some(Err(Error::body_too_large(*limit))));
                    }
                    *remaining -= n;
                    if let Some(Err(e)) = clock.as_mut().map(|c| c.on_data(n)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Kind::Boxed(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(b) => b.is_none(),
            Kind::Incoming { inner, .. } => inner.is_end_stream(),
            Kind::Boxed(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming { inner, .. } => inner.size_hint(),
            Kind::Boxed(b) => b.size_hint(),
        }
    }
}
