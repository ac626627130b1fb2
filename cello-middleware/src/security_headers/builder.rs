//! [`SecurityHeadersBuilder`]: collects settings; [`build`](SecurityHeadersBuilder::build)
//! checks them and makes the header values once.

use super::policy::ONE_YEAR;
use super::{FrameOptions, Hsts, ReferrerPolicy, SecurityHeadersError, SecurityHeadersLayer};
use http::{header, HeaderName, HeaderValue};

/// Settings for a [`SecurityHeadersLayer`], checked by [`build`](Self::build).
///
/// Defaults: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
/// `Referrer-Policy: strict-origin-when-cross-origin`; no HSTS and no CSP, because
/// both can lock users out of a site when set wrong, so they need values you choose.
#[derive(Debug, Clone)]
#[must_use]
pub struct SecurityHeadersBuilder {
    nosniff: bool,
    frame_options: Option<FrameOptions>,
    referrer_policy: Option<ReferrerPolicy>,
    hsts: Option<Hsts>,
    csp: Option<String>,
    csp_report_only: Option<String>,
}

impl SecurityHeadersBuilder {
    pub(super) const fn new() -> Self {
        Self {
            nosniff: true,
            frame_options: Some(FrameOptions::Deny),
            referrer_policy: Some(ReferrerPolicy::StrictOriginWhenCrossOrigin),
            hsts: None,
            csp: None,
            csp_report_only: None,
        }
    }

    /// Send `X-Content-Type-Options: nosniff` (default on): browsers then trust
    /// `Content-Type` instead of guessing, so an upload cannot run as a script.
    pub const fn content_type_options(mut self, nosniff: bool) -> Self {
        self.nosniff = nosniff;
        self
    }

    /// `X-Frame-Options`, or `None` to leave it out (default [`FrameOptions::Deny`]).
    pub const fn frame_options(mut self, frame_options: Option<FrameOptions>) -> Self {
        self.frame_options = frame_options;
        self
    }

    /// `Referrer-Policy`, or `None` to leave it out (default
    /// [`ReferrerPolicy::StrictOriginWhenCrossOrigin`]).
    pub const fn referrer_policy(mut self, policy: Option<ReferrerPolicy>) -> Self {
        self.referrer_policy = policy;
        self
    }

    /// Send `Strict-Transport-Security` (default off); see [`Hsts`] before turning it on.
    pub const fn hsts(mut self, hsts: Hsts) -> Self {
        self.hsts = Some(hsts);
        self
    }

    /// Send `Content-Security-Policy: {policy}` (default off), e.g.
    /// `"default-src 'self'; img-src 'self' data:"`.
    pub fn content_security_policy(mut self, policy: impl Into<String>) -> Self {
        self.csp = Some(policy.into());
        self
    }

    /// Send `Content-Security-Policy-Report-Only: {policy}` (default off): browsers report
    /// violations without blocking, to try a policy before enforcing it.
    pub fn content_security_policy_report_only(mut self, policy: impl Into<String>) -> Self {
        self.csp_report_only = Some(policy.into());
        self
    }

    /// The headers whose values are fixed tokens: they cannot be wrong.
    pub(super) fn fixed_headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::with_capacity(6);
        if self.nosniff {
            headers.push((
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ));
        }
        if let Some(frame) = self.frame_options {
            headers.push((
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static(frame.as_str()),
            ));
        }
        if let Some(policy) = self.referrer_policy {
            headers.push((
                header::REFERRER_POLICY,
                HeaderValue::from_static(policy.as_str()),
            ));
        }
        headers
    }

    /// Check the settings and make the header values.
    ///
    /// # Errors
    ///
    /// [`SecurityHeadersError::InvalidValue`] for a policy that is empty or has a control
    /// character; [`SecurityHeadersError::HstsPreloadRequirements`] for `preload` without
    /// `includeSubDomains` and a year's max-age.
    pub fn build(self) -> Result<SecurityHeadersLayer, SecurityHeadersError> {
        let mut headers = self.fixed_headers();
        if let Some(hsts) = self.hsts {
            if hsts.preload && (!hsts.include_subdomains || hsts.max_age < ONE_YEAR) {
                return Err(SecurityHeadersError::HstsPreloadRequirements);
            }
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                checked_value("Strict-Transport-Security", hsts.to_string())?,
            ));
        }
        if let Some(policy) = self.csp {
            headers.push((
                header::CONTENT_SECURITY_POLICY,
                checked_value("Content-Security-Policy", policy)?,
            ));
        }
        if let Some(policy) = self.csp_report_only {
            headers.push((
                header::CONTENT_SECURITY_POLICY_REPORT_ONLY,
                checked_value("Content-Security-Policy-Report-Only", policy)?,
            ));
        }
        Ok(SecurityHeadersLayer::from_headers(headers))
    }
}

/// A value for `header`: not blank, visible ASCII, spaces and tabs only.
fn checked_value(header: &'static str, value: String) -> Result<HeaderValue, SecurityHeadersError> {
    let invalid = || SecurityHeadersError::InvalidValue {
        header,
        value: value.clone(),
    };
    if value.trim().is_empty() {
        return Err(invalid());
    }
    HeaderValue::from_str(value.trim()).map_err(|_| invalid())
}
