//! `cargo xtask test`: every test of the project, Rust first, then Python.

use crate::{py313, python, sh};

/// Runs the Rust tests of the workspace (doctests included), then the Python tests
/// and the type checks of the `cello` package (`mypy --strict`, `stubtest`).
/// `--rust` or `--python` runs only one half; `--py313` runs the Python tests on
/// CPython 3.13 too (see `py313.rs`); other arguments go to pytest.
pub fn run(args: &[String]) -> Result<(), String> {
    let rust_only = args.iter().any(|a| a == "--rust");
    let python_only = args.iter().any(|a| a == "--python");
    let on_py313 = args.iter().any(|a| a == "--py313");
    let extra: Vec<String> = args
        .iter()
        .filter(|a| !matches!(a.as_str(), "--rust" | "--python" | "--py313"))
        .cloned()
        .collect();
    if !python_only {
        // cello-py's unit tests start an interpreter in the test binary (pyo3's
        // `auto-initialize`, a dev-dependency feature): that needs a CPython with a
        // shared libpython (`python3`, or `PYO3_PYTHON`). They build with the default
        // `abi3` feature, so they exercise the limited-API code the wheel ships.
        sh::run(sh::cargo().args(["test", "--workspace"]))?;
    }
    if !rust_only {
        let wheel = python::pytest(&extra)?;
        python::typecheck()?;
        if on_py313 {
            py313::pytest(&wheel, &extra)?;
        }
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
