//! The leak check: the Cello server's RSS after warm-up vs after 1,000,000 requests to
//! `/json` (target: within 10%).

use super::report::mib;
use super::{check, procstat, servers::Running, wrk};

/// Requests the check sends after the warm-up.
pub const REQUESTS: u64 = 1_000_000;

/// Warms `server` up, then sends at least `REQUESTS` to `/json`; returns the report section.
pub fn run(server: &Running) -> Result<String, String> {
    check::check(server.spec.port, &check::JSON)?;
    let url = format!("http://127.0.0.1:{}{}", server.spec.port, check::JSON.path);
    wrk::run(&url, 2, None)?;
    let warm = procstat::rss_kib(&server.pids());
    let mut done = 0u64;
    let mut runs = Vec::new();
    // a short run measures the rate; then one run long enough for the rest (+5%)
    let mut secs = 3;
    while done < REQUESTS && runs.len() < 10 {
        let r = wrk::run(&url, secs, None)?;
        done += r.requests;
        runs.push(format!("{}s: {} requests", secs, r.requests));
        let left = REQUESTS.saturating_sub(done) as f64;
        secs = ((left / r.rps.max(1000.0)) * 1.05).ceil().clamp(1.0, 600.0) as u64;
    }
    let after = procstat::rss_kib(&server.pids());
    // a server that died or went wrong under the load has no RSS worth comparing
    check::check(server.spec.port, &check::JSON).map_err(|e| {
        format!(
            "after {done} requests {} no longer answers as it should: {e}",
            server.spec.name
        )
    })?;
    let ratio = after as f64 / warm.max(1) as f64;
    let met = if ratio <= 1.10 { "yes" } else { "no" };
    Ok(format!(
        "{} `/json`, {} requests after a 2 s warm-up (wrk runs: {}).\n\n\
         | RSS after warm-up | RSS after {done} requests | growth | ratio | within 10% |\n|---:|---:|---:|---:|---|\n\
         | {} | {} | {:+.1} MiB | {ratio:.3} | {met} |\n",
        server.spec.name,
        done,
        runs.join(", "),
        mib(warm as f64),
        mib(after as f64),
        (after as f64 - warm as f64) / 1024.0,
    ))
}
