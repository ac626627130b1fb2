//! WebSocket echo (issue 11): round trips per second with 1 and 64 concurrent clients,
//! each sending a text message and waiting for its echo, on Cello (`@app.websocket`,
//! `cello_ws_app.py`), Robyn (`@app.websocket`, `robyn_app.py`) and the `websockets`
//! library's own asyncio server (`websockets_app.py`). The load client is
//! `cargo xtask ws-load` ([`crate::ws_load`], tokio-tungstenite), built in release and
//! pinned to CPU 0 as wrk is; it reports its own CPU share, so a saturated client shows.

use super::measure::{self, Sample};
use super::options::Options;
use super::report::{kilo, mib};
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use super::wrk::WrkRun;
use crate::sh;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The servers that serve the echo, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "robyn", "websockets"];

/// The concurrent clients of each load.
const CLIENTS: &[usize] = &[1, 64];

const PATH: &str = "/ws";

fn ws_spec(name: &'static str, layout: &Layout) -> Result<Spec, String> {
    let port = free_port()?;
    Ok(match name {
        "websockets" => Spec {
            name,
            port,
            argv: vec![
                layout.python().display().to_string(),
                "websockets_app.py".into(),
                port.to_string(),
            ],
            env: vec![],
            cwd: layout.apps(),
            cpus: Some("1"),
            tls: false,
        },
        _ => {
            let mut spec = Spec::new(name, port, layout);
            if name == "cello-python" {
                spec.argv[1] = "cello_ws_app.py".into();
            }
            spec
        }
    })
}

/// The name of the load with `n` clients.
fn load_name(n: usize) -> String {
    if n == 1 {
        "1 client".into()
    } else {
        format!("{n} clients")
    }
}

/// The release-built client; `cargo build --release -p xtask` first (a no-op when
/// nothing changed), so the client is never a debug build.
fn client() -> Result<PathBuf, String> {
    sh::run(sh::cargo().args(["build", "--release", "--quiet", "-p", "xtask"]))
        .map_err(|e| format!("the load client's release build failed: {e}"))?;
    Ok(sh::root().join("target/release/xtask"))
}

/// `taskset -c 0 CLIENT ws-load ws://127.0.0.1:PORT/ws N SECS`.
fn command(client: &Path, url: &str, clients: usize, secs: u64) -> Command {
    let mut c = Command::new("taskset");
    c.args(["-c", "0"])
        .arg(client)
        .arg("ws-load")
        .arg(url)
        .arg(clients.to_string())
        .arg(secs.to_string());
    c
}

/// What one client run measured, as a wrk run, and the client's CPU share.
fn run_client(
    client: &Path,
    url: &str,
    clients: usize,
    secs: u64,
) -> Result<(WrkRun, f64), String> {
    let out = command(client, url, clients, secs)
        .output()
        .map_err(|e| format!("cannot start {}: {e}", client.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the load client failed ({}): {}{}",
            out.status,
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse(&text)
}

/// Reads the client's line: `clients=.. seconds=.. round_trips=.. rate=.. p50_ms=..
/// p99_ms=.. client_cpu=.. errors=.. [first_error=".."]`.
pub fn parse(text: &str) -> Result<(WrkRun, f64), String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("clients="))
        .ok_or_else(|| format!("no `clients=` line in the load client's output:\n{text}"))?;
    let field = |key: &str| -> Result<f64, String> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no number `{key}=` in `{line}`"))
    };
    let errors = field("errors")?;
    let first = line
        .find(" first_error=")
        .map_or("", |i| &line[i + " first_error=".len()..]);
    Ok((
        WrkRun {
            rps: field("rate")?,
            p50_ms: field("p50_ms")?,
            p99_ms: field("p99_ms")?,
            requests: field("round_trips")? as u64,
            errors: if errors > 0.0 {
                format!("{errors} clients stopped early, first: {first}")
            } else {
                String::new()
            },
        },
        field("client_cpu")?,
    ))
}

