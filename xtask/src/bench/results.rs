//! The samples of every round, per server and endpoint, and their medians.

use super::measure::Sample;
use std::collections::HashMap;

/// The medians of one server × endpoint over the rounds that succeeded.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Server CPU share (1.0 = one core).
    pub cpu_share: f64,
    /// Requests per second per server-core.
    pub per_core: f64,
    /// RSS after warm-up, KiB.
    pub rss_before_kib: f64,
    /// RSS after the run, KiB.
    pub rss_after_kib: f64,
    /// How many rounds the medians are over.
    pub rounds: usize,
}

#[derive(Debug, Default)]
struct Cell {
    samples: Vec<Sample>,
    errors: Vec<String>,
}

/// Everything measured in one kind of run (plain or pipelined).
#[derive(Debug, Default)]
pub struct Results {
    cells: HashMap<(String, String), Cell>,
}

impl Results {
    /// Records one round's outcome for `server` × `endpoint`.
    pub fn add(&mut self, server: &str, endpoint: &str, outcome: Result<Sample, String>) {
        let cell = self
            .cells
            .entry((server.into(), endpoint.into()))
            .or_default();
        match outcome {
            Ok(s) => cell.samples.push(s),
            Err(e) => cell.errors.push(e),
        }
    }

    /// The medians, when at least one round succeeded.
    pub fn summary(&self, server: &str, endpoint: &str) -> Option<Summary> {
        let cell = self.cells.get(&(server.into(), endpoint.into()))?;
        let s = &cell.samples;
        if s.is_empty() {
            return None;
        }
        let m = |f: &dyn Fn(&Sample) -> f64| median(s.iter().map(f).collect());
        Some(Summary {
            rps: m(&|x| x.wrk.rps),
            p50_ms: m(&|x| x.wrk.p50_ms),
            p99_ms: m(&|x| x.wrk.p99_ms),
            cpu_share: m(&|x| x.cpu_share),
            per_core: m(&|x| x.per_core()),
            rss_before_kib: m(&|x| x.rss_before_kib as f64),
            rss_after_kib: m(&|x| x.rss_after_kib as f64),
            rounds: s.len(),
        })
    }

    /// Errors (failed checks or runs) and wrk's error counts, deduplicated.
    pub fn notes(&self, server: &str, endpoint: &str) -> Vec<String> {
        let Some(cell) = self.cells.get(&(server.into(), endpoint.into())) else {
            return vec![];
        };
        let mut notes: Vec<String> = cell.errors.clone();
        notes.extend(
            cell.samples
                .iter()
                .filter(|s| !s.wrk.errors.is_empty())
                .map(|s| s.wrk.errors.clone()),
        );
        notes.dedup();
        notes
    }

    /// Whether anything at all was recorded for `server`.
    pub fn has_server(&self, server: &str) -> bool {
        self.cells.keys().any(|(s, _)| s == server)
    }
}

/// The median, NaNs left out (NaN when nothing is left).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bench::wrk::WrkRun;

    fn sample(rps: f64, cpu: f64) -> Sample {
        let wrk = WrkRun {
            rps,
            p50_ms: 0.5,
            p99_ms: 1.0,
            requests: 1,
            errors: String::new(),
        };
        Sample {
            wrk,
            cpu_share: cpu,
            rss_before_kib: 100,
            rss_after_kib: 110,
        }
    }

    #[test]
    fn median_of_rounds_ignores_a_failed_round_but_keeps_its_error() {
        let mut r = Results::default();
        r.add("s", "/json", Ok(sample(100.0, 1.0)));
        r.add("s", "/json", Err("GET /json answered 500".into()));
        r.add("s", "/json", Ok(sample(300.0, 0.5)));
        let s = r.summary("s", "/json").unwrap();
        assert_eq!((s.rps, s.per_core, s.rounds), (200.0, 350.0, 2));
        assert_eq!(
            r.notes("s", "/json"),
            vec!["GET /json answered 500".to_string()]
        );
        assert!(r.summary("s", "/plaintext").is_none());
    }

    #[test]
    fn median_takes_the_middle_and_skips_nan() {
        assert_eq!(median(vec![3.0, f64::NAN, 1.0, 2.0]), 2.0);
        assert!(median(vec![]).is_nan());
    }
}
