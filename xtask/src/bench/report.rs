//! `benches/RESULTS.md`: the machine, the versions, the command lines and the tables.

use super::check::{Endpoint, ENDPOINTS, PLAINTEXT};
use super::results::{Results, Summary};
use super::servers::NAMES;
use std::fmt::Write;

/// Everything the report shows.
#[derive(Debug, Default)]
pub struct Report {
    /// `cargo xtask bench ...` as run, and what the options meant.
    pub invocation: String,
    /// A `--quick` run: development figures, said so at the top.
    pub quick: bool,
    /// Machine facts: cores, CPU model, kernel.
    pub machine: Vec<(String, String)>,
    /// Tool and package versions.
    pub versions: Vec<(String, String)>,
    /// Server command lines and load generator command lines.
    pub commands: Vec<String>,
    /// Servers left out, and why.
    pub skipped: Vec<String>,
    /// The plain runs.
    pub load: Results,
    /// The pipelined plaintext runs.
    pub pipelined: Results,
    /// Further sections (leak check, instructions, JSON microbenchmark, profile, py313):
    /// a title and Markdown.
    pub sections: Vec<(String, String)>,
    /// Wall time of the whole run, seconds.
    pub elapsed_s: f64,
}

impl Report {
    /// The Markdown text.
    pub fn markdown(&self) -> String {
        let mut md = String::from("# Cello end-to-end benchmark\n\n");
        let _ = writeln!(
            md,
            "Written by `{}` in {:.1} min.\n",
            self.invocation,
            self.elapsed_s / 60.0
        );
        if self.quick {
            md.push_str(
                "**A `--quick` run (one short round): figures for development, not results.**\n\n",
            );
        }
        md.push_str("Method (DESIGN.md): each server runs one worker pinned to CPU 1 (`taskset -c 1`); `wrk -t1 -c64 --latency` runs on CPU 0. Every body is checked before it is loaded. Each figure is the median over the rounds, which rotate the order of the servers. CPU share is the server process tree's user+system time over the run ÷ wall time; **per core** = req/s ÷ CPU share. RSS is summed over the process tree, after the warm-up and after the run.\n\n");
        list(&mut md, "Machine", &self.machine);
        list(&mut md, "Versions", &self.versions);
        md.push_str("## Command lines\n\n```\n");
        for c in &self.commands {
            let _ = writeln!(md, "{c}");
        }
        md.push_str("```\n\n");
        if !self.skipped.is_empty() {
            md.push_str("## Servers left out\n\n");
            for s in &self.skipped {
                let _ = writeln!(md, "- {s}");
            }
            md.push('\n');
        }
        md.push_str("## Req/s per server-core (median)\n\n");
        self.matrix(&mut md);
        md.push_str("## Ratios of Cello (Python) to its peers, per server-core\n\n");
        self.ratios(&mut md);
        md.push_str("## Targets measurable in this run\n\n");
        self.targets(&mut md);
        md.push_str("## Every endpoint\n\n");
        for ep in ENDPOINTS {
            let _ = writeln!(md, "### `{}` (GET {})\n", ep.name, ep.path);
            detail(&mut md, &self.load, ep);
        }
        md.push_str("## Pipelined plaintext (`benches/pipeline.lua`, depth 16)\n\nwrk's latency percentiles are not meaningful under pipelining, so they are left out.\n\n");
        detail(&mut md, &self.pipelined, &PLAINTEXT);
        for (title, body) in &self.sections {
            let _ = writeln!(md, "## {title}\n\n{}\n", body.trim_end());
        }
        md
    }

