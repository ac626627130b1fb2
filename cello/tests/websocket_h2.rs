//! A WebSocket over HTTP/2 (RFC 8441): the `h2` crate's client sends an extended CONNECT
//! to an echo route registered for `GET` and `CONNECT`; frames are built by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use bytes::Bytes;
use cello::ws::{WebSocket, WebSocketUpgrade};
use cello::App;
use http::{Method, Request, StatusCode, Version};

async fn echo(mut socket: WebSocket) {
    while let Ok(msg) = socket.recv().await {
        if socket.send(msg).await.is_err() {
            return;
        }
    }
}

/// A masked client text frame (a zero mask leaves the payload as is).
fn client_text(text: &str) -> Bytes {
    let len = u8::try_from(text.len()).unwrap();
    assert!(len < 126);
    let mut frame = vec![0x81, 0x80 | len, 0, 0, 0, 0];
    frame.extend_from_slice(text.as_bytes());
    Bytes::from(frame)
}

#[test]
fn an_extended_connect_opens_a_websocket_answered_200_that_echoes() {
    let upgrade = |ws: WebSocketUpgrade| async move { ws.on_upgrade(echo) };
    let app = App::new()
        .get("/echo", upgrade)
        .route(Method::CONNECT, "/echo", upgrade);
    let server = common::spawn(app);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let (client, conn) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut client = client.ready().await.unwrap();
        // The server's SETTINGS arrive on the connection task.
        for _ in 0..1000 {
            if client.is_extended_connect_protocol_enabled() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(client.is_extended_connect_protocol_enabled());
        let mut req = Request::builder()
            .method(Method::CONNECT)
            .version(Version::HTTP_2)
            .uri(format!("http://{}/echo", server.addr))
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        req.extensions_mut()
            .insert(h2::ext::Protocol::from_static("websocket"));
        let (res, mut send) = client.send_request(req, false).unwrap();
        let res = res.await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("sec-websocket-accept").is_none());
        let mut body = res.into_body();
        for text in ["hello", "over h2"] {
            send.send_data(client_text(text), false).unwrap();
            let mut got = Vec::new();
            while got.len() < 2 + text.len() {
                let chunk = body.data().await.unwrap().unwrap();
                body.flow_control().release_capacity(chunk.len()).unwrap();
                got.extend_from_slice(&chunk);
            }
            // An unmasked server text frame.
            assert_eq!(got[0], 0x81);
            assert_eq!(usize::from(got[1]), text.len());
            assert_eq!(&got[2..], text.as_bytes());
        }
    });
}
