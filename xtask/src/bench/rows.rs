//! The runner of the bench's own rows (typed endpoint, streamed response, static file,
//! WebSocket echo): start each wanted server of the row, then for every round, every
//! load and every server (the order rotated by round, so the machine's drift hits each
//! alike), check the answer and measure; the medians come from [`Results`].

use super::measure::Sample;
use super::options::Options;
use super::report::mib;
use super::results::Results;
use super::servers::{Running, Spec};
use std::fmt::Write as _;
use std::path::Path;

/// Whether a server answers as it must.
pub type Check<'a> = Box<dyn Fn(&Running) -> Result<(), String> + 'a>;

/// `measure(server, warmup_secs, secs)`: one measured run.
pub type Measure<'a> = Box<dyn Fn(&Running, u64, u64) -> Result<Sample, String> + 'a>;

/// One load every server of a row takes: its name in the results, the check of the
/// server's answer, and the measured run.
pub struct Load<'a> {
    /// The name in the results and the progress lines, e.g. `GET /stream-10m`.
    pub name: &'a str,
    /// Whether the server answers as it must (a wrong answer is an error, not a number).
    pub check: Check<'a>,
    /// `measure(server, warmup_secs, secs)`: the warm-up (not counted), then the run.
    pub measure: Measure<'a>,
}

/// What the rounds of a row gave.
#[derive(Debug, Default)]
pub struct Measured {
    /// Every round's samples and errors, by server and load.
    pub results: Results,
    /// The servers' command lines, as a reader would type them.
    pub shown: Vec<String>,
    /// Servers that did not start, and why (one Markdown bullet each).
    pub left_out: String,
}