    fn matrix(&self, md: &mut String) {
        md.push_str("| server |");
        for ep in ENDPOINTS {
            let _ = write!(md, " {} |", ep.name);
        }
        md.push_str(" pipelined /plaintext |\n|---|");
        md.push_str(&"---:|".repeat(ENDPOINTS.len() + 1));
        md.push('\n');
        for name in NAMES.iter().filter(|n| self.load.has_server(n)) {
            let _ = write!(md, "| {name} |");
            for ep in ENDPOINTS {
                let _ = write!(
                    md,
                    " {} |",
                    cell(
                        self.load.summary(name, ep.name),
                        &self.load.notes(name, ep.name)
                    )
                );
            }
            let _ = writeln!(
                md,
                " {} |",
                cell(
                    self.pipelined.summary(name, PLAINTEXT.name),
                    &self.pipelined.notes(name, PLAINTEXT.name)
                )
            );
        }
        md.push('\n');
    }

    fn per_core(&self, server: &str, endpoint: &str) -> Option<f64> {
        self.load.summary(server, endpoint).map(|s| s.per_core)
    }

    fn ratios(&self, md: &mut String) {
        let peers = ["robyn", "granian-rsgi", "cello-rust", "fastapi-uvicorn"];
        md.push_str("| endpoint | ÷ Robyn | ÷ Granian RSGI | ÷ Cello Rust | ÷ FastAPI |\n|---|---:|---:|---:|---:|\n");
        for ep in ENDPOINTS {
            let _ = write!(md, "| {} |", ep.name);
            for peer in peers {
                let r = ratio(
                    self.per_core("cello-python", ep.name),
                    self.per_core(peer, ep.name),
                );
                let _ = write!(md, " {} |", r.map_or("–".into(), |r| format!("{r:.2}×")));
            }
            md.push('\n');
        }
        md.push_str("\n`/async-json` ÷ `/json` per server (an `async def` that does not suspend vs the same sync handler):\n\n");
        for name in NAMES.iter().filter(|n| self.load.has_server(n)) {
            if let Some(r) = ratio(
                self.per_core(name, "/async-json"),
                self.per_core(name, "/json"),
            ) {
                let _ = writeln!(md, "- {name}: {r:.2}×");
            }
        }
        md.push('\n');
    }

    fn targets(&self, md: &mut String) {
        let cello = |ep: &str| self.per_core("cello-python", ep);
        let json_p99 = self.load.summary("cello-python", "/json").map(|s| s.p99_ms);
        let rows: [(&str, Option<f64>, f64, bool); 5] = [
            (
                "/json ≥ 0.8× Cello Rust",
                ratio(cello("/json"), self.per_core("cello-rust", "/json")),
                0.8,
                true,
            ),
            (
                "/json ≥ 3× Robyn",
                ratio(cello("/json"), self.per_core("robyn", "/json")),
                3.0,
                true,
            ),
            (
                "/async-json ≥ 0.9× /json",
                ratio(cello("/async-json"), cello("/json")),
                0.9,
                true,
            ),
            (
                "/async-sleep ≥ 1.5× Granian RSGI",
                ratio(
                    cello("/async-sleep"),
                    self.per_core("granian-rsgi", "/async-sleep"),
                ),
                1.5,
                true,
            ),
            ("/json p99 ≤ 1 ms (c64)", json_p99, 1.0, false),
        ];
        md.push_str(&target_table(&rows));
        md.push_str("\nThe cello-framework targets are judged from the CPython 3.13 run (`--py313`) and instructions per request; the leak and JSON targets in their sections below.\n\n");
    }
}

/// A target table: each row is what, the measured value, the goal, and whether the
/// value must be at least (a ratio, `×`) or at most (milliseconds) the goal.
pub fn target_table(rows: &[(&str, Option<f64>, f64, bool)]) -> String {
    let mut md = String::from("| target | measured | met |\n|---|---:|---|\n");
    for &(what, got, goal, at_least) in rows {
        let (shown, met) = match got {
            Some(v) if !v.is_nan() => {
                let ok = if at_least { v >= goal } else { v <= goal };
                let unit = if at_least { "×" } else { " ms" };
                let gap = if ok {
                    String::new()
                } else {
                    format!(" (off by {:.0}%)", ((v / goal) - 1.0).abs() * 100.0)
                };
                (
                    format!("{v:.2}{unit}"),
                    format!("{}{gap}", if ok { "yes" } else { "no" }),
                )
            }
            _ => ("–".into(), "not measured".into()),
        };
        let _ = writeln!(md, "| {what} | {shown} | {met} |");
    }
    md
}

