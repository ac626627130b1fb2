//! `cargo xtask fuzz`: each cargo-fuzz target for a bounded time.

use crate::sh;
use std::process::Command;

/// The targets in `fuzz/fuzz_targets`.
const TARGETS: &[&str] = &["http_request", "router", "json"];

/// Runs every target (or those named) for `FUZZ_SECONDS` (default 60) each, on nightly.
/// Installs cargo-fuzz first when it is missing.
pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = std::env::var("FUZZ_SECONDS").unwrap_or_else(|_| "60".into());
    if Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        sh::run(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))?;
    }
    let chosen: Vec<&str> = if args.is_empty() {
        TARGETS.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for target in chosen {
        sh::run(
            Command::new("cargo")
                .current_dir(sh::root().join("fuzz"))
                .args(["+nightly", "fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={seconds}")),
        )?;
        println!("fuzz target `{target}`: {seconds} s without a crash");
    }
    Ok(())
}
