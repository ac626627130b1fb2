//! [`CorsError`]: why a CORS configuration was refused.

use std::fmt;

/// Why [`CorsBuilder::build`](super::CorsBuilder::build) refused a configuration.
///
/// Each of these would make browsers reject every cross-origin request, or open the API
/// to every site, so they are caught when the server starts instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorsError {
    /// No origin was allowed, so the layer could never grant anything.
    NoOrigins,
    /// An origin is not `scheme://host[:port]`; it holds the origin as given.
    InvalidOrigin(String),
    /// Credentials were allowed for any origin, which browsers refuse (and which would let
    /// any site act as a logged-in user).
    CredentialsWithAnyOrigin,
}

impl fmt::Display for CorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoOrigins => f.write_str(
                "CORS allows no origin; call `allow_origin(\"https://example.com\")` \
                 or `allow_any_origin()`",
            ),
            Self::InvalidOrigin(origin) if origin == "*" => {
                f.write_str("CORS origin \"*\" is not an origin; call `allow_any_origin()` instead")
            }
            Self::InvalidOrigin(origin) => write!(
                f,
                "CORS origin {origin:?} is not `scheme://host[:port]`; write it as the \
                 browser sends it, with no path or trailing slash, e.g. \"https://example.com\""
            ),
            Self::CredentialsWithAnyOrigin => f.write_str(
                "CORS cannot allow credentials for any origin (browsers reject it); list the \
                 trusted origins with `allow_origin(...)` or turn credentials off",
            ),
        }
    }
}

impl std::error::Error for CorsError {}
