#![doc = include_str!("../README.md")]

#[cfg(feature = "access-log")]
pub mod access_log;
#[cfg(feature = "compression")]
pub mod compression;
#[cfg(any(feature = "forwarded", feature = "access-log"))]
mod connect_info;
#[cfg(any(feature = "forwarded", feature = "access-log"))]
pub use connect_info::ConnectInfo;
#[cfg(feature = "cors")]
pub mod cors;
#[cfg(feature = "forwarded")]
pub mod forwarded;
#[cfg(feature = "request-id")]
pub mod request_id;
#[cfg(feature = "security-headers")]
pub mod security_headers;
#[cfg(feature = "timeout")]
pub mod timeout;
