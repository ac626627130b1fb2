#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::stream::Stream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};

/// A self-signed certificate for `localhost` and its key, written to a temporary
/// directory; also returns the certificate's DER for a client to trust.
fn files(dir: &std::path::Path) -> (TlsFiles, Vec<u8>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let files = TlsFiles {
        cert_chain: cert,
        key,
        alpn: vec![alpn::H2.to_vec(), alpn::HTTP_1_1.to_vec()],
        ..TlsFiles::default()
    };
    (files, made.cert.der().to_vec())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cello-net-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn client(trusted: Vec<u8>, alpn: &[&[u8]]) -> tokio_rustls::TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.into()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A local listener, and what accepting one connection on it with `acceptor` gives
/// (None when there was no TLS connection). Writes "hello" and closes.
async fn listen() -> (tokio::net::TcpListener, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

async fn accept_one(acceptor: TlsAcceptor, listener: tokio::net::TcpListener) -> Option<TlsInfo> {
    let (tcp, _) = listener.accept().await.unwrap();
    let mut tls = acceptor
        .accept(Stream::Tcp(tcp), Duration::from_secs(10))
        .await?;
    let info = TlsInfo::of(&tls);
    let _ = tls.write_all(b"hello").await;
    let _ = tls.shutdown().await;
    Some(info)
}

#[tokio::test]
async fn handshakes_and_agrees_on_h2_by_alpn() {
    let (files, der) = files(&temp_dir("alpn"));
    let config = files.load().unwrap();
    let (listener, port) = listen().await;
    let client = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let mut tls = client(der, &[b"h2", b"http/1.1"])
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        got
    };
    let (info, got) = tokio::join!(
        accept_one(TlsAcceptor::new(files, config), listener),
        client
    );
    assert_eq!(got, b"hello");
    let info = info.unwrap();
    assert_eq!(info.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(info.version, "TLSv1.3");
    assert_eq!(info.client_cert, None);
}

#[tokio::test]
async fn answers_plain_http_on_the_tls_port_with_400() {
    let (files, _) = files(&temp_dir("plain"));
    let config = files.load().unwrap();
    let (listener, port) = listen().await;
    let client = async {
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        tcp.read_to_end(&mut got).await.unwrap();
        String::from_utf8(got).unwrap()
    };
    let (info, text) = tokio::join!(
        accept_one(TlsAcceptor::new(files, config), listener),
        client
    );
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.ends_with("This port speaks HTTPS: use https:// to connect.\n"));
    assert_eq!(info, None);
}

#[test]
fn a_missing_certificate_file_is_an_error_naming_it() {
    let files = TlsFiles {
        cert_chain: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
        ..TlsFiles::default()
    };
    let err = files.load().unwrap_err();
    assert!(err.is_io());
    assert!(
        err.to_string()
            .starts_with("/nonexistent/cert.pem: cannot read it"),
        "{err}"
    );
}

#[test]
fn a_key_that_is_not_pem_is_an_error_naming_it() {
    let dir = temp_dir("badkey");
    let (mut files, _) = files(&dir);
    files.key = dir.join("bad.pem");
    std::fs::write(&files.key, "not a key").unwrap();
    let err = files.load().unwrap_err();
    assert!(!err.is_io());
    assert!(
        err.to_string().contains("bad.pem: no usable private key"),
        "{err}"
    );
}

#[test]
fn reload_keeps_the_config_in_force_when_the_new_files_are_bad() {
    let dir = temp_dir("reload");
    let (files, _) = files(&dir);
    let config = files.load().unwrap();
    let acceptor = TlsAcceptor::new(files.clone(), config.clone());
    std::fs::write(&files.cert_chain, "garbage").unwrap();
    assert!(acceptor.reload().is_err());
    assert!(Arc::ptr_eq(&acceptor.config.borrow(), &config));
}
