//! [`CompressionBody`]: the response body, passed through or compressed as it streams.

use super::encoder::Encoder;
use bytes::{Buf, Bytes};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The error type of a [`CompressionBody`]: the inner body's error, or the encoder's.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Input compressed per step, so one huge frame still leaves as several smaller ones.
const INPUT_STEP: usize = 64 * 1024;
/// Output held back while more input is ready at once; flushed early when input waits.
const OUTPUT_BATCH: usize = 16 * 1024;

pin_project! {
    /// Response body of [`Compression`](super::Compression).
    ///
    /// Either the handler's body unchanged, or that body compressed frame by frame:
    /// input is compressed as it arrives, never collected first. When the inner body has
    /// nothing ready (a stream waiting for its next chunk), what was compressed so far is
    /// flushed and sent, so a client sees each chunk without waiting for the next.
    pub struct CompressionBody<B: Body> {
        #[pin]
        body: B,
        state: Option<Box<State<B::Data>>>,
    }
}

struct State<D> {
    // `None` once the stream is finished.
    encoder: Option<Encoder>,
    // The rest of an input frame not yet compressed.
    pending: Option<D>,
    // Input written since the last flush.
    unflushed: bool,
    // Trailers seen at the end of the inner body, sent after the compressed data.
    trailers: Option<HeaderMap>,
}

impl<B: Body> CompressionBody<B> {
    pub(super) fn identity(body: B) -> Self {
        Self { body, state: None }
    }

    pub(super) fn compressed(body: B, encoder: Encoder) -> Self {
        let state = State {
            encoder: Some(encoder),
            pending: None,
            unflushed: false,
            trailers: None,
        };
        Self {
            body,
            state: Some(Box::new(state)),
        }
    }

    /// Whether this body is compressed (the response has a `Content-Encoding`).
    pub fn is_compressed(&self) -> bool {
        self.state.is_some()
    }
}

impl<B> Body for CompressionBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let Some(state) = this.state.as_deref_mut() else {
            return identity_frame(this.body, cx);
        };
        let mut body = this.body;
        loop {
            let Some(encoder) = state.encoder.as_mut() else {
                // Finished: only trailers may be left.
                return Poll::Ready(state.trailers.take().map(|t| Ok(Frame::trailers(t))));
            };

            if let Some(pending) = state.pending.as_mut() {
                let mut budget = INPUT_STEP;
                while pending.has_remaining() && budget > 0 {
                    let chunk = pending.chunk();
                    let n = chunk.len().min(budget);
                    encoder.write(&chunk[..n])?;
                    pending.advance(n);
                    budget -= n;
                }
                if !pending.has_remaining() {
                    state.pending = None;
                }
                state.unflushed = true;
                if encoder.output().len() >= OUTPUT_BATCH {
                    return Poll::Ready(Some(Ok(take_output(encoder))));
                }
                continue;
            }

            match body.as_mut().poll_frame(cx) {
                Poll::Pending => {
                    if state.unflushed {
                        state.unflushed = false;
                        encoder.flush()?;
                    }
                    if encoder.output().is_empty() {
                        return Poll::Pending;
                    }
                    return Poll::Ready(Some(Ok(take_output(encoder))));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        if data.has_remaining() {
                            state.pending = Some(data);
                        }
                    }
                    Err(frame) => {
                        // Trailers end the data: finish the stream, send them after it.
                        if let Ok(trailers) = frame.into_trailers() {
                            state.trailers = Some(trailers);
                            if let Some(last) = finish(&mut state.encoder)? {
                                return Poll::Ready(Some(Ok(last)));
                            }
                        }
                    }
                },
                Poll::Ready(None) => {
                    if let Some(last) = finish(&mut state.encoder)? {
                        return Poll::Ready(Some(Ok(last)));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self.state.as_deref() {
            None => self.body.is_end_stream(),
            Some(state) => state.encoder.is_none() && state.trailers.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            None => self.body.size_hint(),
            // The compressed size is known only at the end.
            Some(_) => SizeHint::default(),
        }
    }
}

fn identity_frame<B>(
    body: Pin<&mut B>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, BoxError>>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let frame = match ready!(body.poll_frame(cx)) {
        None => return Poll::Ready(None),
        Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
        Some(Ok(frame)) => frame,
    };
    // Most bodies' data is already `Bytes`: `copy_to_bytes` then takes it without a copy.
    Poll::Ready(Some(Ok(
        frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))
    )))
}

fn take_output(encoder: &mut Encoder) -> Frame<Bytes> {
    Frame::data(Bytes::from(std::mem::take(encoder.output())))
}

/// End the stream; returns the final bytes as a frame when there are any.
fn finish(encoder: &mut Option<Encoder>) -> std::io::Result<Option<Frame<Bytes>>> {
    let Some(encoder) = encoder.take() else {
        return Ok(None);
    };
    let last = encoder.finish()?;
    Ok((!last.is_empty()).then(|| Frame::data(Bytes::from(last))))
}

impl<B: Body> std::fmt::Debug for CompressionBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompressionBody")
            .field("compressed", &self.state.is_some())
            .finish_non_exhaustive()
    }
}
