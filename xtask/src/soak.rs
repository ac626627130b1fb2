//! `cargo xtask soak`: the release wheel serving `benches/apps/soak_app.py` under
//! mixed traffic for a while, its RSS, fds and connections sampled every 10 s.
//! The traffic and the verdict live in `benches/soak.py`, which says how "flat" is
//! judged; this verb builds, installs the client it needs and runs it.

use crate::{python, sh};
use std::process::Command;

/// `cargo xtask soak [--minutes N] [--no-build]`: N defaults to 30. `--no-build`
/// uses the wheel already installed in `.venv`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut minutes = "30".to_string();
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--minutes" => {
                minutes = it
                    .next()
                    .filter(|m| m.parse::<f64>().is_ok_and(|m| m > 0.0))
                    .ok_or("--minutes needs a positive number")?
                    .clone();
            }
            "--no-build" => build = false,
            other => {
                return Err(format!(
                    "unknown soak argument `{other}`; see `cargo xtask help`"
                ))
            }
        }
    }
    if build {
        python::build_wheel()?;
    } else {
        python::ensure_venv()?;
    }
    // The h2c traffic's client.
    sh::run(Command::new(python::venv_python()).args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "h2>=4,<5",
    ]))?;
    sh::run(
        Command::new(python::venv_python())
            .current_dir(sh::root())
            .args(["benches/soak.py", "--minutes", &minutes]),
    )
}
