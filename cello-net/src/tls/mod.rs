//! TLS for accepted connections (feature `tls`): rustls with the `ring` provider,
//! TLS 1.2 and 1.3 only.
//!
//! [`TlsFiles`] names the PEM files (certificate chain, key, optional client CA) and
//! [`TlsFiles::load`] turns them into a rustls `ServerConfig`, with an error naming the
//! file that failed. A [`TlsAcceptor`] holds the config in force for one worker;
//! [`TlsAcceptor::reload`] swaps it (SIGHUP) and keeps the old one when the files are
//! bad. [`TlsAcceptor::accept`] runs the handshake under a deadline, and answers a
//! client that speaks plain HTTP to the TLS port with a 400 that says so.
//!
//! `ring` rather than `aws-lc-rs`, by measurement (`benches/tls_provider.rs`, figures
//! in the repository's `benches/RESULTS.md`): ring encrypts and decrypts a request's
//! records in about two thirds of aws-lc-rs's time, which every request pays;
//! aws-lc-rs is faster only at RSA handshakes, paid once per connection. ring also
//! builds with only a C compiler.

mod accept;
mod load;

pub use accept::{TlsAcceptor, TlsInfo, TlsStream};
pub use load::{ClientAuth, TlsError, TlsFiles};

/// ALPN protocol ids, in the server's order of preference.
pub mod alpn {
    /// HTTP/2.
    pub const H2: &[u8] = b"h2";
    /// HTTP/1.1.
    pub const HTTP_1_1: &[u8] = b"http/1.1";
}

#[cfg(test)]
mod tests;
