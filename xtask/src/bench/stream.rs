//! The streamed response (issue 11): `GET /stream-10m`, 10 MiB sent as 160 chunks of
//! 64 KiB from a generator, on Cello (`cello_stream_app.py`: an async generator in a
//! `StreamingResponse`) and Granian (RSGI `response_stream`, `send_bytes` per chunk).
//! Each answer is checked (status 200, exactly 10 MiB, with curl), then loaded with
//! `wrk -t1 -c64`; the figures are req/s and MB/s per server-core.

use super::measure;
use super::options::Options;
use super::report::mib;
use super::results::Results;
use super::servers::{free_port, Layout, Running, Spec};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The servers that serve the endpoint, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "granian-rsgi"];

const NAME: &str = "GET /stream-10m";
const PATH: &str = "/stream-10m";
const SIZE: u64 = 10 * 1024 * 1024;

fn stream_spec(name: &'static str, layout: &Layout) -> Result<Spec, String> {
    let mut spec = Spec::new(name, free_port()?, layout);
    if name == "cello-python" {
        spec.argv[1] = "cello_stream_app.py".into();
    }
    Ok(spec)
}

/// Rounds of the streamed endpoint on each wanted server; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path) -> Result<String, String> {
    let mut running = Vec::new();
    let mut md = String::new();
    for &name in SERVERS.iter().filter(|n| opts.wants(n)) {
        match stream_spec(name, layout).and_then(|spec| Running::start(&spec, logs)) {
            Ok(server) => running.push(server),
            Err(e) => {
                let _ = writeln!(md, "- {name} left out: {e}");
            }
        }
    }
    let mut results = Results::default();
    for round in 0..opts.rounds {
        let mut order: Vec<&Running> = running.iter().collect();
        let shift = round % order.len().max(1);
        order.rotate_left(shift);
        let warmup = if round == 0 { opts.warmup } else { 0 };
        for server in order {
            let outcome = check(server.spec.port)
                .and_then(|()| measure::measure(server, PATH, warmup, opts.dur, None));
            match &outcome {
                Ok(s) => eprintln!(
                    "bench: round {} {:<16} {:<15} {:>7.0} req/s  cpu {:>3.0}%  per core {:>7.0}",
                    round + 1,
                    server.spec.name,
                    NAME,
                    s.wrk.rps,
                    s.cpu_share * 100.0,
                    s.per_core()
                ),
                Err(e) => eprintln!(
                    "bench: round {} {} {NAME}: ERROR {e}",
                    round + 1,
                    server.spec.name
                ),
            }
            results.add(server.spec.name, NAME, outcome);
        }
    }
    let shown: Vec<String> = running.iter().map(|s| s.spec.shown(&layout.root)).collect();
    drop(running);
    let _ = writeln!(
        md,
        "`GET {PATH}`: 10 MiB as 160 chunks of 64 KiB from a generator, loaded with `taskset -c 0 wrk -t1 -c64 -d{}s --latency URL`; medians of {} rounds; servers:\n\n```\n{}\n```\n",
        opts.dur,
        opts.rounds,
        shown.join("\n")
    );
    md.push_str("| server | req/s | MB/s | p50 | p99 | CPU | req/s per core | MB/s per core | RSS after |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mb = |rps: f64| rps * SIZE as f64 / 1e6;
    for name in SERVERS {
        match results.summary(name, NAME) {
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
                let notes = results.notes(name, NAME).join("; ").replace('|', "/");
                let _ = writeln!(md, "| {name} | error ({notes}) | | | | | | | |");
            }
        }
    }
    Ok(md)
}

/// `GET /stream-10m` answers 200 with exactly 10 MiB.
fn check(port: u16) -> Result<(), String> {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
        ])
        .arg(format!("http://127.0.0.1:{port}{PATH}"))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    if got == format!("200 {SIZE}") {
        Ok(())
    } else {
        Err(format!(
            "{PATH} answered `{got}` (status, bytes), not `200 {SIZE}`"
        ))
    }
}
