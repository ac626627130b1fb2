//! From PEM files to a rustls `ServerConfig`, with errors that name the file.

use pkcs8::der::Decode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};

/// Whether clients must show a certificate signed by [`TlsFiles::client_ca`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No client certificate is asked for (the default).
    #[default]
    None,
    /// One is asked for; a client without one is served, one with a bad one refused.
    Optional,
    /// A client without a valid certificate is refused during the handshake.
    Required,
}

/// The files a TLS server is configured from, all PEM. Loaded by [`TlsFiles::load`],
/// again on every reload.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// The server's certificate chain, leaf first.
    pub cert_chain: PathBuf,
    /// The private key: PKCS#8 (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with
    /// `key_password`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    pub key: PathBuf,
    /// The password of an encrypted PKCS#8 key.
    pub key_password: Option<String>,
    /// The certificates client certificates must chain to (`client_auth`).
    pub client_ca: Option<PathBuf>,
    /// Whether a client certificate is asked for; with `client_ca` and `None`, it is
    /// `Required`.
    pub client_auth: ClientAuth,
    /// ALPN protocols offered, in order of preference ([`super::alpn`]).
    pub alpn: Vec<Vec<u8>>,
}

/// A TLS file that could not be read or used; its message names the file.
#[derive(Debug)]
pub struct TlsError {
    file: Option<PathBuf>,
    message: String,
    io: Option<std::io::ErrorKind>,
}

impl TlsError {
    fn at(file: &Path, message: impl Into<String>) -> Self {
        TlsError {
            file: Some(file.to_owned()),
            message: message.into(),
            io: None,
        }
    }

    /// The file at fault, when one is.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The file could not be read (missing, unreadable) rather than not understood.
    pub fn is_io(&self) -> bool {
        self.io.is_some()
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}: {}", file.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TlsError {}

impl TlsFiles {
    /// Reads the files and builds the server's TLS configuration: TLS 1.2 and 1.3,
    /// the ALPN list, and a client-certificate verifier when `client_ca` is set.
    pub fn load(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let chain = read_certs(&self.cert_chain)?;
        let key = read_key(&self.key, self.key_password.as_deref())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError {
                file: None,
                message: format!("TLS setup failed: {e}"),
                io: None,
            })?;
        let builder = match (&self.client_ca, self.client_auth) {
            (None, ClientAuth::None) => builder.with_no_client_auth(),
            (None, _) => return Err(TlsError {
                file: None,
                message:
                    "client certificates are asked for but no CA file is given; set ssl_ca_certs"
                        .into(),
                io: None,
            }),
            (Some(ca), auth) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(ca)? {
                    roots.add(cert).map_err(|e| {
                        TlsError::at(ca, format!("not a usable CA certificate: {e}"))
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if auth == ClientAuth::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| TlsError::at(ca, format!("cannot verify clients with it: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            TlsError::at(
                &self.key,
                format!(
                    "does not fit the certificate {}: {e}",
                    self.cert_chain.display()
                ),
            )
        })?;
        config.alpn_protocols = self.alpn.clone();
        Ok(Arc::new(config))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError {
        file: Some(path.to_owned()),
        message: format!("cannot read it: {e}"),
        io: Some(e.kind()),
    })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::at(path, format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::at(
            path,
            "holds no certificate (no -----BEGIN CERTIFICATE----- section)",
        ));
    }
    Ok(certs)
}

const ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";

fn read_key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    let text = String::from_utf8_lossy(&pem);
    if text.contains(&format!("-----BEGIN {ENCRYPTED}-----")) {
        let Some(password) = password else {
            return Err(TlsError::at(
                path,
                "the key is encrypted; give its password (ssl_keyfile_password)",
            ));
        };
        let (label, doc) = pkcs8::Document::from_pem(&text)
            .map_err(|e| TlsError::at(path, format!("not a PEM key: {e}")))?;
        if label != ENCRYPTED {
            return Err(TlsError::at(
                path,
                format!("expected {ENCRYPTED}, found {label}"),
            ));
        }
        let info = pkcs8::EncryptedPrivateKeyInfo::from_der(doc.as_bytes())
            .map_err(|e| TlsError::at(path, format!("not an encrypted PKCS#8 key: {e}")))?;
        let plain = info.decrypt(password).map_err(|e| {
            TlsError::at(
                path,
                format!("cannot decrypt the key (wrong password, or an unsupported cipher): {e}"),
            )
        })?;
        return Ok(PrivatePkcs8KeyDer::from(plain.as_bytes().to_vec()).into());
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(TlsError::at(
            path,
            "the key is in OpenSSL's legacy encrypted format; convert it to encrypted PKCS#8 \
             (openssl pkcs8 -topk8 -in old.pem -out new.pem)",
        ));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        TlsError::at(
            path,
            format!("no usable private key (PKCS#8, PKCS#1 RSA or SEC1 EC, PEM): {e}"),
        )
    })
}
