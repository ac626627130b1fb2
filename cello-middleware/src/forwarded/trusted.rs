//! [`Trusted`]: the set of peers whose forwarding headers are believed.

use super::TrustedProxiesError;
use ipnet::IpNet;
use std::net::IpAddr;

/// `*`, or a list of networks (a single address is a /32 or /128 network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Trusted {
    any: bool,
    networks: Vec<IpNet>,
}

impl Trusted {
    pub(super) fn parse<I, T>(entries: I) -> Result<Self, TrustedProxiesError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut trusted = Self {
            any: false,
            networks: Vec::new(),
        };
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry == "*" {
                trusted.any = true;
                continue;
            }
            let network = if entry.contains('/') {
                entry.parse::<IpNet>().ok().map(|n| n.trunc())
            } else {
                entry.parse::<IpAddr>().ok().map(IpNet::from)
            };
            match network {
                Some(n) => trusted.networks.push(n),
                None => return Err(TrustedProxiesError::InvalidAddress(entry.to_owned())),
            }
        }
        Ok(trusted)
    }

    /// Whether every peer is trusted (`*`).
    pub(super) fn is_any(&self) -> bool {
        self.any
    }

    /// Whether `ip` is trusted. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
    /// dual-stack socket reports) counts as its IPv4 address.
    pub(super) fn contains(&self, ip: IpAddr) -> bool {
        if self.any {
            return true;
        }
        let ip = ip.to_canonical();
        self.networks.iter().any(|n| n.contains(&ip))
    }
}
