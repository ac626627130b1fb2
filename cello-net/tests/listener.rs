//! Binding TCP listeners: a busy port is refused, a server's own workers share one,
//! and accepted connections get the `TCP_NODELAY` that was asked for.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test should panic on a failed step"
)]

use cello_net::{bind_tcp, bind_tcp_workers, run_local, Listener, Stream, TcpOptions};
use std::collections::HashSet;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::timeout;

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn a_second_listener_on_a_busy_port_fails_with_address_already_in_use() {
    let first = bind_tcp(any_port(), &TcpOptions::default()).unwrap();
    let addr = first.local_addr().unwrap();
    let err = bind_tcp(addr, &TcpOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let message = err.to_string();
    assert!(message.contains("address already in use"), "{message}");
    assert!(message.contains(&addr.to_string()), "{message}");
}

#[test]
fn a_second_server_with_several_workers_is_refused_a_port_another_server_holds() {
    let first = bind_tcp_workers(any_port(), &TcpOptions::default(), 2).unwrap();
    let addr = first[0].local_addr().unwrap();
    let err = bind_tcp_workers(addr, &TcpOptions::default(), 2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    // Nor may a single-listener server join the group.
    let err = bind_tcp(addr, &TcpOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn a_plain_listener_already_on_the_port_refuses_a_worker_group() {
    let plain = std::net::TcpListener::bind(any_port()).unwrap();
    let addr = plain.local_addr().unwrap();
    let err = bind_tcp_workers(addr, &TcpOptions::default(), 3).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn worker_listeners_share_one_port_and_the_kernel_spreads_connections_over_them() {
    let listeners = bind_tcp_workers(any_port(), &TcpOptions::default(), 2).unwrap();
    let addr = listeners[0].local_addr().unwrap();
    assert_eq!(listeners[1].local_addr().unwrap(), addr);
    let served = run_local(async move {
        let listeners: Vec<Listener> = listeners
            .into_iter()
            .map(|l| Listener::from_std_tcp(l).unwrap())
            .collect();
        let mut served = HashSet::new();
        // 64 connections all hashed to one of two sockets: 1 chance in 2^63.
        for _ in 0..64 {
            let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
            let accepted = tokio::select! {
                r = listeners[0].accept() => { r.unwrap(); 0 }
                r = listeners[1].accept() => { r.unwrap(); 1 }
            };
            served.insert(accepted);
        }
        served
    })
    .unwrap();
    assert_eq!(served, HashSet::from([0, 1]));
}

/// Whether the connection a listener bound with `nodelay` accepts has `TCP_NODELAY`.
fn accepted_nodelay(nodelay: bool) -> bool {
    let options = TcpOptions {
        nodelay,
        ..TcpOptions::default()
    };
    let std_listener = bind_tcp(any_port(), &options).unwrap();
    let addr = std_listener.local_addr().unwrap();
    run_local(async move {
        let listener = Listener::from_std_tcp(std_listener).unwrap();
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (stream, _) = timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the connection is accepted")
            .unwrap();
        match stream {
            Stream::Tcp(s) => s.nodelay().unwrap(),
            _ => panic!("a TCP listener accepted another kind of stream"),
        }
    })
    .unwrap()
}

#[test]
fn accepted_connections_have_tcp_nodelay_only_when_the_options_ask_for_it() {
    assert!(accepted_nodelay(true));
    assert!(!accepted_nodelay(false));
}
