//! The measurement behind `cello::ws`'s choice of tokio-tungstenite (see
//! `cello/src/ws/mod.rs`). Not part of the workspace (it would pull fastwebsockets into
//! the lockfile): copy it to `src/main.rs` of a scratch crate with
//!
//! ```toml
//! [dependencies]
//! tokio = { version = "1.54", features = ["rt", "net", "time", "macros", "io-util"] }
//! tokio-tungstenite = { version = "0.30", default-features = false, features = ["handshake"] }
//! fastwebsockets = "0.10"
//! futures-util = { version = "0.3", features = ["sink"] }
//! [profile.release]
//! lto = "fat"
//! codegen-units = 1
//! ```
//!
//! and run `cargo run --release -- tungstenite 1` (or `fast`, and 64 clients).
//! `UNMASKED=1` sends one unmasked client frame instead and prints the answer
//! (fastwebsockets 0.10 echoes it; tungstenite fails the connection).
//! `cargo run --release -- ws://127.0.0.1:PORT/ws CLIENTS SECONDS` is the load client
//! for a real server (the handshake included): the echo figures in the WebSocket
//! report.
//!
//! Echo round trips per second: tokio-tungstenite vs fastwebsockets as the server,
//! the same tokio-tungstenite client, each side on its own thread and current-thread
//! runtime (the handshake skipped: both sides start framed).
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn tung_server(tcp: TcpStream) {
    let mut cfg = WebSocketConfig::default();
    cfg.max_message_size = Some(16 << 20);
    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, Some(cfg)).await;
    while let Some(Ok(m)) = ws.next().await {
        if m.is_text() || m.is_binary() {
            if ws.send(m).await.is_err() { break; }
        }
    }
}

async fn fast_server(tcp: TcpStream) {
    let mut ws = fastwebsockets::WebSocket::after_handshake(tcp, fastwebsockets::Role::Server);
    ws.set_auto_close(true);
    ws.set_auto_pong(true);
    ws.set_max_message_size(16 << 20);
    let mut ws = fastwebsockets::FragmentCollector::new(ws);
    loop {
        let frame = match ws.read_frame().await { Ok(f) => f, Err(_) => break };
        match frame.opcode {
            fastwebsockets::OpCode::Close => break,
            fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary => {
                if ws.write_frame(frame).await.is_err() { break; }
            }
            _ => {}
        }
    }
}

async fn one_client(url: String, deadline: Instant) -> u64 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let req = url.clone().into_client_request().unwrap();
    let host = req.uri().authority().unwrap().as_str().to_owned();
    let tcp = TcpStream::connect(host).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let mut n = 0u64;
    while Instant::now() < deadline {
        ws.send(Message::text("hello, websocket echo")).await.unwrap();
        match ws.next().await {
            Some(Ok(_)) => n += 1,
            other => panic!("{other:?}"),
        }
    }
    n
}

fn client_mode(url: String, clients: usize, secs: u64) {
    let rt = rt();
    let total = rt.block_on(async move {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(one_client(url.clone(), deadline))).collect();
        let mut total = 0;
        for t in tasks { total += t.await.unwrap(); }
        total
    });
    println!("clients={clients}: {} round trips/s", total / secs);
}

fn main() {
    let which = std::env::args().nth(1).unwrap();
    if which.starts_with("ws://") {
        let clients = std::env::args().nth(2).unwrap().parse().unwrap();
        let secs = std::env::args().nth(3).map_or(10, |s| s.parse().unwrap());
        return client_mode(which, clients, secs);
    }
    let clients: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let w = which.clone();
    std::thread::spawn(move || {
        let rt = rt();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let l = TcpListener::from_std(std_listener).unwrap();
            loop {
                let (tcp, _) = l.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                if w == "tungstenite" { tokio::task::spawn_local(tung_server(tcp)); }
                else { tokio::task::spawn_local(fast_server(tcp)); }
            }
        });
    });
    let rt = rt();
    let total = rt.block_on(async move {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            tasks.push(tokio::spawn(async move {
                let tcp = TcpStream::connect(addr).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                let role = if std::env::var("UNMASKED").is_ok() { Role::Server } else { Role::Client };
                let mut ws = WebSocketStream::from_raw_socket(tcp, role, None).await;
                let mut n = 0u64;
                if std::env::var("UNMASKED").is_ok() {
                    ws.send(Message::text("unmasked")).await.unwrap();
                    println!("answer to an unmasked frame: {:?}", ws.next().await);
                    return 0;
                }
                while Instant::now() < deadline {
                    ws.send(Message::text("hello, websocket echo")).await.unwrap();
                    ws.next().await.unwrap().unwrap();
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks { total += t.await.unwrap(); }
        total
    });
    println!("{which} clients={clients}: {} round trips/s", total / 5);
}
