//! `cargo xtask bench`: Cello against its peers, end to end, on one core each.
//!
//! Every server runs one worker pinned to CPU 1 while `wrk -t1 -c64 --latency` runs on
//! CPU 0 (DESIGN.md's method). The rounds rotate the order of the servers so that the
//! machine's drift hits each alike, and each figure is the median of the rounds. Then,
//! on a fresh Cello server: the leak check and a perf profile; then instructions per
//! request (callgrind), the JSON microbenchmark and, with `--py313`, the CPython 3.13
//! peers. Everything goes to `benches/RESULTS.md` (`--quick`: `.bench/RESULTS-quick.md`).
//!
//! The roles, one file each: [`options`] (command line), [`setup`] (builds, virtualenv,
//! tools, machine facts), [`servers`] (start, pin, stop), [`check`] (endpoints and body
//! checks), [`wrk`] (load generator), [`procstat`] (CPU and RSS from `/proc`),
//! [`measure`] (one run), [`results`] (medians), [`report`] (Markdown), and the extras
//! [`leak`], [`profile`], [`shared_tools`], and the rows of their own, each run by
//! [`rows`]: the typed endpoint ([`typed`]), the streamed response ([`stream`]), the
//! static file ([`static_file`]), WebSocket echo ([`ws`]), HTTPS `/json` ([`https`],
//! wrk and h2load through [`loadgen`]), worker scaling ([`workers`]) and `/json` at 64
//! and 1,024 connections ([`conns`]).

mod check;
mod conns;
mod https;
mod leak;
mod loadgen;
mod measure;
mod options;
mod procstat;
mod profile;
mod report;
mod results;
mod rows;
mod servers;
mod setup;
mod shared_tools;
mod static_file;
mod stream;
mod typed;
mod workers;
mod wrk;
mod ws;

pub use procstat::{cpu_ticks, ticks_per_second};

use crate::sh;
use check::{ENDPOINTS, PLAINTEXT};
use options::Options;
use report::Report;
use servers::{free_port, Running, Spec, NAMES};
use std::path::Path;
use std::time::Instant;

