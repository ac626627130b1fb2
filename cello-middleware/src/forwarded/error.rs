//! [`TrustedProxiesError`]: why a trusted-proxies list was refused.

use std::fmt;

/// Why [`TrustedProxiesLayer::new`](super::TrustedProxiesLayer::new) refused a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedProxiesError {
    /// An entry that is neither `*`, an IP address nor a CIDR network. Holds the entry.
    InvalidAddress(String),
}

impl fmt::Display for TrustedProxiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAddress(entry) => write!(
                f,
                "trusted proxy {entry:?} is not an IP address or a network; write it as \
                 `127.0.0.1`, `::1`, `10.0.0.0/8` or `fd00::/8` (host names are not \
                 resolved), or `*` to trust every peer"
            ),
        }
    }
}

impl std::error::Error for TrustedProxiesError {}
