//! ring against aws-lc-rs as the server's rustls crypto provider: the measurement
//! behind `cello_net::tls` using ring.
//!
//! ```text
//! cargo bench -p cello-net --features bench-aws-lc --bench tls_provider
//! ```
//!
//! Everything runs in memory (no sockets), TLS 1.3 with X25519, and only the
//! server's calls are timed: the client is always ring, so the two providers differ
//! only where Cello's worker spends its CPU.
//! - `handshake/{ecdsa-p256,rsa-2048}`: one full handshake, paid once per connection;
//! - `request/{200B,64KiB}`: on an open connection, decrypt a 100-byte request and
//!   encrypt a response of that size, paid on every request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use tokio_rustls::rustls;

/// A self-signed certificate for `localhost` and its PKCS#8 key.
struct Identity {
    name: &'static str,
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

fn identities() -> Vec<Identity> {
    let ecdsa = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    // ring cannot make RSA keys; aws-lc-rs can, and ring signs with them.
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let rsa_der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
    let rsa = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(rsa_der.as_ref()),
        &rcgen::PKCS_RSA_SHA256,
    )
    .unwrap();
    [("ecdsa-p256", ecdsa), ("rsa-2048", rsa)]
        .into_iter()
        .map(|(name, key)| {
            let params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
            let cert = params.self_signed(&key).unwrap();
            Identity {
                name,
                cert: cert.der().clone(),
                key: key.serialize_der(),
            }
        })
        .collect()
}

fn providers() -> [(&'static str, Arc<CryptoProvider>); 2] {
    [
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
    ]
}

/// The server's config as `TlsFiles::load` builds it, with `provider`.
fn server_config(provider: Arc<CryptoProvider>, id: &Identity) -> Arc<ServerConfig> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![id.cert.clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

fn client_config(id: &Identity) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Moves the client's pending records to the server and back until neither has
/// anything to send; returns the time spent in the server's calls.
fn exchange(client: &mut ClientConnection, server: &mut ServerConnection) -> Duration {
    let mut spent = Duration::ZERO;
    let mut wire = Vec::with_capacity(1 << 17);
    loop {
        wire.clear();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        let start = Instant::now();
        let mut input = &wire[..];
        while !input.is_empty() {
            server.read_tls(&mut input).unwrap();
            server.process_new_packets().unwrap();
        }
        spent += start.elapsed();
        if !server.wants_write() {
            return spent;
        }
        wire.clear();
        let start = Instant::now();
        while server.wants_write() {
            server.write_tls(&mut wire).unwrap();
        }
        spent += start.elapsed();
        let mut input = &wire[..];
        while !input.is_empty() {
            client.read_tls(&mut input).unwrap();
            client.process_new_packets().unwrap();
        }
    }
}

fn connect(
    server: &Arc<ServerConfig>,
    client: &Arc<ClientConfig>,
) -> (ClientConnection, ServerConnection, Duration) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(client.clone(), name).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let spent = exchange(&mut c, &mut s);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s, spent)
}

fn handshake(c: &mut Criterion) {
    let ids = identities();
    let mut group = c.benchmark_group("handshake");
    for id in &ids {
        let client = client_config(id);
        for (provider_name, provider) in providers() {
            let server = server_config(provider, id);
            // The certificate the client got is the one named (rsaEncryption's OID).
            let (c, _, _) = connect(&server, &client);
            const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
            let peer = c.peer_certificates().unwrap()[0].as_ref();
            let is_rsa = peer
                .windows(RSA_ENCRYPTION.len())
                .any(|w| w == RSA_ENCRYPTION);
            assert_eq!(is_rsa, id.name.starts_with("rsa"), "{}", id.name);
            group.bench_function(BenchmarkId::new(provider_name, id.name), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| connect(&server, &client).2).sum())
            });
        }
    }
    group.finish();
}

fn request(c: &mut Criterion) {
    let ids = identities();
    let id = &ids[0];
    let client = client_config(id);
    let request = [b'r'; 100];
    let mut group = c.benchmark_group("request");
    for (size_name, size) in [("200B", 200), ("64KiB", 64 << 10)] {
        let response = vec![b'x'; size];
        for (provider_name, provider) in providers() {
            let server = server_config(provider, id);
            let (mut c, mut s, _) = connect(&server, &client);
            let mut got = vec![0u8; size + 1];
            let mut wire = Vec::with_capacity(size + 4096);
            group.bench_function(BenchmarkId::new(provider_name, size_name), |b| {
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        c.writer().write_all(&request).unwrap();
                        wire.clear();
                        c.write_tls(&mut wire).unwrap();
                        let start = Instant::now();
                        let mut input = &wire[..];
                        while !input.is_empty() {
                            s.read_tls(&mut input).unwrap();
                            s.process_new_packets().unwrap();
                        }
                        let n = s.reader().read(&mut got).unwrap();
                        assert_eq!(n, request.len());
                        s.writer().write_all(&response).unwrap();
                        wire.clear();
                        while s.wants_write() {
                            s.write_tls(&mut wire).unwrap();
                        }
                        spent += start.elapsed();
                        let mut input = &wire[..];
                        let mut read = 0;
                        while !input.is_empty() {
                            c.read_tls(&mut input).unwrap();
                            c.process_new_packets().unwrap();
                            while let Ok(n) = c.reader().read(&mut got) {
                                if n == 0 {
                                    break;
                                }
                                read += n;
                            }
                        }
                        assert_eq!(read, size);
                    }
                    spent
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, handshake, request);
criterion_main!(benches);
