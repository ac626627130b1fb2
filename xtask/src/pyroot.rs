//! A chroot root holding another CPython (3.13 in Debian 13, 3.14 in Debian testing):
//! the Python suite and the wheel's smoke test run there with the same abi3 wheel.
//!
//! asyncio takes paths on 3.12+ that 3.11 never does (Tasks started with
//! `eager_start`, coroutines stepped with `PyIter_Send`, tasks registered
//! differently), and cello-py follows them. Debian 12 has only 3.11, so each newer
//! CPython lives in a root that a script in `../shared/tools/` builds with debootstrap
//! (once per machine). Wheels are fetched with the host's pip (and its certificates)
//! and installed offline in the root.

use crate::sh;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One root: where it is, which CPython it has, and the script that builds it.
pub struct Root {
    /// `3.13`: the version pip downloads wheels for, and `python3.13` in the root.
    pub version: &'static str,
    /// The environment variable that moves the root (the setup script reads it too).
    pub root_env: &'static str,
    /// Where the setup script puts the root by default.
    pub default_root: &'static str,
    /// The script in `../shared/tools/` that builds the root, and its arguments.
    pub setup: &'static [&'static str],
}

/// The test venv inside a root (each root has its own).
const VENV: &str = "/opt/cello-tests";

/// CPython 3.13 in the Debian 13 root of `py313-peers.sh`.
pub const PY313: Root = Root {
    version: "3.13",
    root_env: "TRIXIE_ROOT",
    default_root: "/opt/trixie",
    setup: &["py313-peers.sh", "setup"],
};

/// CPython 3.14 in the Debian testing root of `py314-root.sh`.
pub const PY314: Root = Root {
    version: "3.14",
    root_env: "FORKY_ROOT",
    default_root: "/opt/forky",
    setup: &["py314-root.sh", "setup"],
};

impl Root {
    /// The root's directory on the host.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(std::env::var(self.root_env).unwrap_or_else(|_| self.default_root.into()))
    }

    /// A command run inside the root.
    pub fn chroot(&self) -> Command {
        let mut c = Command::new("chroot");
        c.arg(self.dir());
        c
    }

    fn python(&self) -> String {
        format!("python{}", self.version)
    }

    /// Builds the root with its setup script unless it is there and mounted.
    pub fn ensure(&self) -> Result<PathBuf, String> {
        let dir = self.dir();
        let python = dir.join("usr/bin").join(self.python());
        if !python.exists() || !dir.join("proc/self").exists() {
            let (script, args) = self
                .setup
                .split_first()
                .ok_or("a root without a setup script")?;
            let setup = sh::root().join("../shared/tools").join(script);
            if !setup.exists() {
                return Err(format!(
                    "{} is missing: it builds the CPython {} root",
                    setup.display(),
                    self.version
                ));
            }
            sh::run(Command::new("bash").arg(&setup).args(args.iter()))?;
        }
        Ok(dir)
    }

    /// Downloads `packages` (binary wheels for this CPython) into `dir` in the root
    /// (`/tmp/...` there), with the cello `wheel` beside them; returns the wheel's
    /// path inside the root.
    fn stage(&self, dir: &str, wheel: &Path, packages: &[&str]) -> Result<String, String> {
        let staged = self.dir().join(dir.trim_start_matches('/'));
        let _ = std::fs::remove_dir_all(&staged);
        std::fs::create_dir_all(&staged).map_err(|e| format!("{}: {e}", staged.display()))?;
        if !packages.is_empty() {
            sh::run(
                Command::new(crate::python::venv_python())
                    .args(["-m", "pip", "download", "-q", "--disable-pip-version-check"])
                    .args([
                        "--only-binary=:all:",
                        "--python-version",
                        self.version,
                        "-d",
                    ])
                    .arg(&staged)
                    .args(packages),
            )?;
        }
        let name = wheel
            .file_name()
            .ok_or("the cello wheel has no file name")?
            .to_string_lossy()
            .into_owned();
        std::fs::copy(wheel, staged.join(&name)).map_err(|e| e.to_string())?;
        Ok(format!("{dir}/{name}"))
    }

    /// Runs `python/tests` on this CPython against `wheels` (cello's and the native
    /// example's); `extra` goes to pytest.
    pub fn pytest(
        &self,
        wheels: &crate::python::Wheels,
        packages: &[&str],
        extra: &[String],
    ) -> Result<(), String> {
        let wheel = &wheels.cello;
        let root = self.ensure()?;
        if !root
            .join(VENV.trim_start_matches('/'))
            .join("bin/python")
            .exists()
        {
            sh::run(self.chroot().args([&self.python(), "-m", "venv", VENV]))?;
        }
        let staged = "/tmp/cello-test-wheels";
        let in_root = self.stage(staged, wheel, packages)?;
        let pip = format!("{VENV}/bin/pip");
        let pip_install = ["install", "-q", "--disable-pip-version-check", "--no-index"];
        sh::run(
            self.chroot()
                .arg(&pip)
                .args(pip_install)
                .args(["--find-links", staged])
                .args(packages),
        )?;
        sh::run(self.chroot().arg(&pip).args(pip_install).args([
            "--force-reinstall",
            "--no-deps",
            &in_root,
        ]))?;
        let example = self.stage("/tmp/cello-test-native", &wheels.native_example, &[])?;
        sh::run(self.chroot().arg(&pip).args(pip_install).args([
            "--force-reinstall",
            "--no-deps",
            &example,
        ]))?;
        copy_tests(&root.join("tmp/cello-tree"))?;
        sh::run(
            self.chroot()
                .args(["env", "-C", "/tmp/cello-tree/python/tests"])
                .arg(format!("{VENV}/bin/python"))
                .args(["-m", "pytest", ".", "-q", "-ra", "-p", "no:cacheprovider"])
                // The slow-client attacks test the Rust engine's timeouts, not the
                // interpreter, and need slowhttptest, which the roots lack: they run
                // once, in the 3.11 run.
                .arg("--ignore=test_slow_clients.py")
                .args(extra),
        )
    }

    /// Installs `wheel` alone into a new venv in the root and runs `script` (the
    /// smoke test) there with `port`.
    pub fn smoke(&self, wheel: &Path, script: &Path, port: u16) -> Result<(), String> {
        self.ensure()?;
        let staged = "/tmp/cello-smoke";
        let in_root = self.stage(staged, wheel, &[])?;
        std::fs::copy(script, self.dir().join("tmp/cello-smoke/smoke.py"))
            .map_err(|e| format!("{}: {e}", script.display()))?;
        let venv = "/tmp/cello-smoke/venv";
        sh::run(self.chroot().args([&self.python(), "-m", "venv", venv]))?;
        sh::run(self.chroot().arg(format!("{venv}/bin/pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            &in_root,
        ]))?;
        sh::run(
            self.chroot()
                .arg(format!("{venv}/bin/python"))
                .arg("/tmp/cello-smoke/smoke.py")
                .arg(port.to_string()),
        )
    }
}

/// The tests, the Python examples and the docs, in the repository's layout (tests find
/// `examples/` and `docs/` next to `python/`), copied to `tree`.
fn copy_tests(tree: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(tree);
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
    // The docs, whose samples test_docs_samples.py runs.
    sh::run(
        Command::new("cp")
            .arg("-rT")
            .arg(sh::root().join("docs"))
            .arg(tree.join("docs")),
    )
}
