//! [`WebSocket`]: an open connection. A task of the worker (the pump) owns the
//! frames; the app talks to it through two bounded channels, so that pings, pongs,
//! the close handshake and a dead peer are handled while the app does something else.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::pin::pin;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// A WebSocket's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_message_size: usize,
    /// (interval, timeout).
    pub(crate) ping: Option<(Duration, Duration)>,
    /// The server's stop signal: close with 1001 when it fires.
    pub(crate) stop: Option<cello_net::Shutdown>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // uvicorn's defaults.
            max_message_size: 16 * 1024 * 1024,
            ping: Some((Duration::from_secs(20), Duration::from_secs(20))),
            stop: None,
        }
    }
}

/// A whole message (fragments are joined, pings and pongs are answered by the pump).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message, valid UTF-8.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

/// How a connection ended: the close code and reason the peer sent (1005 when it sent
/// none), the one the server closed with, or 1006 when the connection just dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The close code.
    pub code: u16,
    /// The close reason.
    pub reason: String,
}

impl Closed {
    fn abnormal() -> Self {
        Closed {
            code: 1006,
            reason: String::new(),
        }
    }
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the WebSocket is closed (code {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, ", reason {:?}", self.reason)?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Closed {}

enum Command {
    Send(Message, oneshot::Sender<Result<(), Closed>>),
    Close(u16, String, oneshot::Sender<()>),
}

/// Receives messages; see [`WebSocket::split`].
#[derive(Debug)]
pub struct Receiver {
    rx: mpsc::Receiver<Result<Message, Closed>>,
    closed: Option<Closed>,
}

impl Receiver {
    /// The next message, or how the connection ended (then again on every call).
    pub async fn recv(&mut self) -> Result<Message, Closed> {
        if let Some(c) = &self.closed {
            return Err(c.clone());
        }
        let got = self
            .rx
            .recv()
            .await
            .unwrap_or_else(|| Err(Closed::abnormal()));
        if let Err(c) = &got {
            self.closed = Some(c.clone());
        }
        got
    }
}

/// Sends messages and closes; cheap to clone. See [`WebSocket::split`].
#[derive(Debug, Clone)]
pub struct Sender {
    tx: mpsc::Sender<Command>,
}

impl Sender {
    /// Sends `msg`; returns once it is written to the connection (backpressure).
    /// Fails with 1006 when the connection is gone or closing.
    pub async fn send(&self, msg: Message) -> Result<(), Closed> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Command::Send(msg, ack))
            .await
            .map_err(|_| Closed::abnormal())?;
        done.await.unwrap_or_else(|_| Err(Closed::abnormal()))
    }

    /// Starts the closing handshake with `code` and `reason` (sent as is; RFC 6455
    /// §7.4 lists the codes) and returns once the close frame is written.
    pub async fn close(&self, code: u16, reason: &str) {
        let (ack, done) = oneshot::channel();
        if self
            .tx
            .send(Command::Close(code, reason.to_owned(), ack))
            .await
            .is_ok()
        {
            let _ = done.await;
        }
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

/// An open WebSocket: receive messages, send messages, close. Dropping it (both halves)
/// closes the connection with 1000 if the app did not close it.
///
/// Frames are parsed, unmasked, joined and validated by tungstenite: a text message
/// that is not UTF-8 closes with 1007, reserved bits or an unmasked client frame with
/// 1002, a message over the size limit with 1009; the app then sees that code.
#[derive(Debug)]
pub struct WebSocket {
    receiver: Receiver,
    sender: Sender,
}

impl WebSocket {
    pub(crate) async fn open(upgraded: Upgraded, config: Config) -> WebSocket {
        let mut ws_config = WebSocketConfig::default();
        ws_config.max_message_size = Some(config.max_message_size);
        ws_config.max_frame_size = Some(config.max_message_size);
        // tungstenite zero-fills this much before every socket read (128 KiB by
        // default: 40% of an echo server's CPU in perf); 8 KiB holds many small frames,
        // a larger frame grows the buffer and is read 8 KiB per call.
        ws_config.read_buffer_size = 8 * 1024;
        let stream =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_config))
                .await;
        // Small queues: the pump reads no faster than the app takes messages.
        let (events_tx, events_rx) = mpsc::channel(4);
        let (cmd_tx, cmd_rx) = mpsc::channel(4);
        tokio::task::spawn_local(pump(stream, cmd_rx, events_tx, config));
        WebSocket {
            receiver: Receiver {
                rx: events_rx,
                closed: None,
            },
            sender: Sender { tx: cmd_tx },
        }
    }

    /// The next message, or how the connection ended.
    pub async fn recv(&mut self) -> Result<Message, Closed> {
        self.receiver.recv().await
    }

    /// Sends `msg` (see [`Sender::send`]).
    pub async fn send(&self, msg: Message) -> Result<(), Closed> {
        self.sender.send(msg).await
    }

    /// Closes with `code` and `reason` (see [`Sender::close`]).
    pub async fn close(&self, code: u16, reason: &str) {
        self.sender.close(code, reason).await
    }

    /// The two halves, to receive in one task and send from others.
    pub fn split(self) -> (Receiver, Sender) {
        (self.receiver, self.sender)
    }
}

type Stream = WebSocketStream<TokioIo<Upgraded>>;

