//! `cargo xtask upload-rss`: peak RSS of one worker while many clients each upload a
//! large multipart file (issue 11's budget: under 100 MiB above idle). The load and
//! the verdict live in `benches/upload_rss.py`; the result replaces its section of
//! `benches/RESULTS.md`. A verb of its own rather than a `bench` row: it measures
//! memory under one burst, not req/s against peers.

use crate::{python, sh};
use std::process::Command;

/// `cargo xtask upload-rss [--clients N] [--mib M] [--no-build]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut build = true;
    let mut pass = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-build" => build = false,
            "--clients" | "--mib" => {
                let v = it
                    .next()
                    .filter(|v| v.parse::<u32>().is_ok_and(|v| v > 0))
                    .ok_or_else(|| format!("{a} needs a positive whole number"))?;
                pass.extend([a.clone(), v.clone()]);
            }
            other => {
                return Err(format!(
                    "unknown upload-rss argument `{other}`; see `cargo xtask help`"
                ))
            }
        }
    }
    if build {
        python::build_wheel()?;
    } else {
        python::ensure_venv()?;
    }
    sh::run(
        Command::new(python::venv_python())
            .current_dir(sh::root())
            .args(["benches/upload_rss.py", "--write", "benches/RESULTS.md"])
            .args(&pass),
    )
}
