//! `cargo xtask test --py313`: the Python suite again on CPython 3.13.
//!
//! asyncio takes paths on 3.12+ that 3.11 never does (Tasks started with
//! `eager_start`, coroutines stepped with `PyIter_Send`, tasks registered
//! differently), and cello-py follows them. Debian 12 has only 3.11, so the suite runs
//! in the Debian 13 root that `../shared/tools/py313-peers.sh setup` makes (once per
//! machine), with the same abi3 wheel.

use crate::sh;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the tests need besides cello, for CPython 3.13 (pure-Python wheels).
const PACKAGES: &[&str] = &[
    "pytest>=8",
    "httpx>=0.27",
    "h11>=0.14",
    "h2>=4.1",
    "websockets==15.0.1",
    // Certificates for the TLS tests (pinned: the certificates it makes change by release).
    "trustme==1.2.1",
    "wsproto==1.2.0",
    "openapi-spec-validator>=0.7",
    "schemathesis==4.32.5",
    "pydantic>=2.7,<3",
    "msgspec>=0.18",
];

/// The venv inside the root.
const VENV: &str = "/opt/cello-tests";

fn root() -> PathBuf {
    PathBuf::from(std::env::var("TRIXIE_ROOT").unwrap_or_else(|_| "/opt/trixie".into()))
}

fn chroot(root: &Path) -> Command {
    let mut c = Command::new("chroot");
    c.arg(root);
    c
}

/// Runs `python/tests` on CPython 3.13 against `wheel`; `extra` goes to pytest.
pub fn pytest(wheel: &Path, extra: &[String]) -> Result<(), String> {
    let root = root();
    if !root.join("usr/bin/python3.13").exists() || !root.join("proc/self").exists() {
        let setup = sh::root().join("../shared/tools/py313-peers.sh");
        if !setup.exists() {
            return Err(format!(
                "{} is missing: it builds the CPython 3.13 root these tests run in",
                setup.display()
            ));
        }
        sh::run(Command::new("bash").arg(&setup).arg("setup"))?;
    }
    if !root
        .join(VENV.trim_start_matches('/'))
        .join("bin/python")
        .exists()
    {
        sh::run(chroot(&root).args(["python3", "-m", "venv", VENV]))?;
    }
    // Fetched with the host's pip (and its certificates), installed offline in the root.
    let wheels = root.join("tmp/cello-test-wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    std::fs::create_dir_all(&wheels).map_err(|e| format!("{}: {e}", wheels.display()))?;
    sh::run(
        Command::new(crate::python::venv_python())
            .args(["-m", "pip", "download", "-q", "--disable-pip-version-check"])
            .args(["--only-binary=:all:", "--python-version", "3.13", "-d"])
            .arg(&wheels)
            .args(PACKAGES),
    )?;
    let name = wheel
        .file_name()
        .ok_or("the cello wheel has no file name")?
        .to_string_lossy()
        .into_owned();
    std::fs::copy(wheel, wheels.join(&name)).map_err(|e| e.to_string())?;
    let pip = format!("{VENV}/bin/pip");
    sh::run(
        chroot(&root)
            .args([
                &pip,
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-index",
            ])
            .args(["--find-links", "/tmp/cello-test-wheels"])
            .args(PACKAGES),
    )?;
    sh::run(chroot(&root).args([
        &pip,
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-index",
        "--force-reinstall",
        "--no-deps",
        &format!("/tmp/cello-test-wheels/{name}"),
    ]))?;
    // The tests and the Python examples, in the repository's layout (tests find
    // `examples/` next to `python/`).
    let tree = root.join("tmp/cello-tree");
    let _ = std::fs::remove_dir_all(&tree);
    let tests = tree.join("python/tests");
    let examples = tree.join("examples");
    for dir in [&tests, &examples] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    sh::run(
        Command::new("cp")
            .arg("-rT")
            .arg(sh::root().join("python/tests"))
            .arg(&tests),
    )?;
    for example in std::fs::read_dir(sh::root().join("examples")).map_err(|e| e.to_string())? {
        let path = example.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if path.extension().is_some_and(|x| x == "py") {
            std::fs::copy(&path, examples.join(name)).map_err(|e| e.to_string())?;
        } else if name == "public" {
            // The static directory `files.py` serves.
            sh::run(
                Command::new("cp")
                    .arg("-rT")
                    .arg(&path)
                    .arg(examples.join(name)),
            )?;
        }
    }
    sh::run(
        chroot(&root)
            .args(["env", "-C", "/tmp/cello-tree/python/tests"])
            .arg(format!("{VENV}/bin/python"))
            .args(["-m", "pytest", ".", "-q", "-ra", "-p", "no:cacheprovider"])
            // The slow-client attacks test the Rust engine's timeouts, not the
            // interpreter, and need slowhttptest, which the 3.13 root lacks: they run
            // once, in the 3.11 run.
            .arg("--ignore=test_slow_clients.py")
            .args(extra),
    )
}