/// How long the server waits for the peer's close frame after sending its own.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The close code for a frame error the server detected; None: the connection is gone.
fn close_code(err: &tungstenite::Error) -> Option<(u16, &'static str)> {
    use tungstenite::Error as E;
    match err {
        E::Utf8(_) => Some((1007, "invalid UTF-8 in a text message")),
        E::Capacity(CapacityError::MessageTooLong { .. }) => Some((1009, "message too big")),
        E::Capacity(_) => Some((1009, "message too big")),
        E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        E::Protocol(_) => Some((1002, "protocol error")),
        E::ConnectionClosed | E::AlreadyClosed | E::Io(_) => None,
        _ => Some((1011, "internal error")),
    }
}

async fn pump(
    mut ws: Stream,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Result<Message, Closed>>,
    config: Config,
) {
    let (interval, timeout) = config.ping.unwrap_or((Duration::MAX, Duration::MAX));
    let stop = config.stop.unwrap_or_default();
    let mut stopping = pin!(stop.stopped());
    let far = |d: Duration| Instant::now().checked_add(d).unwrap_or_else(far_future);
    let mut awaiting_pong = false;
    let mut last_ping = Instant::now();
    let timer = tokio::time::sleep_until(far(interval));
    tokio::pin!(timer);
    // A message read but not yet taken by the app: reading waits until it is.
    let mut pending: Option<Result<Message, Closed>> = None;
    let ended: Closed = loop {
        tokio::select! {
            biased;
            permit = events.reserve(), if pending.is_some() => {
                if let (Ok(permit), Some(ev)) = (permit, pending.take()) {
                    permit.send(ev);
                }
            }
            frame = ws.next(), if pending.is_none() => {
                // Any frame shows the peer is alive.
                awaiting_pong = false;
                match frame {
                    Some(Ok(tungstenite::Message::Text(t))) => pending = Some(Ok(Message::Text(t))),
                    Some(Ok(tungstenite::Message::Binary(b))) => pending = Some(Ok(Message::Binary(b))),
                    Some(Ok(tungstenite::Message::Close(frame))) => {
                        // tungstenite queued the reply; write it.
                        let _ = ws.flush().await;
                        break frame.map_or(Closed { code: 1005, reason: String::new() }, |f| Closed {
                            code: u16::from(f.code),
                            reason: f.reason.to_string(),
                        });
                    }
                    // Pings are answered by tungstenite on the next write: flush it now.
                    Some(Ok(tungstenite::Message::Ping(_))) => {
                        let _ = ws.flush().await;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => match close_code(&e) {
                        Some((code, reason)) => {
                            tracing::debug!(error = %e, code, "closing a WebSocket");
                            break close_and_wait(&mut ws, code, reason).await;
                        }
                        None => break Closed::abnormal(),
                    },
                    None => break Closed::abnormal(),
                }
            }
            cmd = commands.recv() => match cmd {
                Some(Command::Send(msg, ack)) => {
                    let frame = match msg {
                        Message::Text(t) => tungstenite::Message::Text(t),
                        Message::Binary(b) => tungstenite::Message::Binary(b),
                    };
                    let _ = ack.send(ws.send(frame).await.map_err(|_| Closed::abnormal()));
                }
                Some(Command::Close(code, reason, ack)) => {
                    let closed = close_and_wait(&mut ws, code, &reason).await;
                    let _ = ack.send(());
                    break closed;
                }
                // The app let go of the socket without closing it.
                None => break close_and_wait(&mut ws, 1000, "").await,
            },
            _ = stopping.as_mut() => {
                break close_and_wait(&mut ws, 1001, "server shutting down").await;
            }
            () = &mut timer => {
                if awaiting_pong {
                    tracing::debug!("WebSocket peer did not answer a ping in time; closing");
                    break close_and_wait(&mut ws, 1011, "keepalive ping timeout").await;
                }
                let due = last_ping.checked_add(interval).unwrap_or_else(far_future);
                if Instant::now() < due {
                    // The pong came early: the next ping is one interval after the last.
                    timer.as_mut().reset(due);
                    continue;
                }
                if ws.send(tungstenite::Message::Ping(Bytes::new())).await.is_err() {
                    break Closed::abnormal();
                }
                awaiting_pong = true;
                last_ping = Instant::now();
                timer.as_mut().reset(far(timeout));
            }
        }
    };
    drop(ws);
    // Whatever the app reads next tells how the connection ended; what it sends fails.
    if let Some(Ok(msg)) = pending {
        let _ = events.send(Ok(msg)).await;
    }
    let _ = events.send(Err(ended)).await;
    while let Some(cmd) = commands.recv().await {
        match cmd {
            Command::Send(_, ack) => {
                let _ = ack.send(Err(Closed::abnormal()));
            }
            Command::Close(_, _, ack) => {
                let _ = ack.send(());
            }
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Sends a close frame, then reads until the peer's close frame comes back (or
/// `CLOSE_WAIT` passes, or the connection drops).
async fn close_and_wait(ws: &mut Stream, code: u16, reason: &str) -> Closed {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from(reason),
    };
    if ws.close(Some(frame)).await.is_err() {
        return Closed {
            code,
            reason: reason.to_owned(),
        };
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    Closed {
        code,
        reason: reason.to_owned(),
    }
}
