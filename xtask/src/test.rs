//! `cargo xtask test`: every test of the project, Rust first, then Python.

use crate::{python, sh};

/// Runs the Rust tests of the workspace (doctests included), then the Python tests.
/// `--rust` or `--python` runs only one half; other arguments go to pytest.
pub fn run(args: &[String]) -> Result<(), String> {
    let rust_only = args.iter().any(|a| a == "--rust");
    let python_only = args.iter().any(|a| a == "--python");
    let extra: Vec<String> = args
        .iter()
        .filter(|a| *a != "--rust" && *a != "--python")
        .cloned()
        .collect();
    if !python_only {
        // cello-py is a Python extension: it is tested through pytest below.
        sh::run(sh::cargo().args(["test", "--workspace", "--exclude", "cello-py"]))?;
    }
    if !rust_only {
        python::pytest(&extra)?;
    }
    Ok(())
}

/// `cargo xtask lint`: formatting and clippy, warnings as errors.
pub fn lint() -> Result<(), String> {
    sh::run(sh::cargo().args(["fmt", "--all", "--", "--check"]))?;
    sh::run(sh::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}