fn list(md: &mut String, title: &str, items: &[(String, String)]) {
    let _ = writeln!(md, "## {title}\n");
    for (k, v) in items {
        let _ = writeln!(md, "- {k}: {v}");
    }
    md.push('\n');
}

/// The table of one endpoint: every server's medians and notes.
pub fn detail(md: &mut String, results: &Results, ep: &Endpoint) {
    md.push_str("| server | req/s | p50 | p99 | CPU | req/s per core | RSS warm | RSS after | rounds | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for name in NAMES.iter().filter(|n| results.has_server(n)) {
        let notes = results
            .notes(name, ep.name)
            .join("; ")
            .replace('|', "/")
            .replace('\n', " ");
        match results.summary(name, ep.name) {
            Some(s) => {
                let _ = writeln!(
                    md,
                    "| {name} | {} | {} | {} | {:.0}% | {} | {} | {} | {} | {notes} |",
                    kilo(s.rps),
                    ms(s.p50_ms),
                    ms(s.p99_ms),
                    s.cpu_share * 100.0,
                    kilo(s.per_core),
                    mib(s.rss_before_kib),
                    mib(s.rss_after_kib),
                    s.rounds
                );
            }
            None => {
                let _ = writeln!(md, "| {name} | error | | | | | | | 0 | {notes} |");
            }
        }
    }
    md.push('\n');
}

fn cell(s: Option<Summary>, notes: &[String]) -> String {
    match s {
        Some(s) if notes.is_empty() => kilo(s.per_core),
        Some(s) => format!("{} (!)", kilo(s.per_core)),
        None if notes.is_empty() => "–".into(),
        None => "error".into(),
    }
}

/// `a ÷ b`, when both were measured.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && !a.is_nan() && !b.is_nan() => Some(a / b),
        _ => None,
    }
}

/// `123456.0` → `123.5K`.
pub fn kilo(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 1000.0 {
        format!("{:.1}K", x / 1000.0)
    } else {
        format!("{x:.0}")
    }
}

fn ms(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{x:.2} ms")
    }
}

/// KiB → `12.3 MiB`.
pub fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bench::{measure::Sample, wrk::WrkRun};

    fn sample(rps: f64) -> Sample {
        let wrk = WrkRun {
            rps,
            p50_ms: 0.4,
            p99_ms: 0.9,
            requests: 1,
            errors: String::new(),
        };
        Sample {
            wrk,
            cpu_share: 1.0,
            rss_before_kib: 20480,
            rss_after_kib: 20480,
        }
    }

    #[test]
    fn report_shows_ratios_targets_and_errors() {
        let mut r = Report::default();
        r.load.add("cello-python", "/json", Ok(sample(150_000.0)));
        r.load.add("robyn", "/json", Ok(sample(50_000.0)));
        r.load.add(
            "cello-python",
            "/plaintext",
            Err("GET /plaintext answered 404".into()),
        );
        let md = r.markdown();
        assert!(md.contains("| /json | 3.00× |"), "{md}");
        assert!(md.contains("| /json ≥ 3× Robyn | 3.00× | yes |"), "{md}");
        assert!(md.contains("| cello-python | error |"), "{md}");
        assert!(md.contains("answered 404"));
    }

    #[test]
    fn figures_read_as_a_person_writes_them() {
        assert_eq!(kilo(123_456.0), "123.5K");
        assert_eq!(mib(2048.0), "2.0 MiB");
        assert_eq!(ratio(Some(1.0), None), None);
    }
}