/// Runs the benchmark with the arguments after `bench`.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{}", options::USAGE);
        return Ok(());
    }
    let opts = Options::parse(args)?;
    let started = Instant::now();
    let root = sh::root();
    let work = root.join(".bench");
    let logs = work.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    // TechEmpower's pipelining script, kept in benches/
    let pipeline = root.join("benches/pipeline.lua");

    let prepared = setup::prepare(&opts)?;
    let layout = &prepared.layout;
    let mut report = Report {
        invocation: format!("cargo xtask bench {}", args.join(" "))
            .trim_end()
            .to_owned(),
        quick: opts.quick,
        machine: setup::machine(),
        versions: setup::versions(&prepared),
        ..Report::default()
    };

    // start every available server; they idle on CPU 1 while another is loaded
    let mut running: Vec<Running> = Vec::new();
    for &name in NAMES.iter().filter(|n| opts.endpoints && opts.wants(n)) {
        if let Err(why) = available(name, &prepared) {
            eprintln!("bench: skipping {name}: {why}");
            report.skipped.push(format!("{name}: {why}"));
            continue;
        }
        let spec = Spec::new(name, free_port()?, layout);
        report.commands.push(format!(
            "# {name}, from benches/apps\n{}",
            spec.shown(&root)
        ));
        match Running::start(&spec, &logs) {
            Ok(server) => running.push(server),
            Err(e) => {
                eprintln!("bench: skipping {name}: {e}");
                report.skipped.push(format!("{name}: {e}"));
            }
        }
    }
    report.commands.push(format!(
        "# load, on CPU 0 (first round: a {} s warm-up run before each)\n{}\n{} -- {}",
        opts.warmup,
        show(&wrk::command("http://127.0.0.1:PORT/PATH", opts.dur, None)),
        show(&wrk::command(
            "http://127.0.0.1:PORT/plaintext",
            opts.dur,
            Some(Path::new("benches/pipeline.lua"))
        ))
        .split(" -- ")
        .next()
        .unwrap_or(""),
        wrk::PIPELINE_DEPTH
    ));
    for server in &running {
        let url = format!("http://127.0.0.1:{}/json", server.spec.port);
        let _ = wrk::run(&url, 2, None);
    }

    for round in 0..opts.rounds {
        let order = rows::rotated(&running, round);
        let warmup = if round == 0 { opts.warmup } else { 0 };
        for ep in ENDPOINTS {
            for server in &order {
                let outcome = check::check(server.spec.port, ep)
                    .and_then(|()| measure::measure(server, ep.path, warmup, opts.dur, None));
                progress(round, "", server, ep.name, &outcome);
                report.load.add(server.spec.name, ep.name, outcome);
            }
        }
        for server in &order {
            let outcome = check::check(server.spec.port, &PLAINTEXT).and_then(|()| {
                measure::measure(server, PLAINTEXT.path, warmup, opts.dur, Some(&pipeline))
            });
            progress(round, "pipelined ", server, PLAINTEXT.name, &outcome);
            report
                .pipelined
                .add(server.spec.name, PLAINTEXT.name, outcome);
        }
    }
    drop(running);

    if opts.typed {
        let body = typed::run(&opts, layout, &logs, &report.load)
            .unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: typed endpoint: done");
        report
            .sections
            .push(("Typed endpoint: POST /typed (issue 10)".to_owned(), body));
    }

    if opts.stream {
        let body =
            stream::run(&opts, layout, &logs).unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: streamed response: done");
        report.sections.push((
            "Streamed response: GET /stream-10m (issue 11)".to_owned(),
            body,
        ));
    }

    if opts.static_file {
        let body = static_file::run(&opts, layout, &logs, &work)
            .unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: static file: done");
        report.sections.push((
            "Static file: GET /static/one-mib.bin (issue 11)".to_owned(),
            body,
        ));
    }

    if opts.ws {
        let body = ws::run(&opts, layout, &logs).unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: WebSocket echo: done");
        report
            .sections
            .push(("WebSocket echo (issue 11)".to_owned(), body));
    }

    if opts.https {
        let body = https::run(&opts, layout, &logs, &work)
            .unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: HTTPS: done");
        report.sections.push((
            "HTTPS /json: Cello and Granian over TLS (issue 12)".to_owned(),
            body,
        ));
    }

    if opts.workers {
        let body =
            workers::run(&opts, layout, &logs).unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: workers: done");
        report.sections.push((
            "Worker scaling: /json with 1 and 2 workers (issue 12)".to_owned(),
            body,
        ));
    }

    if opts.conns {
        let body =
            conns::run(&opts, layout, &logs).unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: connection count: done");
        report.sections.push((
            "Connection count: /json at c64 and c1024 (issue 13)".to_owned(),
            body,
        ));
    }

    extras(&opts, &prepared, &mut report, &logs, &work);

    report.elapsed_s = started.elapsed().as_secs_f64();
    let out = root.join(&opts.out);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let md = report.markdown();
    std::fs::write(&out, &md).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("{}", summary(&md));
    println!(
        "bench: wrote {} in {:.1} min",
        out.display(),
        report.elapsed_s / 60.0
    );
    Ok(())
}

/// Whether `name` can run: the Cello servers need their build.
fn available(name: &str, prepared: &setup::Prepared) -> Result<(), String> {
    match name {
        "cello-python" => prepared.cello_python.clone(),
        "cello-rust" => prepared.rust.as_ref().map(|_| ()).map_err(Clone::clone),
        _ => Ok(()),
    }
}

