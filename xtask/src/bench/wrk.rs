//! The load generator: `wrk -t1 -c64 --latency` pinned to CPU 0, and what its output says.

use std::path::Path;
use std::process::Command;

/// Connections kept open by wrk (DESIGN.md's method: c64).
pub const CONNECTIONS: u32 = 64;

/// Requests per pipelined batch in the TechEmpower-style plaintext run.
pub const PIPELINE_DEPTH: u32 = 16;

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRun {
    /// Requests per second over the run.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Requests completed.
    pub requests: u64,
    /// Socket errors and non-2xx answers as wrk words them; empty when none.
    pub errors: String,
}

/// `taskset -c 0 wrk -t1 -c64 -d<secs>s --latency [-s pipeline.lua] URL [-- depth]`.
pub fn command(url: &str, secs: u64, pipeline: Option<&Path>) -> Command {
    with_connections(url, secs, pipeline, CONNECTIONS)
}

/// [`command`] with `connections` open instead of 64 (the connection-count row).
pub fn with_connections(
    url: &str,
    secs: u64,
    pipeline: Option<&Path>,
    connections: u32,
) -> Command {
    let mut c = Command::new("taskset");
    c.args(["-c", "0", "wrk", "-t1"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency");
    if let Some(script) = pipeline {
        c.arg("-s").arg(script);
    }
    c.arg(url);
    if pipeline.is_some() {
        c.args(["--", &PIPELINE_DEPTH.to_string()]);
    }
    c
}

/// `taskset -c 0 wrk -t1 -c64 -d<secs>s --latency -s SCRIPT URL`: a Lua script that
/// sets the request (method, body), one request per round trip.
pub fn scripted(url: &str, secs: u64, script: &Path) -> Command {
    let mut c = Command::new("taskset");
    c.args(["-c", "0", "wrk", "-t1"])
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url);
    c
}

/// Runs wrk and parses what it printed.
pub fn run(url: &str, secs: u64, pipeline: Option<&Path>) -> Result<WrkRun, String> {
    output(command(url, secs, pipeline))
}

/// Runs a [`scripted`] wrk and parses what it printed.
pub fn run_scripted(url: &str, secs: u64, script: &Path) -> Result<WrkRun, String> {
    output(scripted(url, secs, script))
}

/// Runs a wrk command line and parses what it printed.
pub fn output(mut cmd: Command) -> Result<WrkRun, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start wrk ({e}); install it with `apt-get install wrk`"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {}{}",
            out.status,
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse(&text)
}

/// Reads requests/sec, the 50% and 99% latencies, the request count and errors.
pub fn parse(text: &str) -> Result<WrkRun, String> {
    let field = |label: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(label).map(str::trim).map(str::to_owned))
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("no `Requests/sec:` in wrk's output:\n{text}"))?;
    let p50_ms = field("50%").and_then(|v| millis(&v)).unwrap_or(f64::NAN);
    let p99_ms = field("99%").and_then(|v| millis(&v)).unwrap_or(f64::NAN);
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let errors = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Socket errors:") || l.starts_with("Non-2xx"))
        .collect::<Vec<_>>()
        .join("; ");
    Ok(WrkRun {
        rps,
        p50_ms,
        p99_ms,
        requests,
        errors,
    })
}

/// `812.00us`, `1.23ms`, `2.01s`, `1.50m` → milliseconds.
pub fn millis(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
Running 3s test @ http://127.0.0.1:18102/json
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   640.12us  102.33us   4.21ms   91.20%
    Req/Sec    99.81k     3.12k  104.20k    80.00%
  Latency Distribution
     50%  612.00us
     75%  650.00us
     90%  700.00us
     99%    1.02ms
  297890 requests in 3.00s, 38.07MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
Requests/sec:  99297.12
Transfer/sec:     12.69MB
";

    #[test]
    fn reads_rate_latencies_count_and_errors() {
        let r = parse(OUTPUT).unwrap();
        assert_eq!(r.rps, 99297.12);
        assert_eq!(r.p50_ms, 0.612);
        assert_eq!(r.p99_ms, 1.02);
        assert_eq!(r.requests, 297890);
        assert_eq!(
            r.errors,
            "Socket errors: connect 0, read 0, write 0, timeout 2"
        );
    }

    #[test]
    fn output_without_a_rate_is_an_error_that_quotes_it() {
        let e = parse("unable to connect to 127.0.0.1:1").unwrap_err();
        assert!(e.contains("unable to connect"));
    }

    #[test]
    fn pipelined_command_passes_the_depth_after_the_url() {
        let c = command("http://h/p", 5, Some(Path::new("p.lua")));
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(
            args.join(" "),
            "-c 0 wrk -t1 -c64 -d5s --latency -s p.lua http://h/p -- 16"
        );
    }
}
