//! The values a builder chooses from: [`FrameOptions`], [`ReferrerPolicy`], [`Hsts`].

use std::time::Duration;

/// `X-Frame-Options`: whether other sites may show this one in a frame (clickjacking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameOptions {
    /// `DENY`: no site may frame these pages.
    Deny,
    /// `SAMEORIGIN`: only pages of the same origin may.
    SameOrigin,
}

impl FrameOptions {
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "DENY",
            Self::SameOrigin => "SAMEORIGIN",
        }
    }
}

/// `Referrer-Policy`: how much of this page's URL a browser sends on to other pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferrerPolicy {
    /// `no-referrer`: never.
    NoReferrer,
    /// `no-referrer-when-downgrade`: the full URL, except from HTTPS to HTTP.
    NoReferrerWhenDowngrade,
    /// `origin`: only the origin.
    Origin,
    /// `origin-when-cross-origin`: the full URL within the origin, the origin elsewhere.
    OriginWhenCrossOrigin,
    /// `same-origin`: the full URL within the origin, nothing elsewhere.
    SameOrigin,
    /// `strict-origin`: the origin, and nothing from HTTPS to HTTP.
    StrictOrigin,
    /// `strict-origin-when-cross-origin`: the full URL within the origin, the origin
    /// elsewhere, nothing from HTTPS to HTTP. Browsers' default, sent explicitly.
    StrictOriginWhenCrossOrigin,
    /// `unsafe-url`: always the full URL, even to HTTP. Leaks paths and queries.
    UnsafeUrl,
}

impl ReferrerPolicy {
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Self::NoReferrer => "no-referrer",
            Self::NoReferrerWhenDowngrade => "no-referrer-when-downgrade",
            Self::Origin => "origin",
            Self::OriginWhenCrossOrigin => "origin-when-cross-origin",
            Self::SameOrigin => "same-origin",
            Self::StrictOrigin => "strict-origin",
            Self::StrictOriginWhenCrossOrigin => "strict-origin-when-cross-origin",
            Self::UnsafeUrl => "unsafe-url",
        }
    }
}

/// One year, the `max-age` the HSTS preload lists require.
pub(super) const ONE_YEAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// `Strict-Transport-Security`: browsers use only HTTPS for this host for `max_age`.
///
/// Turn it on only when the site is served over HTTPS (directly or behind a TLS proxy):
/// a browser that has seen it refuses plain HTTP to the host until it expires. Browsers
/// ignore it on plain-HTTP responses (RFC 6797 §8.1), so it is sent on every response.
///
/// ```
/// use cello_middleware::security_headers::Hsts;
/// use std::time::Duration;
///
/// let hsts = Hsts::new(Duration::from_secs(63_072_000)).include_subdomains().preload();
/// assert_eq!(hsts.to_string(), "max-age=63072000; includeSubDomains; preload");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Hsts {
    pub(super) max_age: Duration,
    pub(super) include_subdomains: bool,
    pub(super) preload: bool,
}

impl Hsts {
    /// HSTS for `max_age` (sent in whole seconds), for this host only.
    pub const fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            include_subdomains: false,
            preload: false,
        }
    }

    /// Cover every subdomain too (`includeSubDomains`).
    pub const fn include_subdomains(mut self) -> Self {
        self.include_subdomains = true;
        self
    }

    /// Ask to be put on browsers' built-in HSTS lists (`preload`); needs
    /// [`include_subdomains`](Self::include_subdomains) and a max-age of a year or more.
    pub const fn preload(mut self) -> Self {
        self.preload = true;
        self
    }
}

impl std::fmt::Display for Hsts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "max-age={}", self.max_age.as_secs())?;
        if self.include_subdomains {
            f.write_str("; includeSubDomains")?;
        }
        if self.preload {
            f.write_str("; preload")?;
        }
        Ok(())
    }
}
