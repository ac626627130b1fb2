//! A WebSocket echo route on the `cello` crate, served on a real socket and driven by
//! tungstenite's client.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use cello::ws::{Message, WebSocket, WebSocketUpgrade};
use cello::App;
use futures_util::{SinkExt, StreamExt};
use std::io::{Read, Write};
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

async fn echo(mut socket: WebSocket) {
    while let Ok(msg) = socket.recv().await {
        if let Message::Text(t) = &msg {
            if t.as_str() == "bye" {
                socket.close(4000, "bye to you").await;
                return;
            }
        }
        if socket.send(msg).await.is_err() {
            return;
        }
    }
}

fn start() -> common::Running {
    let app = App::new()
        .get("/echo", |ws: WebSocketUpgrade| async move {
            ws.on_upgrade(echo)
        })
        .get("/plain", || async { "plain" });
    common::spawn(app)
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_echo_route_echoes_text_and_binary_and_closes_with_its_code() {
    let server = start();
    client_runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let req = format!("ws://{}/echo", server.addr)
            .into_client_request()
            .unwrap();
        let (mut ws, res) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
        assert_eq!(res.status(), 101);
        for i in 0..100 {
            ws.send(tungstenite::Message::text(format!("m{i}")))
                .await
                .unwrap();
            let got = ws.next().await.unwrap().unwrap();
            assert_eq!(got, tungstenite::Message::text(format!("m{i}")));
        }
        ws.send(tungstenite::Message::binary(vec![0u8, 1, 2, 255]))
            .await
            .unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            tungstenite::Message::binary(vec![0u8, 1, 2, 255])
        );
        ws.send(tungstenite::Message::text("bye")).await.unwrap();
        match ws.next().await.unwrap().unwrap() {
            tungstenite::Message::Close(Some(frame)) => {
                assert_eq!(frame.code, CloseCode::from(4000));
                assert_eq!(frame.reason.as_str(), "bye to you");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    });
}

#[test]
fn a_plain_get_to_a_websocket_route_is_answered_426_and_plain_routes_ignore_upgrade() {
    let server = start();
    let ask = |raw: &str| {
        let mut s = std::net::TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    };
    let plain = ask("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(plain.starts_with("HTTP/1.1 426"), "{plain}");
    let upgrade = ask(
        "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    assert!(upgrade.starts_with("HTTP/1.1 200"), "{upgrade}");
    assert!(upgrade.ends_with("plain"), "{upgrade}");
}

#[test]
fn stopping_the_server_closes_an_open_websocket_with_1001() {
    let server = start();
    let addr = server.addr;
    client_runtime().block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("ws://{addr}/echo").into_client_request().unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
        ws.send(tungstenite::Message::text("hi")).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            tungstenite::Message::text("hi")
        );
        let stopper = std::thread::spawn(move || drop(server));
        match ws.next().await.unwrap().unwrap() {
            tungstenite::Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
            other => panic!("expected a close frame, got {other:?}"),
        }
        // Answering the close lets the server finish.
        while let Some(Ok(_)) = ws.next().await {}
        stopper.join().unwrap();
    });
}
