//! Connection count (issue 13): `/json` with 64 and with 1,024 keep-alive connections
//! open (`wrk -t1 -cN`, pinned as the endpoints are). A server whose cost grows with its
//! open connections (a timer per connection, wake-ups, the accept path) shows it here
//! as fewer requests per server-core at c1024 than at c64.

use super::measure::{self, Sample};
use super::options::Options;
use super::report::kilo;
use super::results::Results;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use super::wrk;
use std::fmt::Write as _;
use std::path::Path;

/// The servers of the row, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "cello-rust", "granian-rsgi", "robyn"];

/// The connection counts, each a load of the row.
pub const COUNTS: [u32; 2] = [64, 1024];

const PATH: &str = "/json";

fn load_name(connections: u32) -> String {
    format!("GET /json c{connections}")
}

/// Rounds of `/json` at each connection count on each server; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path) -> Result<String, String> {
    let names: Vec<String> = COUNTS.iter().map(|&c| load_name(c)).collect();
    let loads: Vec<Load> = COUNTS
        .iter()
        .zip(&names)
        .map(|(&connections, name)| Load {
            name,
            check: Box::new(|server| super::check::check(server.spec.port, &super::check::JSON)),
            measure: Box::new(move |server, warmup, secs| -> Result<Sample, String> {
                measure::measure_with(server, PATH, warmup, secs, |url, s| {
                    wrk::output(wrk::with_connections(url, s, None, connections))
                })
            }),
        })
        .collect();
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| Ok(Spec::new(name, free_port()?, layout)),
        &loads,
    );
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`GET {PATH}` with {} keep-alive connections: `taskset -c 0 wrk -t1 -cN -d{}s --latency URL`, the server pinned to CPU 1 as for the endpoints; {}",
        COUNTS.map(|c| c.to_string()).join(" and "),
        opts.dur,
        m.servers_block(opts.rounds)
    );
    md.push_str(&table(&m.results));
    Ok(md)
}

/// One line per server: req/s per server-core and p99 at each count, and c1024's
/// per-core figure ÷ c64's (the issue asks for ≥ 0.90).
pub fn table(results: &Results) -> String {
    let mut md = String::from("| server | req/s per core, c64 | req/s per core, c1024 | c1024 ÷ c64 | p99 c64 | p99 c1024 | server CPU c64 / c1024 |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for &name in SERVERS.iter().filter(|s| results.has_server(s)) {
        let [few, many] = COUNTS.map(|c| results.summary(name, &load_name(c)));
        let (Some(few), Some(many)) = (few, many) else {
            let why: Vec<String> = COUNTS
                .iter()
                .map(|&c| rows::notes(results, name, &load_name(c)))
                .filter(|n| !n.is_empty())
                .collect();
            let _ = writeln!(md, "| {name} | error ({}) | | | | | |", why.join("; "));
            continue;
        };
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {:.2} | {:.2} ms | {:.2} ms | {:.0}% / {:.0}% |",
            kilo(few.per_core),
            kilo(many.per_core),
            many.per_core / few.per_core,
            few.p99_ms,
            many.p99_ms,
            few.cpu_share * 100.0,
            many.cpu_share * 100.0,
        );
    }
    md
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample(rps: f64, cpu: f64, p99: f64) -> Sample {
        Sample::fake(rps, cpu, p99)
    }

    #[test]
    fn the_table_gives_each_count_per_core_and_their_ratio() {
        let mut r = Results::default();
        r.add(
            "cello-python",
            &load_name(64),
            Ok(sample(100_000.0, 1.0, 0.8)),
        );
        r.add(
            "cello-python",
            &load_name(1024),
            Ok(sample(80_000.0, 1.0, 17.0)),
        );
        r.add("robyn", &load_name(64), Err("refused".into()));
        let t = table(&r);
        assert!(
            t.contains(
                "| cello-python | 100.0K | 80.0K | 0.80 | 0.80 ms | 17.00 ms | 100% / 100% |"
            ),
            "{t}"
        );
        assert!(t.contains("| robyn | error (refused) |"), "{t}");
    }

    #[test]
    fn wrk_opens_the_connections_asked_for() {
        let c = wrk::with_connections("http://h/json", 4, None, 1024);
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(
            args.join(" "),
            "-c 0 wrk -t1 -c1024 -d4s --latency http://h/json"
        );
    }
}
