//! `cargo xtask docs`: the documentation site, mkdocs-material with mkdocstrings, built
//! with `--strict` into `target/site`.
//!
//! The packages come from PyPI, pinned in `docs/requirements.txt`, into their own
//! virtualenv (`target/docs-venv`), so the site's tools never mix with the test venv.
//! The build itself needs no network: `mkdocs.yml` turns off web fonts, and the API
//! pages are read from `python/cello` (and `_cello.pyi`) by griffe, with no wheel.

use crate::sh;
use std::path::PathBuf;
use std::process::Command;

fn docs_python() -> PathBuf {
    sh::root().join("target/docs-venv/bin/python")
}

/// Creates `target/docs-venv` (once) and installs `docs/requirements.txt` into it
/// whenever that file changed since the last install.
fn ensure_docs_venv() -> Result<(), String> {
    let py = docs_python();
    if !py.exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        sh::run(
            Command::new(base)
                .args(["-m", "venv"])
                .arg(sh::root().join("target/docs-venv")),
        )?;
    }
    let requirements = sh::root().join("docs/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let stamp = sh::root().join("target/docs-venv/.cello-docs-deps");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        sh::run(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Builds the site into `target/site`; any warning (a broken link, a page missing
/// from the nav, a docstring griffe cannot read) fails the build.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`docs` takes no arguments (got `{arg}`)"));
    }
    ensure_docs_venv()?;
    sh::run(
        Command::new(docs_python())
            .current_dir(sh::root())
            // Material 9.7+ prints a banner about its successor on every build.
            .env("NO_MKDOCS_2_WARNING", "1")
            .args(["-m", "mkdocs", "build", "--strict", "--site-dir"])
            .arg(sh::root().join("target/site")),
    )
}