/// Starts every server of `servers` that `opts` wants (`spec` says how), and measures
/// each load on each over `opts.rounds` rounds.
pub fn run(
    opts: &Options,
    logs: &Path,
    root: &Path,
    servers: &[&'static str],
    spec: impl Fn(&'static str) -> Result<Spec, String>,
    loads: &[Load],
) -> Measured {
    let mut m = Measured::default();
    let mut running = Vec::new();
    for &name in servers.iter().filter(|n| opts.wants(n)) {
        match spec(name).and_then(|spec| Running::start(&spec, logs)) {
            Ok(server) => running.push(server),
            Err(e) => {
                eprintln!("bench: {name} left out: {e}");
                let _ = writeln!(m.left_out, "- {name} left out: {}", e.replace('\n', " "));
            }
        }
    }
    for round in 0..opts.rounds {
        let order = rotated(&running, round);
        let warmup = if round == 0 { opts.warmup } else { 0 };
        for load in loads {
            for server in &order {
                let outcome =
                    (load.check)(server).and_then(|()| (load.measure)(server, warmup, opts.dur));
                eprintln!("{}", progress(round, server.spec.name, load.name, &outcome));
                m.results.add(server.spec.name, load.name, outcome);
            }
        }
    }
    // paths under the workspace (STATIC_DIR, say) as a reader would type them
    let prefix = format!("{}/", root.display());
    m.shown = running
        .iter()
        .map(|s| s.spec.shown(root).replace(&prefix, ""))
        .collect();
    m
}

impl Measured {
    /// "medians of N round(s); servers:" and their command lines as a code block.
    pub fn servers_block(&self, rounds: usize) -> String {
        format!(
            "medians of {rounds} round(s); servers:\n\n```\n{}\n```\n",
            self.shown.join("\n")
        )
    }
}

/// The load generator's (or client's) CPU share for each server and load, one per
/// round; a row's table shows the median beside the server's own CPU.
#[derive(Default)]
pub struct LoadCpu(std::cell::RefCell<std::collections::HashMap<(String, String), Vec<f64>>>);

impl LoadCpu {
    /// One round's share for `server` under `load`.
    pub fn record(&self, server: &str, load: &str, share: f64) {
        self.0
            .borrow_mut()
            .entry((server.to_owned(), load.to_owned()))
            .or_default()
            .push(share);
    }

    /// The median over the rounds recorded; NaN when there were none.
    pub fn median(&self, server: &str, load: &str) -> f64 {
        self.0
            .borrow()
            .get(&(server.to_owned(), load.to_owned()))
            .map_or(f64::NAN, |v| super::results::median(v.clone()))
    }
}

/// `items` in the order of `round`: rotated left by the round number, so that each
/// item goes first in turn.
pub fn rotated<T>(items: &[T], round: usize) -> Vec<&T> {
    let mut order: Vec<&T> = items.iter().collect();
    let shift = round % order.len().max(1);
    order.rotate_left(shift);
    order
}

/// One progress line for the terminal.
pub fn progress(
    round: usize,
    server: &str,
    load: &str,
    outcome: &Result<Sample, String>,
) -> String {
    match outcome {
        Ok(s) => format!(
            "bench: round {} {server:<16} {load:<20} {:>9.0}/s  cpu {:>3.0}%  per core {:>9.0}",
            round + 1,
            s.wrk.rps,
            s.cpu_share * 100.0,
            s.per_core()
        ),
        Err(e) => format!("bench: round {} {server} {load}: ERROR {e}", round + 1),
    }
}

/// The table of a row whose every answer is `size` bytes: req/s and MB/s, and both
/// per server-core, for each server in `servers` (in that order) under `load`.
pub fn bytes_table(results: &Results, servers: &[&str], load: &str, size: u64) -> String {
    let mut md = String::from("| server | req/s | MB/s | p50 | p99 | CPU | req/s per core | MB/s per core | RSS after |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mb = |rps: f64| rps * size as f64 / 1e6;
    for name in servers.iter().filter(|n| results.has_server(n)) {
        match results.summary(name, load) {
            Some(s) => {
                let _ = writeln!(
                    md,
                    "| {name} | {:.0} | {:.0} | {:.1} ms | {:.1} ms | {:.0}% | {:.0} | {:.0} | {} |",
                    s.rps,
                    mb(s.rps),
                    s.p50_ms,
                    s.p99_ms,
                    s.cpu_share * 100.0,
                    s.per_core,
                    mb(s.per_core),
                    mib(s.rss_after_kib),
                );
            }
            None => {
                let _ = writeln!(
                    md,
                    "| {name} | error ({}) | | | | | | | |",
                    notes(results, name, load)
                );
            }
        }
    }
    md
}

/// A cell's errors on one line, safe inside a Markdown table.
pub fn notes(results: &Results, server: &str, load: &str) -> String {
    results
        .notes(server, load)
        .join("; ")
        .replace('|', "/")
        .replace('\n', " ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bench::wrk::WrkRun;

    fn sample(rps: f64, cpu: f64) -> Sample {
        Sample {
            wrk: WrkRun {
                rps,
                p50_ms: 10.0,
                p99_ms: 20.0,
                requests: 1,
                errors: String::new(),
            },
            cpu_share: cpu,
            rss_before_kib: 1024,
            rss_after_kib: 2048,
        }
    }

    #[test]
    fn a_bytes_table_shows_megabytes_per_second_per_core_and_errors() {
        let mut r = Results::default();
        r.add("cello-python", "GET /f", Ok(sample(1000.0, 0.5)));
        r.add("robyn", "GET /f", Err("GET /f answered 404\n| body".into()));
        let md = bytes_table(
            &r,
            &["cello-python", "granian-rsgi", "robyn"],
            "GET /f",
            1 << 20,
        );
        assert!(
            md.contains(
                "| cello-python | 1000 | 1049 | 10.0 ms | 20.0 ms | 50% | 2000 | 2097 | 2.0 MiB |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| robyn | error (GET /f answered 404 / body) |"),
            "{md}"
        );
        assert!(!md.contains("granian"), "{md}");
    }

    #[test]
    fn each_round_puts_the_next_server_first() {
        let servers = ["a", "b", "c"];
        assert_eq!(rotated(&servers, 0), [&"a", &"b", &"c"]);
        assert_eq!(rotated(&servers, 1), [&"b", &"c", &"a"]);
        assert_eq!(rotated(&servers, 4), [&"b", &"c", &"a"]);
        assert!(rotated::<&str>(&[], 3).is_empty());
    }

    #[test]
    fn progress_names_the_round_server_and_load() {
        let ok = progress(0, "robyn", "64 clients", &Ok(sample(2000.0, 0.5)));
        assert!(ok.starts_with("bench: round 1 robyn"), "{ok}");
        assert!(
            ok.contains("2000/s") && ok.contains("cpu  50%") && ok.contains("4000"),
            "{ok}"
        );
        let err = progress(2, "websockets", "1 client", &Err("refused".into()));
        assert_eq!(err, "bench: round 3 websockets 1 client: ERROR refused");
    }
}
