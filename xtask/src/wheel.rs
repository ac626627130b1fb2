//! `cargo xtask wheel`: the wheel anyone can install, and the sdist.
//!
//! One abi3 wheel (every CPython >= 3.10) linked against glibc 2.17 (manylinux2014), so
//! it installs on any Linux distribution of the last decade, not only the one that built
//! it: maturin links through zig (`--zig`, the `ziglang` package from PyPI), which
//! targets an old glibc from any host. `auditwheel show` then has to agree that the
//! wheel is manylinux2014, or the build fails. The sdist carries the Swagger UI and
//! ReDoc assets, so building it needs only crates.io and PyPI.
//!
//! `--smoke` then installs the wheel alone into clean venvs on CPython 3.11 (the host),
//! 3.13 and 3.14 (the roots of `pyroot.rs`) and runs `xtask/wheel_smoke.py` in each;
//! `--smoke-sdist` installs the sdist (a source build, minutes) into a clean 3.11 venv
//! and runs it there.

use crate::{pyroot, sh};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The build tools, pinned: a new maturin or zig can change what the wheel links.
const TOOLS: &[&str] = &["maturin==1.16.0", "ziglang==0.15.2", "auditwheel==6.8.2"];

/// The platform tag manylinux2014 is an alias of.
const MANYLINUX: &str = "manylinux_2_17_x86_64";

/// Ports the smoke tests serve on, one per interpreter (3.11, 3.13, 3.14, sdist).
const SMOKE_PORTS: [u16; 4] = [18761, 18762, 18763, 18764];

/// `cargo xtask wheel [--smoke] [--smoke-sdist]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut smoke = false;
    let mut smoke_sdist = false;
    for arg in args {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--smoke-sdist" => smoke_sdist = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (--smoke, --smoke-sdist)"
                ))
            }
        }
    }
    let (wheel, sdist) = build()?;
    if smoke {
        let script = sh::root().join("xtask/wheel_smoke.py");
        smoke_host(&Install::Wheel(&wheel), &script, SMOKE_PORTS[0])?;
        pyroot::PY313.smoke(&wheel, &script, SMOKE_PORTS[1])?;
        pyroot::PY314.smoke(&wheel, &script, SMOKE_PORTS[2])?;
    }
    if smoke_sdist {
        let script = sh::root().join("xtask/wheel_smoke.py");
        smoke_host(&Install::Sdist(&sdist), &script, SMOKE_PORTS[3])?;
    }
    eprintln!("wheel: {}\nsdist: {}", wheel.display(), sdist.display());
    Ok(())
}

/// Builds the manylinux2014 wheel and the sdist into `target/wheels/`; returns both.
pub fn build() -> Result<(PathBuf, PathBuf), String> {
    let tools = tools_venv()?;
    // Swagger UI and ReDoc for `/docs` and `/redoc`: in the wheel and in the sdist.
    crate::npm_assets::ensure()?;
    let out = sh::root().join("target/wheels");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for old in cello_files(&out)? {
        std::fs::remove_file(&old).map_err(|e| format!("{}: {e}", old.display()))?;
    }
    sh::run(
        with_tools(&tools, "maturin")
            .args([
                "build",
                "--release",
                "--zig",
                "--compatibility",
                "manylinux2014",
                "--out",
            ])
            .arg(&out),
    )?;
    sh::run(
        with_tools(&tools, "maturin")
            .args(["sdist", "--out"])
            .arg(&out),
    )?;
    let files = cello_files(&out)?;
    let pick = |suffix: &str| {
        files
            .iter()
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .cloned()
            .ok_or_else(|| format!("maturin left no cello-*{suffix} in {}", out.display()))
    };
    let (wheel, sdist) = (pick(".whl")?, pick(".tar.gz")?);
    let name = wheel.file_name().unwrap_or_default().to_string_lossy();
    if !name.contains("-abi3-") || !name.contains(MANYLINUX) {
        return Err(format!("{name} is not an abi3 {MANYLINUX} wheel"));
    }
    audit(&tools, &wheel)?;
    check_assets(
        &wheel,
        &[
            "cello/_static/swagger-ui/swagger-ui-bundle.js",
            "cello/_static/redoc/redoc.standalone.js",
        ],
    )?;
    check_assets(
        &sdist,
        &[
            "python/cello/_static/swagger-ui/swagger-ui-bundle.js",
            "python/cello/_static/redoc/redoc.standalone.js",
        ],
    )?;
    Ok((wheel, sdist))
}

