//! Worker scaling (issue 12): plain-HTTP `/json` on Cello (`cello run --workers N`, the
//! Rust supervisor) and Granian (`--workers N`) with 1 and 2 workers. Nothing is pinned:
//! the workers and the load generator (`wrk -t2 -c64`) share this machine's two cores, so
//! the table gives the server's CPU and wrk's, and their sum against the 200% there is.

use super::https::{cello_run, pct};
use super::loadgen::{self, Kind};
use super::measure::{self, Sample};
use super::options::Options;
use super::report::kilo;
use super::results::Results;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::Path;

/// Each server with each worker count, in the report's order.
pub const SERVERS: &[&str] = &[
    "cello 1 worker",
    "cello 2 workers",
    "granian 1 worker",
    "granian 2 workers",
];

const LOAD: &str = "GET /json";
const PATH: &str = "/json";

/// The server and worker count a row name stands for.
pub fn parse_name(name: &str) -> Option<(&'static str, u32)> {
    let (server, rest) = name.split_once(' ')?;
    let workers = rest.split(' ').next()?.parse().ok()?;
    let server = match server {
        "cello" => "cello-python",
        "granian" => "granian-rsgi",
        _ => return None,
    };
    Some((server, workers))
}

fn workers_spec(name: &'static str, layout: &Layout) -> Result<Spec, String> {
    let (server, workers) =
        parse_name(name).ok_or_else(|| format!("`{name}` is not a server of the workers row"))?;
    let port = free_port()?;
    let mut spec = Spec::new(server, port, layout);
    spec.name = name;
    spec.cpus = None;
    if server == "cello-python" {
        spec.argv = cello_run(layout, port, workers);
    } else if let Some(at) = spec.argv.iter().position(|a| a == "--workers") {
        spec.argv[at + 1] = workers.to_string();
    }
    Ok(spec)
}

/// Rounds of `/json` on each server and worker count; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path) -> Result<String, String> {
    let gen_cpu = rows::LoadCpu::default();
    let load = Load {
        name: LOAD,
        check: Box::new(|server| super::check::check(server.spec.port, &super::check::JSON)),
        measure: Box::new(|server, warmup, secs| -> Result<Sample, String> {
            let cpu = RefCell::new(f64::NAN);
            let sample = measure::measure_with(server, PATH, warmup, secs, |url, s| {
                let (run, share) = loadgen::run(&loadgen::wrk_unpinned(url, s), Kind::Wrk)?;
                *cpu.borrow_mut() = share;
                Ok(run)
            })?;
            gen_cpu.record(server.spec.name, LOAD, cpu.into_inner());
            Ok(sample)
        }),
    };
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| workers_spec(name, layout),
        &[load],
    );
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`GET {PATH}` over plain HTTP/1.1, loaded with `wrk -t2 -c{} -d{}s --latency http://127.0.0.1:PORT{PATH}`; nothing pinned: the server's workers and wrk share the machine's {} cores; {}",
        super::wrk::CONNECTIONS,
        opts.dur,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        m.servers_block(opts.rounds)
    );
    md.push_str(&table(&m.results, &gen_cpu));
    Ok(md)
}

/// One line per server and worker count: req/s, latencies, the server's CPU, wrk's CPU,
/// their sum, req/s per server-core, and on the 2-worker line req/s ÷ the 1-worker's.
pub fn table(results: &Results, gen_cpu: &rows::LoadCpu) -> String {
    let mut md = String::from("| server | workers | req/s | p50 | p99 | server CPU | wrk CPU | total CPU | req/s per server-core | req/s vs 1 worker |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for &name in SERVERS.iter().filter(|s| results.has_server(s)) {
        let Some((server, workers)) = parse_name(name) else {
            continue;
        };
        let Some(s) = results.summary(name, LOAD) else {
            let _ = writeln!(
                md,
                "| {server} | {workers} | error ({}) | | | | | | | |",
                rows::notes(results, name, LOAD)
            );
            continue;
        };
        let wrk = gen_cpu.median(name, LOAD);
        let one = SERVERS
            .iter()
            .find(|n| parse_name(n) == Some((server, 1)))
            .and_then(|n| results.summary(n, LOAD));
        let scaling = match one {
            Some(one) if workers > 1 && one.rps > 0.0 => format!("{:.2}×", s.rps / one.rps),
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| {server} | {workers} | {} | {:.2} ms | {:.2} ms | {} | {} | {} | {} | {scaling} |",
            kilo(s.rps),
            s.p50_ms,
            s.p99_ms,
            pct(s.cpu_share),
            pct(wrk),
            pct(s.cpu_share + wrk),
            kilo(s.per_core),
        );
    }
    md
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
                p50_ms: 1.0,
                p99_ms: 3.0,
                requests: 1,
                errors: String::new(),
            },
            cpu_share: cpu,
            rss_before_kib: 1,
            rss_after_kib: 1,
        }
    }

    #[test]
    fn row_names_stand_for_a_server_and_a_worker_count() {
        assert_eq!(parse_name("cello 2 workers"), Some(("cello-python", 2)));
        assert_eq!(parse_name("granian 1 worker"), Some(("granian-rsgi", 1)));
        assert_eq!(parse_name("robyn 1 worker"), None);
        assert!(SERVERS.iter().all(|n| parse_name(n).is_some()));
    }

    #[test]
    fn the_servers_are_not_pinned_and_get_their_worker_count() {
        let layout = Layout {
            root: "/r".into(),
            venv_bin: "/r/.bench/venv/bin".into(),
        };
        let c = workers_spec("cello 2 workers", &layout).unwrap();
        assert_eq!(c.cpus, None);
        assert_eq!(c.name, "cello 2 workers");
        assert!(
            c.argv.join(" ").contains("run cello_app:app")
                && c.argv.join(" ").contains("--workers 2")
        );
        let g = workers_spec("granian 2 workers", &layout).unwrap();
        assert!(
            g.argv.join(" ").contains("--workers 2 --runtime-mode st"),
            "{:?}",
            g.argv
        );
        assert!(g
            .shown(Path::new("/r"))
            .starts_with(".bench/venv/bin/granian"));
    }

    #[test]
    fn the_table_sums_server_and_wrk_cpu_and_compares_two_workers_with_one() {
        let mut r = Results::default();
        r.add("cello 1 worker", LOAD, Ok(sample(20000.0, 0.8)));
        r.add("cello 2 workers", LOAD, Ok(sample(30000.0, 1.2)));
        r.add("granian 1 worker", LOAD, Err("refused".into()));
        let cpu = rows::LoadCpu::default();
        cpu.record("cello 1 worker", LOAD, 0.9);
        cpu.record("cello 2 workers", LOAD, 0.7);
        let md = table(&r, &cpu);
        assert!(
            md.contains(
                "| cello-python | 1 | 20.0K | 1.00 ms | 3.00 ms | 80% | 90% | 170% | 25.0K |  |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| cello-python | 2 | 30.0K | 1.00 ms | 3.00 ms | 120% | 70% | 190% | 25.0K | 1.50× |"),
            "{md}"
        );
        assert!(
            md.contains("| granian-rsgi | 1 | error (refused) |"),
            "{md}"
        );
        assert!(!md.contains("granian-rsgi | 2"), "{md}");
    }
}
