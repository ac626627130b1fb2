//! The Python side: a virtualenv in `.venv`, the `cello` wheel built by maturin and
//! installed into it, and the demo app.

use crate::sh;
use std::path::PathBuf;
use std::process::Command;

/// Packages the Python tests need besides cello itself.
const TEST_PACKAGES: &[&str] = &[
    "maturin>=1.9,<2",
    "pytest>=8",
    "httpx>=0.27",
    "h11>=0.14",
    "h2>=4.1",
    // WebSocket clients: websockets end to end, wsproto as a strict client on a raw
    // socket for the protocol errors (pinned: their framing checks change by release).
    "websockets==15.0.1",
    // Certificates for the TLS tests (pinned: the certificates it makes change by release).
    "trustme==1.2.1",
    "wsproto==1.2.0",
    // Model libraries beyond the stdlib (optional for users; bodies, responses and
    // the OpenAPI document are tested with them).
    "pydantic>=2.7,<3",
    "msgspec>=0.18",
    // Pinned: each mypy release checks stubs a little differently.
    "mypy==2.4.1",
    // The OpenAPI document is checked against the 3.1 schema and fuzzed from
    // (pinned: each schemathesis release generates and checks a little differently).
    "openapi-spec-validator>=0.7",
    "schemathesis==4.32.5",
];

/// The interpreter of the project's virtualenv.
pub fn venv_python() -> PathBuf {
    sh::root().join(".venv/bin/python")
}

/// Creates `.venv` (once) and installs the test tools into it.
pub fn ensure_venv() -> Result<(), String> {
    let py = venv_python();
    if !py.exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        sh::run(
            Command::new(base)
                .args(["-m", "venv"])
                .arg(sh::root().join(".venv")),
        )?;
    }
    // The stamp lists what was installed: a venv made before a package was added to
    // TEST_PACKAGES gets it on the next run.
    let stamp = sh::root().join(".venv/.cello-test-deps");
    let wanted = TEST_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        sh::run(
            Command::new(&py)
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .args(TEST_PACKAGES),
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Builds the abi3 wheel in release (maturin) and installs it into `.venv`.
pub fn build_wheel() -> Result<PathBuf, String> {
    ensure_venv()?;
    // Swagger UI and ReDoc for `/docs` and `/redoc`, shipped in the wheel.
    crate::npm_assets::ensure()?;
    maturin_install(None, "target/wheels")
}

/// Builds `examples/native-handler` (the `cello_native_example` module of native
/// handlers) and installs it into `.venv`, for `python/tests/test_native.py` and
/// `benches/apps/cello_native_app.py`. It shares the workspace's build cache, so after
/// the cello wheel it compiles only itself. Returns the wheel (abi3, as cello's), which
/// the CPython roots' runs install too.
pub fn build_native_example() -> Result<PathBuf, String> {
    ensure_venv()?;
    maturin_install(
        Some("examples/native-handler/Cargo.toml"),
        "target/wheels-native",
    )
}

/// `maturin build --release` of `manifest` (the root project when None) into `out`
/// (emptied first, relative to the workspace), then the wheel installed into `.venv`.
fn maturin_install(manifest: Option<&str>, out: &str) -> Result<PathBuf, String> {
    let wheels = sh::root().join(out);
    let _ = std::fs::remove_dir_all(&wheels);
    let mut build = Command::new(venv_python());
    build
        .current_dir(sh::root())
        .args(["-m", "maturin", "build", "--release"]);
    if let Some(manifest) = manifest {
        build.arg("--manifest-path").arg(manifest);
    }
    sh::run(build.arg("--out").arg(&wheels))?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("maturin produced no wheel in {out}"))?;
    sh::run(
        Command::new(venv_python())
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--force-reinstall",
                "--no-deps",
            ])
            .arg(&wheel),
    )?;
    Ok(wheel)
}

/// `cargo xtask build`: the Rust workspace, the Python package and the native-handler
/// example module.
pub fn build_all() -> Result<(), String> {
    // cello-anchors (raw hyper and axum) is built only to be measured (benches/NOTES.md).
    // The two Python modules are built by maturin, below.
    sh::run(sh::cargo().args([
        "build",
        "--release",
        "--workspace",
        "--exclude",
        "cello-py",
        "--exclude",
        "cello-anchors",
        "--exclude",
        "cello-native-example",
    ]))?;
    build_wheel()?;
    build_native_example().map(|_| ())
}

/// `cargo xtask demo`: builds everything and serves `examples/hello.py`.
pub fn demo() -> Result<(), String> {
    build_all()?;
    sh::run(
        Command::new(venv_python())
            .current_dir(sh::root())
            .arg("examples/hello.py"),
    )
}

/// Runs pytest on `python/tests` with the installed wheel; returns the wheel.
pub fn pytest(extra: &[String]) -> Result<Wheels, String> {
    let wheel = build_wheel()?;
    let native_example = build_native_example()?;
    sh::run(
        Command::new(venv_python())
            .current_dir(sh::root())
            .args(["-m", "pytest", "python/tests", "-q", "-ra"])
            .args(extra),
    )?;
    Ok(Wheels {
        cello: wheel,
        native_example,
    })
}

/// The wheels the Python tests run against: cello's, and the native-handler example's
/// (`python/tests/test_native.py` imports it).
pub struct Wheels {
    /// The cello wheel.
    pub cello: PathBuf,
    /// `examples/native-handler`'s wheel.
    pub native_example: PathBuf,
}

/// `mypy --strict` on the `cello` package (its sources in `python/cello`), then
/// `mypy.stubtest` on `cello._cello`: the installed native module against
/// `_cello.pyi`. Either one reporting an error fails.
pub fn typecheck() -> Result<(), String> {
    sh::run(Command::new(venv_python()).current_dir(sh::root()).args([
        "-m",
        "mypy",
        "--strict",
        "python/cello",
    ]))?;
    sh::run(Command::new(venv_python()).current_dir(sh::root()).args([
        "-m",
        "mypy.stubtest",
        "cello._cello",
    ]))
}
