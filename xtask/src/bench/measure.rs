//! One measurement: wrk against one server and endpoint, with the server's CPU time and
//! memory read around it.

use super::{procstat, servers::Running, wrk};
use std::path::Path;
use std::time::Instant;

/// What one measured run found.
#[derive(Debug, Clone)]
pub struct Sample {
    /// wrk's figures.
    pub wrk: wrk::WrkRun,
    /// The server's CPU time over the run ÷ wall time (1.0 = one full core).
    pub cpu_share: f64,
    /// Server RSS after the warm-up, KiB.
    pub rss_before_kib: u64,
    /// Server RSS after the run, KiB.
    pub rss_after_kib: u64,
}

impl Sample {
    /// Requests per second per server-core: req/s ÷ CPU share. It stays honest when the
    /// machine is noisy or the load generator saturates before the server does.
    pub fn per_core(&self) -> f64 {
        if self.cpu_share > 0.0 {
            self.wrk.rps / self.cpu_share
        } else {
            f64::NAN
        }
    }
}

#[cfg(test)]
impl Sample {
    /// A sample for the tables' tests: `rps` at `cpu` (a share of one core), the p99
    /// given and the median half of it.
    pub fn fake(rps: f64, cpu: f64, p99_ms: f64) -> Sample {
        Sample {
            wrk: wrk::WrkRun {
                rps,
                p50_ms: p99_ms / 2.0,
                p99_ms,
                requests: 1,
                errors: String::new(),
            },
            cpu_share: cpu,
            rss_before_kib: 1,
            rss_after_kib: 1,
        }
    }
}

/// Warms `path` up for `warmup` s, then loads it for `secs` s while timing the server.
pub fn measure(
    server: &Running,
    path: &str,
    warmup: u64,
    secs: u64,
    pipeline: Option<&Path>,
) -> Result<Sample, String> {
    let mut sample = measure_with(server, path, warmup, secs, |url, s| {
        wrk::run(url, s, pipeline)
    })?;
    if pipeline.is_some() {
        // wrk's percentiles are broken under pipelining (they read 0 past the median)
        (sample.wrk.p50_ms, sample.wrk.p99_ms) = (f64::NAN, f64::NAN);
    }
    Ok(sample)
}

/// [`measure`] with the load given as `load(url, secs)` (a scripted wrk, say).
pub fn measure_with(
    server: &Running,
    path: &str,
    warmup: u64,
    secs: u64,
    load: impl Fn(&str, u64) -> Result<wrk::WrkRun, String>,
) -> Result<Sample, String> {
    let url = format!("http://127.0.0.1:{}{path}", server.spec.port);
    measure_url(server, &url, warmup, secs, load)
}

/// [`measure_with`] at a whole URL (`https://...`, say).
pub fn measure_url(
    server: &Running,
    url: &str,
    warmup: u64,
    secs: u64,
    load: impl Fn(&str, u64) -> Result<wrk::WrkRun, String>,
) -> Result<Sample, String> {
    let url = url.to_owned();
    if warmup > 0 {
        load(&url, warmup)?;
    }
    let pids = server.pids();
    let rss_before_kib = procstat::rss_kib(&pids);
    let ticks_before = procstat::cpu_ticks(&pids);
    let started = Instant::now();
    let run = load(&url, secs)?;
    let wall = started.elapsed().as_secs_f64();
    // the tree again: a server may have started a process during the run
    let pids = server.pids();
    let rss_after_kib = procstat::rss_kib(&pids);
    if rss_after_kib == 0 {
        return Err(format!(
            "{} exited during the run; see .bench/logs/{}.log",
            server.spec.name, server.spec.name
        ));
    }
    let ticks = procstat::cpu_ticks(&pids).saturating_sub(ticks_before);
    Ok(Sample {
        cpu_share: ticks as f64 / procstat::ticks_per_second() as f64 / wall,
        rss_before_kib,
        rss_after_kib,
        wrk: run,
    })
}
