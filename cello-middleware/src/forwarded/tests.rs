#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use super::{ClientInfo, ForwardedProto, TrustedProxiesError, TrustedProxiesLayer};
use crate::ConnectInfo;
use http::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use tower::{ServiceBuilder, ServiceExt};

/// What the inner service sees, for a request from `peer` with `headers`.
async fn seen(
    layer: TrustedProxiesLayer,
    peer: Option<&str>,
    headers: &[(&str, &str)],
) -> Option<ClientInfo> {
    let service = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<()>| async move {
            Ok::<_, Infallible>(Response::new(req.extensions().get::<ClientInfo>().cloned()))
        });
    let mut req = Request::new(());
    for (name, value) in headers {
        req.headers_mut().append(
            http::HeaderName::try_from(*name).unwrap(),
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    if let Some(peer) = peer {
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse().unwrap()));
    }
    service.oneshot(req).await.unwrap().into_body()
}

fn local() -> TrustedProxiesLayer {
    TrustedProxiesLayer::new(["127.0.0.1", "10.0.0.0/8", "::1"]).unwrap()
}

fn addr(s: &str) -> Option<SocketAddr> {
    Some(s.parse().unwrap())
}

const PROXY: Option<&str> = Some("10.1.2.3:50000");

#[tokio::test]
async fn takes_client_scheme_and_host_from_a_trusted_proxy() {
    let info = seen(
        local().host(true),
        PROXY,
        &[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "example.com:8443"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
    assert_eq!(info.scheme, Some(ForwardedProto::Https));
    assert_eq!(info.host.unwrap().as_str(), "example.com:8443");
}

#[tokio::test]
async fn ignores_forged_headers_from_an_untrusted_peer() {
    let info = seen(
        local(),
        Some("198.51.100.7:4000"),
        &[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=1.2.3.4"),
        ],
    )
    .await;
    assert_eq!(info, None);
}

#[tokio::test]
async fn trusts_nothing_without_a_peer_address_unless_told_to_trust_all() {
    let headers = [("x-forwarded-for", "203.0.113.9")];
    assert_eq!(seen(local(), None, &headers).await, None);
    let info = seen(TrustedProxiesLayer::new(["*"]).unwrap(), None, &headers).await;
    assert_eq!(info.unwrap().client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn the_client_is_the_rightmost_untrusted_hop_of_a_chain() {
    // The client forged 6.6.6.6; the edge proxy appended the real client, inner proxies
    // their peers.
    let info = seen(
        local(),
        PROXY,
        &[(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9, 10.0.0.5, 10.0.0.6",
        )],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn several_forwarded_for_lines_are_one_list() {
    let info = seen(
        local(),
        PROXY,
        &[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.5"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn the_leftmost_hop_is_the_client_when_every_hop_is_trusted() {
    let info = seen(
        local(),
        PROXY,
        &[("x-forwarded-for", "10.0.0.9, 127.0.0.1")],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("10.0.0.9:0"));
}

#[tokio::test]
async fn junk_a_client_wrote_left_of_the_real_hop_is_never_read() {
    let info = seen(
        local(),
        PROXY,
        &[("x-forwarded-for", "not an ip, caf\u{e9}, , 203.0.113.9")],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn reads_ipv6_hops_with_and_without_brackets_and_ports() {
    for (value, want) in [
        ("2001:db8::7", "[2001:db8::7]:0"),
        ("[2001:db8::7]", "[2001:db8::7]:0"),
        ("[2001:db8::7]:4711", "[2001:db8::7]:4711"),
        ("203.0.113.9:4711", "203.0.113.9:4711"),
    ] {
        let info = seen(local(), PROXY, &[("x-forwarded-for", value)])
            .await
            .unwrap();
        assert_eq!(info.client, addr(want), "{value}");
    }
}

#[tokio::test]
async fn an_ipv6_peer_and_an_ipv4_mapped_peer_are_matched() {
    let headers = [("x-forwarded-for", "203.0.113.9")];
    assert!(seen(local(), Some("[::1]:5000"), &headers).await.is_some());
    assert!(seen(local(), Some("[::ffff:10.9.9.9]:5000"), &headers)
        .await
        .is_some());
    assert!(seen(local(), Some("[::2]:5000"), &headers).await.is_none());
}

#[tokio::test]
async fn a_malformed_forwarded_for_from_a_trusted_proxy_is_ignored() {
    for value in ["", "  ", "garbage", "203.0.113.9,", "999.1.1.1", "[::1"] {
        let info = seen(local(), PROXY, &[("x-forwarded-for", value)]).await;
        assert_eq!(info, None, "{value:?}");
    }
    // The other headers still count, and the peer stays the client.
    let info = seen(
        local(),
        PROXY,
        &[
            ("x-forwarded-for", "garbage"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("10.1.2.3:50000"));
    assert_eq!(info.scheme, Some(ForwardedProto::Https));
}

#[tokio::test]
async fn only_the_four_web_schemes_are_taken_from_forwarded_proto() {
    for (value, want) in [
        ("http", Some(ForwardedProto::Http)),
        ("HTTPS", Some(ForwardedProto::Https)),
        ("ws", Some(ForwardedProto::Ws)),
        (" wss ", Some(ForwardedProto::Wss)),
        ("javascript", None),
        ("ftp", None),
        ("https\u{e9}", None),
    ] {
        let info = seen(
            local().host(true),
            PROXY,
            &[
                ("x-forwarded-proto", value),
                ("x-forwarded-host", "a.example"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(info.scheme, want, "{value:?}");
    }
}

#[tokio::test]
async fn a_forwarded_host_is_ignored_unless_turned_on() {
    let headers = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-host", "evil.example"),
    ];
    let info = seen(local(), PROXY, &headers).await.unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
    assert_eq!(info.host, None);
    // A host alone, not honored, is nothing forwarded.
    let info = seen(local(), PROXY, &[("x-forwarded-host", "evil.example")]).await;
    assert_eq!(info, None);
    let info = seen(
        rfc(),
        PROXY,
        &[("forwarded", "for=203.0.113.9;host=evil.example")],
    )
    .await
    .unwrap();
    assert_eq!(info.host, None);
}

#[tokio::test]
async fn a_forwarded_host_must_be_a_valid_authority() {
    for bad in ["", "user@evil.example", "a b", "exa mple.com", "/path"] {
        let info = seen(local().host(true), PROXY, &[("x-forwarded-host", bad)]).await;
        assert_eq!(info, None, "{bad:?}");
    }
    let info = seen(
        local().host(true),
        PROXY,
        &[("x-forwarded-host", "[::1]:8080")],
    )
    .await
    .unwrap();
    assert_eq!(info.host.unwrap().as_str(), "[::1]:8080");
}

#[tokio::test]
async fn proto_is_paired_with_the_client_hop_when_counts_match_else_ignored() {
    let paired = seen(
        local(),
        PROXY,
        &[
            ("x-forwarded-for", "203.0.113.9, 10.0.0.5"),
            ("x-forwarded-proto", "https, http"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(paired.scheme, Some(ForwardedProto::Https));

    let ambiguous = seen(
        local(),
        PROXY,
        &[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https, http"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ambiguous.scheme, None);
}

#[tokio::test]
async fn nothing_is_added_when_a_trusted_peer_sends_no_forwarding_headers() {
    assert_eq!(seen(local(), PROXY, &[("x-other", "1")]).await, None);
}

#[tokio::test]
async fn forwarded_is_off_by_default() {
    let info = seen(local(), PROXY, &[("forwarded", "for=203.0.113.9")]).await;
    assert_eq!(info, None);
}

fn rfc() -> TrustedProxiesLayer {
    local().forwarded(true)
}

#[tokio::test]
async fn reads_an_rfc_7239_element_with_proto_and_host() {
    let info = seen(
        rfc().host(true),
        PROXY,
        &[(
            "forwarded",
            "for=203.0.113.9;proto=https;host=example.com;by=10.1.2.3",
        )],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
    assert_eq!(info.scheme, Some(ForwardedProto::Https));
    assert_eq!(info.host.unwrap().as_str(), "example.com");
}

#[tokio::test]
async fn reads_quoted_ipv6_and_ports_and_case_insensitive_names() {
    let info = seen(
        rfc(),
        PROXY,
        &[("forwarded", r#"For="[2001:db8:cafe::17]:4711";PROTO=https"#)],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("[2001:db8:cafe::17]:4711"));
    assert_eq!(info.scheme, Some(ForwardedProto::Https));

    let info = seen(rfc(), PROXY, &[("forwarded", r#"for="203.0.113.9:_abc""#)])
        .await
        .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn walks_rfc_7239_elements_from_the_right_skipping_trusted_ones() {
    let info = seen(
        rfc(),
        PROXY,
        &[(
            "forwarded",
            r#"for=6.6.6.6;proto=http, for=203.0.113.9;proto=https, for="10.0.0.5";proto=http"#,
        )],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
    assert_eq!(info.scheme, Some(ForwardedProto::Https));
}

#[tokio::test]
async fn a_comma_inside_quotes_does_not_split_elements() {
    let info = seen(
        rfc().host(true),
        PROXY,
        &[(
            "forwarded",
            r#"for=203.0.113.9;host="a.example";ext="x, y""#,
        )],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
    assert_eq!(info.host.unwrap().as_str(), "a.example");
}

#[tokio::test]
async fn obfuscated_and_unknown_clients_are_hidden_not_the_proxy() {
    for value in [
        "for=unknown;proto=https",
        "for=_hidden;proto=https",
        "for=\"_x.y-z\";proto=https",
    ] {
        let info = seen(rfc(), PROXY, &[("forwarded", value)]).await.unwrap();
        assert_eq!(info.client, None, "{value}");
        assert_eq!(info.scheme, Some(ForwardedProto::Https));
    }
}

#[tokio::test]
async fn a_malformed_rfc_7239_element_from_a_trusted_proxy_is_ignored() {
    for value in [
        "for=[2001:db8::1]",       // IPv6 needs quotes
        "for=203.0.113.9:80",      // a port needs quotes
        "for=\"203.0.113.9",       // unclosed quote
        "for=1.2.3.4;for=5.6.7.8", // repeated parameter
        "for",                     // no value
        "for=",                    // empty value
        "for=\"[::1]x\"",          // junk after the address
        "for=\"300.1.1.1\"",       // not an address
        "for=1.2.3.4 garbage",     // junk after a pair
    ] {
        let info = seen(rfc(), PROXY, &[("forwarded", value)]).await;
        assert_eq!(info, None, "{value}");
    }
}

#[tokio::test]
async fn a_broken_element_a_client_wrote_left_of_the_proxys_is_never_read() {
    let info = seen(
        rfc(),
        PROXY,
        &[("forwarded", r#"for="oops, for=203.0.113.9;proto=https"#)],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn a_broken_forwarded_falls_back_to_x_forwarded_when_both_are_on() {
    let info = seen(
        rfc(),
        PROXY,
        &[
            ("forwarded", "for=\"broken"),
            ("x-forwarded-for", "203.0.113.9"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.9:0"));
}

#[tokio::test]
async fn forwarded_wins_over_x_forwarded_when_both_are_on() {
    let info = seen(
        rfc(),
        PROXY,
        &[
            ("forwarded", "for=203.0.113.1"),
            ("x-forwarded-for", "203.0.113.2"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(info.client, addr("203.0.113.1:0"));
}

#[tokio::test]
async fn x_forwarded_can_be_turned_off() {
    let info = seen(
        local().x_forwarded(false),
        PROXY,
        &[("x-forwarded-for", "203.0.113.2")],
    )
    .await;
    assert_eq!(info, None);
}

#[test]
fn rejects_an_entry_that_is_not_an_address_or_network() {
    for bad in ["localhost", "10.0.0.0/33", "", "1.2.3"] {
        let err = TrustedProxiesLayer::new([bad]).unwrap_err();
        assert_eq!(err, TrustedProxiesError::InvalidAddress(bad.to_owned()));
        assert!(err.to_string().contains("not an IP address"));
    }
}
