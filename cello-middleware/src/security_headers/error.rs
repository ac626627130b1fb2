//! [`SecurityHeadersError`]: why a security-headers configuration was refused.

use std::fmt;

/// Why [`SecurityHeadersBuilder::build`](super::SecurityHeadersBuilder::build) refused a
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityHeadersError {
    /// A policy that cannot be a header value: empty, or holding a control character
    /// such as a newline. Holds the header's name and the value as given.
    InvalidValue {
        /// The header the value was meant for.
        header: &'static str,
        /// The value as given.
        value: String,
    },
    /// HSTS `preload` without `includeSubDomains` and a `max-age` of at least one year,
    /// which browsers' preload lists require.
    HstsPreloadRequirements,
}

impl fmt::Display for SecurityHeadersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidValue { header, value } => write!(
                f,
                "{header} value {value:?} cannot be sent: it is empty or holds a control \
                 character such as a newline; write the policy on one line, directives \
                 separated by `; `"
            ),
            Self::HstsPreloadRequirements => f.write_str(
                "HSTS preload needs `include_subdomains()` and a max-age of at least one year \
                 (31536000 s), as the browsers' preload lists require; add them or drop \
                 `preload()`",
            ),
        }
    }
}

impl std::error::Error for SecurityHeadersError {}