/// Rounds of the echo with each client count on each wanted server; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path) -> Result<String, String> {
    let client = client()?;
    let names: Vec<String> = CLIENTS.iter().map(|&n| load_name(n)).collect();
    // the client's CPU share of every measured run, by server and load
    let client_cpu = rows::LoadCpu::default();
    let loads: Vec<Load> = CLIENTS
        .iter()
        .zip(&names)
        .map(|(&n, name)| {
            let (client, client_cpu) = (&client, &client_cpu);
            Load {
                name,
                check: Box::new(move |server| {
                    run_client(client, &ws_url(server.spec.port), 1, 0).map(|_| ())
                }),
                measure: Box::new(move |server, warmup, secs| -> Result<Sample, String> {
                    let cpu = RefCell::new(f64::NAN);
                    let sample = measure::measure_with(server, PATH, warmup, secs, |_, s| {
                        let (run, share) = run_client(client, &ws_url(server.spec.port), n, s)?;
                        *cpu.borrow_mut() = share;
                        Ok(run)
                    })?;
                    client_cpu.record(server.spec.name, name, cpu.into_inner());
                    Ok(sample)
                }),
            }
        })
        .collect();
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| ws_spec(name, layout),
        &loads,
    );
    drop(loads);
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`{PATH}`: each client sends a {}-byte text message and waits for its echo, for {} s (after a {} s warm-up in the first round), with `taskset -c 0 target/release/xtask ws-load ws://127.0.0.1:PORT{PATH} CLIENTS SECONDS`; {}",
        crate::ws_load::MESSAGE.len(),
        opts.dur,
        opts.warmup,
        m.servers_block(opts.rounds)
    );
    md.push_str("| server | clients | round trips/s | p50 | p99 | server CPU | round trips/s per core | client CPU | RSS after |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for server in SERVERS.iter().filter(|s| m.results.has_server(s)) {
        for (&n, name) in CLIENTS.iter().zip(&names) {
            let Some(s) = m.results.summary(server, name) else {
                let _ = writeln!(
                    md,
                    "| {server} | {n} | error ({}) | | | | | | |",
                    rows::notes(&m.results, server, name)
                );
                continue;
            };
            let cpu = client_cpu.median(server, name);
            let _ = writeln!(
                md,
                "| {server} | {n} | {} | {:.3} ms | {:.3} ms | {:.0}% | {} | {:.0}% | {} |",
                kilo(s.rps),
                s.p50_ms,
                s.p99_ms,
                s.cpu_share * 100.0,
                kilo(s.per_core),
                cpu * 100.0,
                mib(s.rss_after_kib),
            );
        }
    }
    Ok(md)
}

fn ws_url(port: u16) -> String {
    format!("ws://127.0.0.1:{port}{PATH}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_client_line_reads_as_a_wrk_run_and_the_client_cpu() {
        let (run, cpu) = parse(
            "clients=64 seconds=3.001 round_trips=75000 rate=24991.7 p50_ms=2.5010 p99_ms=4.0200 client_cpu=0.412 errors=0\n",
        )
        .unwrap();
        assert_eq!(
            (run.rps, run.p50_ms, run.p99_ms, run.requests),
            (24991.7, 2.501, 4.02, 75000)
        );
        assert_eq!(run.errors, "");
        assert_eq!(cpu, 0.412);
    }

    #[test]
    fn clients_that_stopped_early_become_the_runs_error_note() {
        let (run, _) = parse(
            "clients=64 seconds=3.0 round_trips=10 rate=3.3 p50_ms=1.0 p99_ms=2.0 client_cpu=0.1 errors=2 first_error=\"receive: reset\"",
        )
        .unwrap();
        assert_eq!(
            run.errors,
            "2 clients stopped early, first: \"receive: reset\""
        );
    }

    #[test]
    fn output_without_the_line_is_an_error_that_quotes_it() {
        let e = parse("thread 'main' panicked").unwrap_err();
        assert!(e.contains("panicked"), "{e}");
    }

    #[test]
    fn the_client_runs_pinned_to_cpu_0() {
        let c = command(Path::new("/t/xtask"), "ws://h/ws", 64, 3);
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(args.join(" "), "-c 0 /t/xtask ws-load ws://h/ws 64 3");
        assert_eq!(load_name(1), "1 client");
        assert_eq!(load_name(64), "64 clients");
    }
}
