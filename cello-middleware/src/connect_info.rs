//! [`ConnectInfo`]: the connection's peer address, as a request extension.

use std::net::SocketAddr;

/// The address of the connection's peer (the client, or the proxy in front of it), put
/// in the request's extensions by the server.
///
/// [`forwarded`](crate::forwarded) decides from it whether the forwarding headers are
/// trusted, and [`access_log`](crate::access_log) logs it when no proxy named the client.
///
/// A request carries it only when the server was asked to add it: inserting an extension
/// allocates, so a server adds it only for stacks that read it. The `cello` crate's
/// middleware stack (which Python apps use too) does so when it has `TrustedProxies` or
/// `AccessLog`; with hyper or another
/// server, insert it yourself per connection (for example with tower's `MapRequest`)
/// before these layers.
///
/// ```
/// use cello_middleware::ConnectInfo;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(ConnectInfo("192.0.2.7:51000".parse().unwrap()));
/// assert_eq!(request.extensions().get::<ConnectInfo>().unwrap().0.port(), 51000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectInfo(pub SocketAddr);
