//! WebSockets (RFC 6455) on hyper's HTTP/1.1 upgrade or HTTP/2 extended CONNECT (RFC
//! 8441), with tokio-tungstenite for the frames.
//!
//! A route takes a [`WebSocketUpgrade`] (as axum's extractor of that name) and answers
//! with [`WebSocketUpgrade::on_upgrade`]; the callback gets the open [`WebSocket`]:
//!
//! ```
//! use cello::ws::{Message, WebSocket, WebSocketUpgrade};
//! use cello::App;
//!
//! async fn echo(mut socket: WebSocket) {
//!     while let Ok(msg) = socket.recv().await {
//!         if socket.send(msg).await.is_err() {
//!             break;
//!         }
//!     }
//! }
//!
//! let app = App::new().get("/echo", |ws: WebSocketUpgrade| async move { ws.on_upgrade(echo) });
//! # let _ = app;
//! ```
//!
//! What the server does for every socket: answers pings, joins fragments, validates
//! UTF-8 (1007), reserved bits and masking (1002), closes messages over the size limit
//! (default 16 MiB, 1009), pings every 20 s and closes a peer that does not answer
//! within 20 s (1011), closes with 1001 when the server stops, and completes the
//! closing handshake.
//!
//! tokio-tungstenite, not fastwebsockets. Measured (echo round trips a second over
//! loopback, the same tungstenite client, one current-thread runtime per side, see
//! `benches/ws_crate_choice.rs`): fastwebsockets 0.10 serves ~40% more (20.8k vs 14.8k
//! with 1 client, 17.9k vs 11.1k with 64). But fastwebsockets accepts unmasked client
//! frames (RFC 6455 §5.1 says fail the connection; Cello closes with 1002), and its
//! `read_frame` is not documented as cancel-safe, which the pump below needs (it waits
//! on the socket, the app and the ping timer at once). A Python handler's message costs
//! far more than the frame work (the awaits on both sides), so strictness won.
//!
//! Over HTTP/2 the route also answers `CONNECT` with `:protocol: websocket` (register it
//! for `Method::CONNECT` too): the stream carries the same frames, the answer is 200.

mod socket;
mod upgrade;

pub use socket::{Closed, Message, Receiver, Sender, WebSocket};
pub use tokio_tungstenite::tungstenite::Utf8Bytes;
pub use upgrade::{NotWebSocket, WebSocketUpgrade};
