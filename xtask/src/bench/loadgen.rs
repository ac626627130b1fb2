//! The load generators of the HTTPS and workers rows: `h2load` (HTTP/2 over TLS) and wrk,
//! each run under `/usr/bin/time` so that the generator's own CPU time is known (on the
//! workers row it shares the cores with the server, so its cost is part of the picture).

use super::wrk::{self, WrkRun};
use std::process::Command;

/// Concurrent HTTP/2 connections of h2load.
pub const H2_CONNECTIONS: u32 = 8;

/// Streams in flight per HTTP/2 connection: 8 × 8 = 64 requests in flight, as wrk's c64.
pub const H2_STREAMS: u32 = 8;

/// The marker `/usr/bin/time` prints the generator's CPU seconds after.
const TIME_MARK: &str = "loadgen-cpu-seconds";

/// `taskset -c 0 h2load -t1 -c8 -m8 -D SECS URL` (h2 by ALPN over TLS).
pub fn h2load(url: &str, secs: u64) -> Command {
    let mut c = Command::new("taskset");
    c.args(["-c", "0", "h2load", "-t1"])
        .arg(format!("-c{H2_CONNECTIONS}"))
        .arg(format!("-m{H2_STREAMS}"))
        .arg(format!("-D{secs}"))
        .arg(url);
    c
}

/// `wrk -t2 -c64 -d<secs>s --latency URL`, not pinned: it runs on the same two cores as
/// the server's workers (the workers row).
pub fn wrk_unpinned(url: &str, secs: u64) -> Command {
    let mut c = Command::new("wrk");
    c.arg("-t2")
        .arg(format!("-c{}", wrk::CONNECTIONS))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg(url);
    c
}

/// Which generator's output to read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// wrk's report.
    Wrk,
    /// h2load's report.
    H2load,
}

/// Runs `cmd` under `/usr/bin/time`; its figures and its CPU time ÷ wall time.
pub fn run(cmd: &Command, kind: Kind) -> Result<(WrkRun, f64), String> {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg(format!("{TIME_MARK} %U %S %e"))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    let name = match kind {
        Kind::Wrk => "wrk",
        Kind::H2load => "h2load",
    };
    let out = timed.output().map_err(|e| {
        format!("cannot start {name} under /usr/bin/time ({e}); install them with `apt-get install -y time wrk nghttp2-client`")
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{name} failed ({}): {}{}",
            out.status,
            text.trim(),
            stderr.trim()
        ));
    }
    let run = match kind {
        Kind::Wrk => wrk::parse(&text)?,
        Kind::H2load => parse_h2load(&text)?,
    };
    Ok((run, cpu_share(&stderr)?))
}

/// The generator's CPU share from `/usr/bin/time`'s line `MARK USER SYS WALL` (seconds).
pub fn cpu_share(stderr: &str) -> Result<f64, String> {
    let line = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix(TIME_MARK))
        .ok_or_else(|| format!("no `{TIME_MARK}` line from /usr/bin/time in:\n{stderr}"))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match v[..] {
        [user, sys, wall] if wall > 0.0 => Ok((user + sys) / wall),
        _ => Err(format!(
            "cannot read user, system and wall seconds in `{line}`"
        )),
    }
}

/// Reads h2load's `finished in 4.00s, 51234.50 req/s, ...`, its `requests:` counts and
/// `status codes:`; failed, errored or timed-out requests and non-2xx answers become the
/// run's error note. h2load gives no percentiles: p50 and p99 are NaN.
pub fn parse_h2load(text: &str) -> Result<WrkRun, String> {
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("finished in "))
        .and_then(|rest| rest.split(", ").nth(1))
        .and_then(|r| r.strip_suffix(" req/s"))
        .and_then(|r| r.parse::<f64>().ok())
        .ok_or_else(|| format!("no `finished in ..., N req/s` in h2load's output:\n{text}"))?;
    let counts = |prefix: &str| -> Vec<(String, u64)> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|rest| {
                rest.split(',')
                    .filter_map(|part| {
                        let mut w = part.split_whitespace();
                        let n = w.next()?.parse().ok()?;
                        Some((w.next()?.to_owned(), n))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let requests = counts("requests:");
    let get = |list: &[(String, u64)], key: &str| {
        list.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
    };
    let mut errors: Vec<String> = ["failed", "errored", "timeout"]
        .iter()
        .filter(|k| get(&requests, k) > 0)
        .map(|k| format!("{} {k}", get(&requests, k)))
        .collect();
    let status = counts("status codes:");
    errors.extend(
        ["3xx", "4xx", "5xx"]
            .iter()
            .filter(|k| get(&status, k) > 0)
            .map(|k| format!("{} answered {k}", get(&status, k))),
    );
    Ok(WrkRun {
        rps,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        requests: get(&requests, "succeeded"),
        errors: errors.join(", "),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const H2LOAD: &str = "\
starting benchmark...
spawning thread #0: 8 total client(s). Timing-based test with 0s of warm-up time and 4s of main duration for measurements.
TLS Protocol: TLSv1.3
Cipher: TLS_AES_128_GCM_SHA256
Server Temp Key: X25519 253 bits
Application protocol: h2

finished in 4.00s, 51234.50 req/s, 2.65MB/s
requests: 204938 total, 204938 started, 204938 done, 204930 succeeded, 8 failed, 0 errored, 0 timeout
status codes: 204930 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 10.59MB (11104470) total, 1.98MB (2079536) headers (space savings 90.00%), 5.28MB (5533299) data
                     min         max         mean         sd        +/- sd
time for request:      101us      9.83ms      1.22ms       401us    77.31%
";

    #[test]
    fn h2load_output_reads_as_a_rate_a_count_and_its_failures() {
        let r = parse_h2load(H2LOAD).unwrap();
        assert_eq!(r.rps, 51234.5);
        assert_eq!(r.requests, 204930);
        assert_eq!(r.errors, "8 failed");
        assert!(r.p50_ms.is_nan() && r.p99_ms.is_nan());
        let clean = H2LOAD.replace("8 failed", "0 failed");
        assert_eq!(parse_h2load(&clean).unwrap().errors, "");
        let e = parse_h2load("connect: Connection refused").unwrap_err();
        assert!(e.contains("Connection refused"), "{e}");
    }

    #[test]
    fn non_2xx_answers_are_an_error_note() {
        let text = H2LOAD
            .replace("8 failed", "0 failed")
            .replace("0 4xx", "12 4xx");
        assert_eq!(parse_h2load(&text).unwrap().errors, "12 answered 4xx");
    }

    #[test]
    fn the_generators_cpu_share_is_user_plus_system_over_wall() {
        let share = cpu_share("Command exited\nloadgen-cpu-seconds 1.50 0.50 4.00\n").unwrap();
        assert_eq!(share, 0.5);
        assert!(cpu_share("nothing").is_err());
        assert!(cpu_share("loadgen-cpu-seconds 1.0 x").is_err());
    }

    #[test]
    fn h2load_runs_pinned_with_64_streams_in_flight_and_wrk_unpinned_on_two_threads() {
        let args = |c: &Command| -> String {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            args(&h2load("https://h/json", 4)),
            "-c 0 h2load -t1 -c8 -m8 -D4 https://h/json"
        );
        let w = wrk_unpinned("http://h/json", 4);
        assert_eq!(w.get_program(), "wrk");
        assert_eq!(args(&w), "-t2 -c64 -d4s --latency http://h/json");
    }
}