/// The leak check and profile (on a fresh Cello server), instructions per request, the
/// JSON microbenchmark and the CPython 3.13 run, each as a report section. A failure is
/// reported in its section; the rest still runs.
fn extras(
    opts: &Options,
    prepared: &setup::Prepared,
    report: &mut Report,
    logs: &Path,
    work: &Path,
) {
    let layout = &prepared.layout;
    let root = sh::root();
    let target = opts.extras_on.as_str();
    let mut section = |title: &str, r: Result<String, String>| {
        let body = r.unwrap_or_else(|e| format!("Not measured: {e}"));
        eprintln!("bench: {title}: done");
        report.sections.push((title.to_owned(), body));
    };
    if opts.leak || opts.profile {
        let server = available(target, prepared)
            .and_then(|()| servers::known(target))
            .and_then(|name| Running::start(&Spec::new(name, free_port()?, layout), logs));
        match server {
            Ok(server) => {
                if opts.leak {
                    section(
                        "Leak check (RSS after 1,000,000 requests)",
                        leak::run(&server),
                    );
                }
                if opts.profile {
                    let file = if target == "cello-python" {
                        "profile-json.txt".to_owned()
                    } else {
                        format!("profile-json-{target}.txt")
                    };
                    let out = root.join("benches").join(file);
                    let data = work.join("perf-json.data");
                    section(
                        &format!("Profile of {target} serving /json"),
                        profile::run(&server, opts.dur.max(5), &data, &out),
                    );
                }
            }
            Err(e) => section("Leak check and profile", Err(e)),
        }
    }
    if opts.instr {
        section("Instructions per request", instructions(opts, prepared));
    }
    if opts.json_micro {
        let out = sh::output(
            std::process::Command::new(layout.python())
                .arg(root.join("benches/json_micro.py"))
                .current_dir(&root),
        );
        section(
            "JSON microbenchmark (benches/json_micro.py)",
            out.map(|t| format!("`.bench/venv/bin/python benches/json_micro.py`\n\n{t}")),
        );
    }
    if opts.py313 {
        let r = match &prepared.wheel {
            Ok(w) => shared_tools::py313(
                w,
                &layout.apps().join("cello_app.py"),
                opts.dur,
                opts.rounds,
            ),
            Err(e) => Err(e.clone()),
        };
        section("CPython 3.13 peers (../shared/tools/py313-peers.sh)", r);
    }
}

/// Callgrind counts for Cello (Python) `/json` and `/async-json`, and the Rust
/// reference's `/json` as the floor, for those that are built and wanted.
fn instructions(opts: &Options, prepared: &setup::Prepared) -> Result<String, String> {
    let layout = &prepared.layout;
    let py = layout.python().display().to_string();
    let python_app = |port: u16| vec![py.clone(), "cello_app.py".to_string(), port.to_string()];
    let mut counts = Vec::new();
    if prepared.cello_python.is_ok() && opts.wants("cello-python") {
        for path in ["/json", "/async-json"] {
            counts.push(shared_tools::Count {
                server: "cello-python",
                path,
                argv: Box::new(python_app),
            });
        }
    }
    if let (Ok(bin), true) = (&prepared.rust, opts.wants("cello-rust")) {
        let bin = bin.display().to_string();
        counts.push(shared_tools::Count {
            server: "cello-rust",
            path: "/json",
            argv: Box::new(move |port| vec![bin.clone(), format!("127.0.0.1:{port}")]),
        });
    }
    if counts.is_empty() {
        return Err("neither Cello server is built (see \"Servers left out\")".into());
    }
    shared_tools::instructions(layout, &counts)
}

fn progress(
    round: usize,
    kind: &str,
    server: &Running,
    endpoint: &str,
    outcome: &Result<measure::Sample, String>,
) {
    match outcome {
        Ok(s) => {
            let p99 = if s.wrk.p99_ms.is_nan() {
                "–".into()
            } else {
                format!("{:.2} ms", s.wrk.p99_ms)
            };
            eprintln!(
                "bench: round {} {kind}{:<16} {:<13} {:>9.0} req/s  p99 {p99:>8}  cpu {:>3.0}%  per core {:>9.0}",
                round + 1, server.spec.name, endpoint, s.wrk.rps, s.cpu_share * 100.0, s.per_core()
            )
        }
        Err(e) => eprintln!(
            "bench: round {} {kind}{} {endpoint}: ERROR {e}",
            round + 1,
            server.spec.name
        ),
    }
}

/// The per-core matrix and the ratios, for the terminal.
fn summary(md: &str) -> String {
    let start = md.find("## Req/s per server-core").unwrap_or(0);
    let end = md.find("## Every endpoint").unwrap_or(md.len());
    md[start..end].to_owned()
}

fn show(cmd: &std::process::Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
