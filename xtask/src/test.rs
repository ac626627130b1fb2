//! `cargo xtask test`: every test of the project, Rust first, then Python.

use crate::{py313, pyroot, python, sh};

/// Runs the Rust tests of the workspace (doctests included), then the Python tests
/// and the type checks of the `cello` package (`mypy --strict`, `stubtest`).
/// `--rust` or `--python` runs only one half; `--py313` and `--py314` run the Python
/// tests on CPython 3.13 / 3.14 too (see `pyroot.rs`); other arguments go to pytest.
pub fn run(args: &[String]) -> Result<(), String> {
    let rust_only = args.iter().any(|a| a == "--rust");
    let python_only = args.iter().any(|a| a == "--python");
    let on_py313 = args.iter().any(|a| a == "--py313");
    let on_py314 = args.iter().any(|a| a == "--py314");
    let extra: Vec<String> = args
        .iter()
        .filter(|a| !matches!(a.as_str(), "--rust" | "--python" | "--py313" | "--py314"))
        .cloned()
        .collect();
    if !python_only {
        // cello-py's unit tests start an interpreter in the test binary (pyo3's
        // `auto-initialize`, a dev-dependency feature): that needs a CPython with a
        // shared libpython (`python3`, or `PYO3_PYTHON`). They build with the default
        // `abi3` feature, so they exercise the limited-API code the wheel ships.
        // cello-anchors has no tests; excluding it keeps axum out of the test build.
        sh::run(sh::cargo().args(["test", "--workspace", "--exclude", "cello-anchors"]))?;
    }
    if !rust_only {
        let wheels = python::pytest(&extra)?;
        python::typecheck()?;
        if on_py313 {
            pyroot::PY313.pytest(&wheels, py313::PACKAGES, &extra)?;
        }
        if on_py314 {
            pyroot::PY314.pytest(&wheels, py313::PACKAGES, &extra)?;
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

/// `cargo xtask package`: every library crate packaged and built from its package as
/// crates.io would (`cargo publish --dry-run`, in dependency order; the crates that
/// must not be published say `publish = false`). `--allow-dirty`: nothing is uploaded,
/// and uncommitted work should be checked too.
pub fn package() -> Result<(), String> {
    forget_packaged_crates();
    sh::run(sh::cargo().args(["publish", "--dry-run", "--workspace", "--allow-dirty"]))
}

/// Removes what an earlier `cargo publish --dry-run --workspace` extracted of this
/// workspace's crates. The dry run checks each crate against the others' packages,
/// extracted under `$CARGO_HOME/registry/src/-<hash>/NAME-VERSION` (a local registry;
/// crates.io's directory does not start with `-`), and cargo reuses an extraction of
/// the same version: a copy from an earlier commit would stand in for today's.
fn forget_packaged_crates() {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")));
    let Some(Ok(registries)) = home.map(|h| std::fs::read_dir(h.join("registry/src"))) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for extracted in std::fs::read_dir(registry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = extracted.file_name().to_string_lossy().into_owned();
            if name.starts_with("cello-") {
                let _ = std::fs::remove_dir_all(extracted.path());
            }
        }
    }
}
