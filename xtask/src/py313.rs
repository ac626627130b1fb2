//! What the Python suite needs in the CPython roots besides cello (`pyroot.rs` runs
//! it there: `cargo xtask test --py313 --py314`). New test dependencies go here and in
//! `python.rs`, pinned alike.

/// What the tests need besides cello, in a CPython root (`pyroot.rs`: 3.13 and 3.14), as
/// binary wheels for that version.
pub const PACKAGES: &[&str] = &[
    "pytest>=8",
    "httpx>=0.27",
    "h11>=0.14",
    "h2>=4.1",
    "websockets==15.0.1",
    // Certificates for the TLS tests (pinned: the certificates it makes change by release).
    "trustme==1.2.1",
    "wsproto==1.2.0",
    "openapi-spec-validator>=0.7",
    "schemathesis==4.32.5",
    "pydantic>=2.7,<3",
    "msgspec>=0.18",
];
