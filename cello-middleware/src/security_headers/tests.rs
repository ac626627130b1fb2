#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use super::{FrameOptions, Hsts, ReferrerPolicy, SecurityHeadersError, SecurityHeadersLayer};
use http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use std::convert::Infallible;
use std::time::Duration;
use tower::{service_fn, ServiceBuilder, ServiceExt};

const YEAR: Duration = Duration::from_secs(31_536_000);

/// The headers `layer` leaves on a response whose handler set `preset`.
async fn headers_after(layer: SecurityHeadersLayer, preset: HeaderMap) -> HeaderMap {
    let service =
        ServiceBuilder::new()
            .layer(layer)
            .service(service_fn(move |_req: Request<()>| {
                let preset = preset.clone();
                async move {
                    let mut res = Response::new(());
                    *res.headers_mut() = preset;
                    Ok::<_, Infallible>(res)
                }
            }));
    service
        .oneshot(Request::new(()))
        .await
        .unwrap()
        .headers()
        .clone()
}

#[tokio::test]
async fn the_defaults_are_nosniff_deny_and_strict_origin_without_hsts_or_csp() {
    let h = headers_after(SecurityHeadersLayer::new(), HeaderMap::new()).await;
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(
        h[header::REFERRER_POLICY],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(h.len(), 3);
}

#[tokio::test]
async fn never_overwrites_a_header_the_handler_set() {
    let mut preset = HeaderMap::new();
    preset.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    preset.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src *"),
    );
    let layer = SecurityHeadersLayer::builder()
        .content_security_policy("default-src 'self'")
        .build()
        .unwrap();
    let h = headers_after(layer, preset).await;
    assert_eq!(
        h.get_all(header::X_FRAME_OPTIONS)
            .iter()
            .collect::<Vec<_>>(),
        ["SAMEORIGIN"]
    );
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src *");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn every_header_can_be_configured_or_turned_off() {
    let layer = SecurityHeadersLayer::builder()
        .content_type_options(false)
        .frame_options(Some(FrameOptions::SameOrigin))
        .referrer_policy(Some(ReferrerPolicy::NoReferrer))
        .hsts(Hsts::new(YEAR).include_subdomains().preload())
        .content_security_policy_report_only("default-src 'self'; report-uri /csp  ")
        .build()
        .unwrap();
    let h = headers_after(layer, HeaderMap::new()).await;
    assert!(!h.contains_key(header::X_CONTENT_TYPE_OPTIONS));
    assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(
        h[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains; preload"
    );
    assert_eq!(
        h[header::CONTENT_SECURITY_POLICY_REPORT_ONLY],
        "default-src 'self'; report-uri /csp"
    );
    assert!(!h.contains_key(header::CONTENT_SECURITY_POLICY));

    let none = SecurityHeadersLayer::builder()
        .content_type_options(false)
        .frame_options(None)
        .referrer_policy(None)
        .build()
        .unwrap();
    assert!(headers_after(none, HeaderMap::new()).await.is_empty());
}

#[tokio::test]
async fn applies_to_error_responses_too() {
    let service = ServiceBuilder::new()
        .layer(SecurityHeadersLayer::new())
        .service_fn(|_req: Request<()>| async {
            let mut res = Response::new(());
            *res.status_mut() = StatusCode::NOT_FOUND;
            Ok::<_, Infallible>(res)
        });
    let res = service.oneshot(Request::new(())).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[test]
fn refuses_a_policy_with_a_newline_or_nothing_in_it() {
    let err = SecurityHeadersLayer::builder()
        .content_security_policy("default-src 'self'\r\nSet-Cookie: x=1")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        SecurityHeadersError::InvalidValue {
            header: "Content-Security-Policy",
            value: "default-src 'self'\r\nSet-Cookie: x=1".to_owned()
        }
    );
    assert!(err.to_string().starts_with("Content-Security-Policy value"));
    assert!(SecurityHeadersLayer::builder()
        .content_security_policy_report_only("   ")
        .build()
        .is_err());
}

#[test]
fn refuses_hsts_preload_without_subdomains_or_a_full_year() {
    for hsts in [
        Hsts::new(YEAR).preload(),
        Hsts::new(YEAR - Duration::from_secs(1))
            .include_subdomains()
            .preload(),
    ] {
        let err = SecurityHeadersLayer::builder()
            .hsts(hsts)
            .build()
            .unwrap_err();
        assert_eq!(err, SecurityHeadersError::HstsPreloadRequirements);
    }
    assert!(SecurityHeadersLayer::builder()
        .hsts(Hsts::new(Duration::from_secs(300)))
        .build()
        .is_ok());
}

#[test]
fn the_layer_lists_its_headers_in_order() {
    let layer = SecurityHeadersLayer::new();
    let names: Vec<_> = layer.headers().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy"
        ]
    );
}
