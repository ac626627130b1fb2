//! `cargo xtask fuzz`: each cargo-fuzz target for a bounded time or number of
//! executions, with a summary of what ran.

use crate::sh;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A target in `fuzz/fuzz_targets` and how long it runs by default.
struct Target {
    name: &'static str,
    /// `-runs=`: stop after this many executions.
    runs: Option<u64>,
    /// `-max_total_time=`: stop after this many seconds.
    seconds: Option<u64>,
    /// `-dict=`, relative to `fuzz/`.
    dict: Option<&'static str>,
    /// The sanitizer. The HTTP targets drive hyper and tokio through safe code and
    /// need millions of executions, which AddressSanitizer makes ~3× slower; cello-json
    /// has `unsafe` blocks, so its target keeps it.
    sanitizer: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        name: "http_request",
        runs: Some(10_000_000),
        seconds: None,
        dict: Some("dict/http.dict"),
        sanitizer: "none",
    },
    Target {
        name: "h2_frames",
        runs: Some(250_000),
        seconds: None,
        dict: None,
        sanitizer: "none",
    },
    Target {
        name: "router",
        runs: None,
        seconds: Some(60),
        dict: None,
        sanitizer: "address",
    },
    Target {
        name: "json",
        runs: None,
        seconds: Some(60),
        dict: None,
        sanitizer: "address",
    },
];

/// What one target's run did.
struct Outcome {
    name: &'static str,
    execs: Option<u64>,
    seconds: f64,
    crash: Option<String>,
}

/// `cargo xtask fuzz [TARGET...] [--runs N] [--seconds S]`: runs every target (or those
/// named) on nightly, each until its default budget (or the given one) is spent,
/// then prints executions and time per target. Installs cargo-fuzz when missing.
pub fn run(args: &[String]) -> Result<(), String> {
    let (mut names, mut runs, mut seconds) = (Vec::new(), None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match a.as_str() {
            "--runs" => runs = Some(number("--runs")?),
            "--seconds" => seconds = Some(number("--seconds")?),
            name => names.push(name.to_string()),
        }
    }
    if let Ok(s) = std::env::var("FUZZ_SECONDS") {
        seconds = seconds.or(s.parse().ok());
    }
    let chosen: Vec<&Target> = if names.is_empty() {
        TARGETS.iter().collect()
    } else {
        names
            .iter()
            .map(|n| {
                TARGETS.iter().find(|t| t.name == n).ok_or_else(|| {
                    let all: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
                    format!("no fuzz target `{n}`; the targets are {}", all.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    ensure_cargo_fuzz()?;
    let mut outcomes = Vec::new();
    for t in chosen {
        // A budget given on the command line replaces the defaults.
        let (runs, seconds) = if runs.is_some() || seconds.is_some() {
            (runs, seconds)
        } else {
            (t.runs, t.seconds)
        };
        let outcome = run_target(t, runs, seconds)?;
        let crashed = outcome.crash.is_some();
        outcomes.push(outcome);
        if crashed {
            break;
        }
    }
    print_summary(&outcomes);
    match outcomes.iter().find_map(|o| o.crash.as_ref().map(|c| (o.name, c))) {
        Some((name, artifact)) => Err(format!(
            "fuzz target `{name}` crashed; reproduce with `cd fuzz && cargo +nightly fuzz run {name} {artifact}`"
        )),
        None => Ok(()),
    }
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let missing = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true);
    if missing {
        sh::run(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))?;
    }
    Ok(())
}

/// Runs one target, passing libFuzzer's output through (without its one line per
/// new input) and reading its final statistics.
fn run_target(t: &Target, runs: Option<u64>, seconds: Option<u64>) -> Result<Outcome, String> {
    // Built first, so that the time reported is fuzzing time.
    sh::run(
        Command::new("cargo")
            .current_dir(sh::root().join("fuzz"))
            .args(["+nightly", "fuzz", "build", "--sanitizer", t.sanitizer])
            .args(["--target-dir", &target_dir(t), t.name]),
    )?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(sh::root().join("fuzz"))
        .args(["+nightly", "fuzz", "run", "--sanitizer", t.sanitizer])
        .args(["--target-dir", &target_dir(t), t.name, "--"])
        .args(["-print_final_stats=1", "-timeout=10", "-max_len=16384"]);
    if let Some(r) = runs {
        cmd.arg(format!("-runs={r}"));
    }
    if let Some(s) = seconds {
        cmd.arg(format!("-max_total_time={s}"));
    }
    if let Some(d) = t.dict {
        cmd.arg(format!("-dict={d}"));
    }
    eprintln!("+ (in fuzz/) {cmd:?}");
    let start = Instant::now();
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    let (mut execs, mut crash) = (None, None);
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                execs = n.trim().parse().ok();
            }
            if let Some((_, path)) = line.split_once("Test unit written to ") {
                crash = Some(path.trim().to_string());
            }
            // One line per new corpus entry is most of the output and says little.
            if !(line.starts_with('#') && (line.contains("\tNEW ") || line.contains("\tREDUCE "))) {
                eprintln!("{line}");
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    // Interrupted (Ctrl-C): libFuzzer still prints its statistics; report them.
    if !status.success() && crash.is_none() && execs.is_some() {
        eprintln!(
            "fuzz target `{}` stopped before its budget ({status})",
            t.name
        );
    } else if !status.success() && crash.is_none() {
        return Err(format!(
            "`cargo fuzz run {}` failed ({status}) without a crash artifact (a build error?)",
            t.name
        ));
    }
    Ok(Outcome {
        name: t.name,
        execs,
        seconds,
        crash,
    })
}

/// One build directory per sanitizer, so that running every target does not
/// rebuild the whole dependency tree each time the sanitizer changes.
fn target_dir(t: &Target) -> String {
    format!("target/sanitizer-{}", t.sanitizer)
}

fn print_summary(outcomes: &[Outcome]) {
    println!(
        "\n{:<14} {:>12} {:>9} {:>9}  result",
        "target", "executions", "seconds", "exec/s"
    );
    for o in outcomes {
        let execs = o.execs.map_or("?".into(), |n| n.to_string());
        let rate = o
            .execs
            .map_or("?".into(), |n| format!("{:.0}", n as f64 / o.seconds));
        let result = o
            .crash
            .as_ref()
            .map_or("no crash".to_string(), |c| format!("CRASH {c}"));
        println!(
            "{:<14} {:>12} {:>9.0} {:>9}  {result}",
            o.name, execs, o.seconds, rate
        );
    }
}
