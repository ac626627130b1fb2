//! The accept loop on real sockets: Unix listeners, the connection limit, and the
//! shutdown deadline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test should panic on a failed step"
)]

use cello_net::{
    bind_tcp, bind_unix, run_local, serve, Listener, ServeConfig, Shutdown, TcpOptions,
};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::spawn_local;
use tokio::time::timeout;

fn tcp_listener() -> (Listener, std::net::SocketAddr) {
    let std = bind_tcp("127.0.0.1:0".parse().unwrap(), &TcpOptions::default()).unwrap();
    let addr = std.local_addr().unwrap();
    (Listener::from_std_tcp(std).unwrap(), addr)
}

/// Writes `served`, then holds the connection until the client closes it.
async fn greet_and_hold<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) {
    let _ = s.write_all(b"served").await;
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink).await;
}

#[test]
fn serves_a_connection_on_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("cello-net-accept-{}.sock", std::process::id()));
    let std_listener = bind_unix(&path, 128).unwrap();
    let client_path = path.clone();
    let reply = run_local(async move {
        let listener = Listener::from_std_unix(std_listener).unwrap();
        let shutdown = Shutdown::new();
        let server = spawn_local(serve(
            listener,
            ServeConfig::default(),
            shutdown.clone(),
            |stream, peer, _| async move {
                assert!(matches!(peer, cello_net::PeerAddr::Unix(_)));
                greet_and_hold(stream).await;
            },
        ));
        let mut client = tokio::net::UnixStream::connect(&client_path).await.unwrap();
        let mut buf = [0; 6];
        client.read_exact(&mut buf).await.unwrap();
        drop(client);
        shutdown.trigger();
        server.await.unwrap();
        buf
    })
    .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(&reply, b"served");
}

#[test]
fn binding_a_unix_socket_replaces_a_stale_socket_file() {
    let path = std::env::temp_dir().join(format!("cello-net-stale-{}.sock", std::process::id()));
    drop(bind_unix(&path, 128).unwrap());
    assert!(path.exists(), "the socket file outlives its listener");
    let again = bind_unix(&path, 128);
    let _ = std::fs::remove_file(&path);
    assert!(again.is_ok(), "{again:?}");
}

#[test]
fn binding_a_unix_socket_a_live_server_holds_is_address_in_use() {
    let path = std::env::temp_dir().join(format!("cello-net-live-{}.sock", std::process::id()));
    let live = bind_unix(&path, 128).unwrap();
    let again = bind_unix(&path, 128);
    drop(live);
    let _ = std::fs::remove_file(&path);
    let err = again.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
}

#[test]
fn an_inherited_listening_socket_is_taken_over_and_anything_else_refused() {
    use std::os::fd::IntoRawFd;
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap();
    let taken = cello_net::StdListener::from_fd(tcp.into_raw_fd()).unwrap();
    assert_eq!(taken.local_addr().unwrap().to_string(), addr.to_string());
    let file = std::fs::File::open("/dev/null").unwrap();
    let err = cello_net::StdListener::from_fd(file.into_raw_fd()).unwrap_err();
    assert!(err.to_string().contains("is not a socket"), "{err}");
    let unbound = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = cello_net::StdListener::from_fd(unbound.into_raw_fd()).unwrap_err();
    assert!(err.to_string().contains("not a stream socket"), "{err}");
}

#[test]
fn a_second_connection_waits_until_the_first_closes_at_max_connections_1() {
    run_local(async {
        let (listener, addr) = tcp_listener();
        let shutdown = Shutdown::new();
        let config = ServeConfig {
            max_connections: 1,
            ..ServeConfig::default()
        };
        let server = spawn_local(serve(listener, config, shutdown.clone(), |s, _, _| {
            greet_and_hold(s)
        }));

        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0; 6];
        first.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"served");

        // The kernel completes the handshake, but the loop does not accept it.
        let mut second = TcpStream::connect(addr).await.unwrap();
        let early = timeout(Duration::from_millis(300), second.read_exact(&mut buf)).await;
        assert!(
            early.is_err(),
            "second connection served while the first was open"
        );

        drop(first);
        timeout(Duration::from_secs(5), second.read_exact(&mut buf))
            .await
            .expect("second connection served once the first closed")
            .unwrap();
        assert_eq!(&buf, b"served");

        drop(second);
        shutdown.trigger();
        server.await.unwrap();
    })
    .unwrap();
}

#[test]
fn graceful_shutdown_returns_after_the_timeout_and_closes_a_stuck_connection() {
    run_local(async {
        let (listener, addr) = tcp_listener();
        let shutdown = Shutdown::new();
        let config = ServeConfig {
            shutdown_timeout: Duration::from_millis(300),
            ..ServeConfig::default()
        };
        // A connection that ignores shutdown and never finishes.
        let server = spawn_local(serve(
            listener,
            config,
            shutdown.clone(),
            |mut s, _, _| async move {
                let _ = s.write_all(b"stuck!").await;
                std::future::pending::<()>().await;
            },
        ));

        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0; 6];
        client.read_exact(&mut buf).await.unwrap();

        let started = Instant::now();
        shutdown.trigger();
        timeout(Duration::from_secs(5), server)
            .await
            .expect("serve returned after the shutdown timeout")
            .unwrap();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(250),
            "returned after {waited:?}"
        );

        // The stuck connection was closed, even though the LocalSet keeps running.
        let mut rest = Vec::new();
        let eof = timeout(Duration::from_secs(2), client.read_to_end(&mut rest)).await;
        assert!(matches!(eof, Ok(Ok(0))), "connection still open: {eof:?}");

        // And the listener is gone.
        assert!(TcpStream::connect(addr).await.is_err());
    })
    .unwrap();
}

#[test]
fn graceful_shutdown_waits_for_a_connection_that_finishes_in_time() {
    run_local(async {
        let (listener, addr) = tcp_listener();
        let shutdown = Shutdown::new();
        let server = spawn_local(serve(
            listener,
            ServeConfig::default(),
            shutdown.clone(),
            |mut s, _, shutdown| async move {
                let _ = s.write_all(b"hello ").await;
                shutdown.shutdown().wait().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
                let _ = s.write_all(b"bye").await;
            },
        ));
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0; 6];
        client.read_exact(&mut buf).await.unwrap();
        shutdown.trigger();
        timeout(Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"bye");
    })
    .unwrap();
}

#[test]
fn dropping_the_serve_future_stops_accepting_and_closes_the_listener() {
    run_local(async move {
        let (listener, addr) = tcp_listener();
        let served = serve(
            listener,
            ServeConfig::default(),
            Shutdown::new(),
            |stream, _, _| greet_and_hold(stream),
        );
        // Serving: a client is greeted.
        let mut served = Box::pin(served);
        let client = async {
            let mut c = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0; 6];
            c.read_exact(&mut buf).await.unwrap();
            buf
        };
        let buf = tokio::select! {
            _ = served.as_mut() => panic!("serve ended on its own"),
            buf = client => buf,
        };
        assert_eq!(&buf, b"served");
        // Dropped (a caller's select! took another branch): the loop goes with it.
        drop(served);
        tokio::task::yield_now().await;
        let refused = timeout(Duration::from_secs(5), async {
            loop {
                match TcpStream::connect(addr).await {
                    Err(e) => break e,
                    Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        })
        .await
        .expect("the listener is still open 5 s after the serve future was dropped");
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    })
    .unwrap();
}