/// `target/wheel-tools`: a venv with the pinned build tools (made once).
fn tools_venv() -> Result<PathBuf, String> {
    let venv = sh::root().join("target/wheel-tools");
    let python = venv.join("bin/python");
    if !python.exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        sh::run(Command::new(base).args(["-m", "venv"]).arg(&venv))?;
    }
    let stamp = venv.join(".cello-tools");
    let wanted = TOOLS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        sh::run(
            Command::new(&python)
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .args(TOOLS),
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    }
    Ok(venv)
}

/// A tool of the venv, run from the workspace root with the venv first on `PATH` (so
/// maturin finds that venv's `python -m ziglang`).
fn with_tools(venv: &Path, tool: &str) -> Command {
    let bin = venv.join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let mut c = Command::new(bin.join(tool));
    c.current_dir(sh::root())
        .env("PATH", std::env::join_paths(paths).unwrap_or(path))
        .env("VIRTUAL_ENV", venv);
    c
}

fn cello_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("cello-") && (name.ends_with(".whl") || name.ends_with(".tar.gz"))
        })
        .collect())
}

/// `auditwheel show` must name manylinux2014 (`manylinux_2_17`) as the wheel's tag.
fn audit(tools: &Path, wheel: &Path) -> Result<(), String> {
    let report = sh::output(with_tools(tools, "auditwheel").arg("show").arg(wheel))?;
    eprintln!("{}", report.trim());
    let flat = report.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.contains(&format!("platform tag: \"{MANYLINUX}\"")) {
        Ok(())
    } else {
        Err(format!(
            "auditwheel does not find {} compatible with {MANYLINUX} (manylinux2014): see its report above",
            wheel.display()
        ))
    }
}

/// The archive (a wheel or an sdist) must hold `members` (the npm assets).
fn check_assets(archive: &Path, members: &[&str]) -> Result<(), String> {
    let listing = if archive.extension().is_some_and(|x| x == "whl") {
        sh::output(Command::new("unzip").arg("-Z1").arg(archive))?
    } else {
        sh::output(Command::new("tar").arg("-tzf").arg(archive))?
    };
    for member in members {
        if !listing.lines().any(|l| l.ends_with(member)) {
            return Err(format!(
                "{} lacks {member}: the Swagger UI/ReDoc assets did not make it in (pyproject.toml's include)",
                archive.display()
            ));
        }
    }
    Ok(())
}

/// What a host smoke test installs.
enum Install<'a> {
    /// A built wheel: `pip install --no-index`, nothing else needed.
    Wheel(&'a Path),
    /// The sdist: pip builds it (maturin from PyPI, crates from crates.io, Rust).
    Sdist(&'a Path),
}

/// A clean venv on the host's CPython with only cello installed, then the smoke test.
fn smoke_host(install: &Install, script: &Path, port: u16) -> Result<(), String> {
    let venv = sh::root().join("target/wheel-smoke");
    let _ = std::fs::remove_dir_all(&venv);
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    sh::run(Command::new(base).args(["-m", "venv"]).arg(&venv))?;
    let mut pip = Command::new(venv.join("bin/python"));
    pip.args(["-m", "pip", "install", "-q", "--disable-pip-version-check"]);
    match install {
        Install::Wheel(wheel) => pip.arg("--no-index").arg(wheel),
        // The sdist's crates compile from its own sources; the workspace's target
        // directory only saves compiling the crates.io dependencies again.
        // `--no-cache-dir`: pip's cache of wheels built from sdists would skip the build.
        Install::Sdist(sdist) => pip
            .env("CARGO_TARGET_DIR", sh::root().join("target"))
            .arg("--no-cache-dir")
            .arg(sdist),
    };
    sh::run(&mut pip)?;
    sh::run(
        Command::new(venv.join("bin/python"))
            .arg(script)
            .arg(port.to_string()),
    )
}
