//! [`AccessRecord`]: one request's log record, and its one-line text form.

use http::{HeaderValue, Method, StatusCode, Version};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the access log records about one request, handed to a [`Sink`](super::Sink)
/// when its response body has been sent (or dropped).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessRecord {
    /// The request method.
    pub method: Method,
    /// The request target as sent: path and query (`/items?page=2`), as uvicorn logs it.
    pub target: String,
    /// The HTTP version.
    pub version: Version,
    /// The response status.
    pub status: StatusCode,
    /// Response body bytes sent (before any transfer coding; after compression when the
    /// compression layer is inside this one).
    pub bytes: u64,
    /// From the request entering the layer to the last body byte handed to the server
    /// (or the body being dropped).
    pub duration: Duration,
    /// The request id: the response's `x-request-id` (or the configured header), else
    /// the request's.
    pub request_id: Option<HeaderValue>,
    /// The client: the one trusted proxies named
    /// ([`ClientInfo`](crate::forwarded::ClientInfo), when that layer is outside this
    /// one), else the connection's peer ([`ConnectInfo`](crate::ConnectInfo)); `None`
    /// when neither is known.
    pub client: Option<SocketAddr>,
    /// When the request entered the layer.
    pub time: SystemTime,
    /// Whether the whole body was sent. `false` when it was dropped first (the client
    /// left mid-stream) or the service failed.
    pub complete: bool,
}

impl AccessRecord {
    /// Milliseconds, with microsecond precision, for logs.
    pub fn duration_ms(&self) -> f64 {
        self.duration.as_secs_f64() * 1000.0
    }
}

/// A Common Log Format line with three fields added: duration, request id, and
/// `aborted` when the body was not sent in full.
///
/// `203.0.113.9:0 - - [10/Oct/2026:13:55:36 +0000] "GET /items?page=2 HTTP/1.1" 200 512 0.412ms 3f9a1c0b7e2d-42`
impl fmt::Display for AccessRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.client {
            Some(client) => write!(f, "{client}")?,
            None => f.write_str("-")?,
        }
        write!(f, " - - [{}] \"{} ", ClfTime(self.time), self.method)?;
        write_escaped(f, self.target.as_bytes())?;
        write!(
            f,
            " {:?}\" {} {} {:.3}ms ",
            self.version,
            self.status.as_u16(),
            self.bytes,
            self.duration_ms()
        )?;
        match &self.request_id {
            Some(id) => write_escaped(f, id.as_bytes())?,
            None => f.write_str("-")?,
        }
        if !self.complete {
            f.write_str(" aborted")?;
        }
        Ok(())
    }
}

/// Bytes as text, with quotes, backslashes and anything not visible ASCII escaped, so a
/// crafted target or id cannot forge a log line.
fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    write!(f, "{}", bytes.escape_ascii())
}

/// `10/Oct/2026:13:55:36 +0000`, in UTC.
struct ClfTime(SystemTime);

impl fmt::Display for ClfTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self.0.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (year, month, day) = civil_from_days(secs / 86_400);
        let rem = secs % 86_400;
        write!(
            f,
            "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
            MONTHS[(month - 1) as usize],
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`, for days ≥ 0).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
pub(super) fn clf_time(t: SystemTime) -> String {
    ClfTime(t).to_string()
}
