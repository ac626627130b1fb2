//! Serving one connection: HTTP/1.1 or h2c on hyper, limits, the idle timer and
//! graceful shutdown.

use crate::adapter::{Adapter, ConnState, ConnTls};
use crate::config::HttpConfig;
use crate::framing::Tracker;
use crate::thread_bound::ThreadBound;
use crate::{Request, Response};
use cello_net::Connection;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower_service::Service;

/// The HTTP protocol for one worker thread: configured once, then used for every
/// connection that worker accepts.
#[derive(Clone)]
pub struct Http {
    builder: Rc<auto::Builder<LocalExec>>,
    config: Rc<HttpConfig>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("config", &self.config)
            .finish()
    }
}

impl Http {
    /// hyper configured from `config`.
    pub fn new(config: HttpConfig) -> Self {
        let mut builder = auto::Builder::new(LocalExec);
        builder
            .http1()
            // The header-read timeout is checked by the connection's own tick (see
            // `serve_connection`): hyper's arms and cancels a timer per request, which
            // measured ~0.6 µs of a 3.7 µs round trip (benches/http.rs).
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_buf_size(config.max_header_bytes.max(8192))
            .max_headers(config.max_headers)
            // hyper's pipeline_flush (one write for a batch of pipelined responses)
            // drops the automatic 400/431 answer to a malformed request (measured:
            // hyper 1.12 closes without writing it), so it is opt-in.
            .pipeline_flush(config.pipeline_flush)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(
                config
                    .h2_max_header_list_size
                    .unwrap_or(u32::try_from(config.max_header_bytes).unwrap_or(u32::MAX)),
            )
            .max_concurrent_streams(config.h2_max_concurrent_streams)
            .initial_stream_window_size(config.h2_initial_stream_window)
            .initial_connection_window_size(config.h2_initial_connection_window)
            // SETTINGS_ENABLE_CONNECT_PROTOCOL: WebSockets over HTTP/2 (RFC 8441). One
            // setting per connection; clients that do not use it ignore it.
            .enable_connect_protocol();
        if !config.http2 {
            builder = builder.http1_only();
        }
        Http {
            builder: Rc::new(builder),
            config: Rc::new(config),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Serves requests on `stream` (a [`cello_net::Stream`], or any byte stream) with
    /// `service` until the client leaves, the connection idles past the keep-alive
    /// timeout, a timeout runs out, or `conn`'s stop signal fires (a
    /// [`cello_net::Connection`] from the accept loop, or a plain
    /// [`cello_net::Shutdown`]). On stop, the request in flight finishes, and so does
    /// one whose first bytes have already arrived, answered with `Connection: close`.
    /// Must run on a `LocalSet`: `service` need not be `Send`.
    pub async fn serve_connection<I, S>(&self, stream: I, service: S, conn: impl Into<Connection>)
    where
        I: AsyncRead + AsyncWrite + Unpin + 'static,
        S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    {
        // `ConnTls` is `()` without the `tls` feature.
        #[allow(clippy::unit_arg)]
        self.serve_with(stream, service, conn.into(), ConnTls::default())
            .await
    }

    /// [`Http::serve_connection`], with what a TLS handshake settled for the requests.
    pub(crate) async fn serve_with<I, S>(
        &self,
        stream: I,
        service: S,
        net: Connection,
        tls: ConnTls,
    ) where
        I: AsyncRead + AsyncWrite + Unpin + 'static,
        S: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    {
        let shutdown = net.shutdown().clone();
        let state = Rc::new(ConnState::new(&self.config, net, tls));
        let io = TokioIo::new(ThreadBound::new(CountingIo {
            inner: stream,
            state: state.clone(),
            framing: Tracker::new(self.config.http2),
        }));
        let adapter = Adapter {
            inner: std::cell::RefCell::new(service),
            state: state.clone(),
        };
        // With upgrades: a 101 hands the connection to the service (WebSockets); a
        // plain request pays nothing for it (see thread_bound.rs).
        let mut conn = pin!(self.builder.serve_connection_with_upgrades(io, adapter));
        // One tick drives both timeouts. Idle: no byte moved for `keep_alive_timeout`
        // and nothing in flight. Header read: a request head started arriving more
        // than `header_read_timeout` ago and was not complete.
        let (keep_alive, header) = (
            self.config.keep_alive_timeout,
            self.config.header_read_timeout,
        );
        let period = (keep_alive / 2)
            .min(header / 4)
            .min(self.config.write_timeout / 4)
            .max(Duration::from_millis(1));
        let idle_ticks = u32::try_from(keep_alive.as_nanos() / period.as_nanos())
            .unwrap_or(u32::MAX)
            .max(1);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let (mut seen, mut quiet, mut closing) = (0u64, 0u32, false);
        // Stopped before its first byte arrived: closed at a later tick instead.
        let mut fresh_until: Option<tokio::time::Instant> = None;
        let write_timeout = self.config.write_timeout;
        // Made once: a fresh wait future per wake would re-register with the token.
        let mut stop = pin!(shutdown.stopped());
        // The tick and the stop signal wake the task through `side`, and are polled only
        // after they did (or after one of them was handled, to re-arm it): a request
        // wakes the task through hyper's I/O, and polling both on each of those wakes
        // cost ~200 instructions a request (callgrind).
        let side = Arc::new(SideWake::default());
        let side_waker = Waker::from(side.clone());
        let mut task_waker: Option<Waker> = None;
        let mut side_due = true;
        loop {
            let event = std::future::poll_fn(|cx| {
                if !task_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    side.task.register(cx.waker());
                    task_waker = Some(cx.waker().clone());
                }
                if let Poll::Ready(res) = conn.as_mut().poll(cx) {
                    return Poll::Ready(Event::Done(res));
                }
                if side.fired.swap(false, Ordering::Acquire) || side_due {
                    // A wake took the registered waker: put it back before polling.
                    side.task.register(cx.waker());
                    side_due = false;
                    let mut side_cx = Context::from_waker(&side_waker);
                    if !closing && stop.as_mut().poll(&mut side_cx).is_ready() {
                        side_due = true;
                        return Poll::Ready(Event::Stop);
                    }
                    if tick.poll_tick(&mut side_cx).is_ready() {
                        side_due = true;
                        return Poll::Ready(Event::Tick);
                    }
                }
                Poll::Pending
            })
            .await;
            match event {
                Event::Done(res) => {
                    if let Err(e) = res {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    if state.upgraded.get() {
                        // Upgraded: the connection now belongs to the service's task;
                        // it still counts as open, and busy (not reclaimed first at
                        // the connection cap), until that task drops it.
                        // On stop, it is told through the request (see adapter.rs);
                        // the worker's shutdown timeout bounds the wait.
                        state.net.set_busy();
                        state.upgraded_io_gone.notified().await;
                    }
                    return;
                }
                Event::Stop => {
                    closing = true;
                    state.closing.set(true);
                    // Bytes a client sent just before the stop may be in the socket with
                    // the reactor not yet told: one turn of it, then one poll lets hyper
                    // read them first.
                    tokio::task::yield_now().await;
                    let polled =
                        std::future::poll_fn(|cx| Poll::Ready(conn.as_mut().poll(cx))).await;
                    if let Poll::Ready(res) = polled {
                        if let Err(e) = res {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    // hyper closes a connection with a partly read head as idle; that
                    // request is answered instead, with `Connection: close`.
                    if state.activity.get() == 0 && state.in_flight.get() == 0 {
                        // Accepted just before the stop, its request still on the way
                        // (a worker replaced under load): closing it now would fail
                        // that request, so it gets a tick's time to arrive.
                        fresh_until = Some(tokio::time::Instant::now() + period);
                    } else if !(state.in_flight.get() == 0 && state.head_since.get().is_some()) {
                        conn.as_mut().graceful_shutdown();
                    }
                }
                Event::Tick => {
                    if state
                        .head_since
                        .get()
                        .is_some_and(|t| t.elapsed() >= header)
                    {
                        tracing::debug!(
                            "request head not complete within the header timeout; closing"
                        );
                        return;
                    }
                    if state
                        .write_blocked_since
                        .get()
                        .is_some_and(|t| t.elapsed() >= write_timeout)
                    {
                        tracing::debug!(
                            "client stopped reading the response; closing after the write timeout"
                        );
                        return;
                    }
                    if let Some(until) = fresh_until {
                        if state.activity.get() != 0 || tokio::time::Instant::now() >= until {
                            fresh_until = None;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                    if closing {
                        continue;
                    }
                    let now = state.activity.get();
                    if now != seen || state.in_flight.get() > 0 {
                        seen = now;
                        quiet = 0;
                    } else {
                        quiet += 1;
                        if quiet >= idle_ticks {
                            closing = true;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
        }
    }
}

/// What woke a connection's task and needs handling.
enum Event<R> {
    /// hyper finished the connection.
    Done(R),
    /// The worker is stopping.
    Stop,
    /// The connection's timer ticked.
    Tick,
}

/// The waker the connection's timer and stop signal are polled with: it marks that one
/// of them fired, then wakes the connection's task.
#[derive(Default)]
struct SideWake {
    fired: AtomicBool,
    task: futures_util::task::AtomicWaker,
}

impl std::task::Wake for SideWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fired.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// hyper's executor for HTTP/2 streams: local tasks, so handlers need not be `Send`.
#[derive(Clone, Copy, Debug)]
pub struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: Future + 'static,
{
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

/// Counts I/O operations that moved bytes, for the idle timer (one add per syscall,
/// no clock read), and runs the framing tracker over the bytes read (crate::framing).
struct CountingIo<I> {
    inner: I,
    state: Rc<ConnState>,
    framing: Tracker,
}

impl<I> Drop for CountingIo<I> {
    fn drop(&mut self) {
        if self.state.upgraded.get() {
            self.state.upgraded_io_gone.notify_one();
        }
    }
}

impl<I> CountingIo<I> {
    fn bump(&self) {
        self.state
            .activity
            .set(self.state.activity.get().wrapping_add(1));
    }

    /// After a write: progress clears the write timer; a write that must wait starts it.
    fn wrote(&self, res: &Poll<io::Result<usize>>) {
        match res {
            Poll::Ready(Ok(n)) if *n > 0 => {
                self.bump();
                if self.state.write_blocked_since.get().is_some() {
                    self.state.write_blocked_since.set(None);
                }
            }
            Poll::Pending if self.state.write_blocked_since.get().is_none() => {
                self.state.write_blocked_since.set(Some(Instant::now()));
            }
            _ => {}
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for CountingIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        // After a 101 the bytes are another protocol's: no request heads to track.
        if buf.filled().len() != before && !this.state.upgraded.get() {
            this.bump();
            let state = &this.state;
            if let Some(verdict) = this.framing.feed(&mut buf.filled_mut()[before..]) {
                state.verdicts.set(verdict);
            }
            // Bytes with no request in flight: a request head is arriving.
            if state.in_flight.get() == 0 && state.head_since.get().is_none() {
                state.head_since.set(Some(Instant::now()));
                state.net.set_busy();
            }
        }
        res
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for CountingIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.wrote(&res);
        res
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.wrote(&res);
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
