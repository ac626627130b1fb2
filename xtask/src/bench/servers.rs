//! The servers under test: how each is started (pinned to CPU 1 with `taskset`), how we
//! know it is up, and how it is stopped with its whole process tree.

use super::{check, procstat};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Every server, in the order of the report.
pub const NAMES: &[&str] = &[
    "cello-python",
    "cello-rust",
    "robyn",
    "granian-rsgi",
    "fastapi-uvicorn",
];

/// `name` as one of [`NAMES`], or an error listing them.
pub fn known(name: &str) -> Result<&'static str, String> {
    NAMES.iter().find(|n| **n == name).copied().ok_or_else(|| {
        format!(
            "no server called `{name}`; the servers are {}",
            NAMES.join(", ")
        )
    })
}

/// Where the servers' programs are.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The workspace root.
    pub root: PathBuf,
    /// The bench virtualenv's `bin/` (python, granian, uvicorn).
    pub venv_bin: PathBuf,
}

impl Layout {
    /// The bench virtualenv's interpreter.
    pub fn python(&self) -> PathBuf {
        self.venv_bin.join("python")
    }

    /// The Cello pure-Rust reference binary.
    pub fn cello_hello(&self) -> PathBuf {
        self.root.join("target/release/cello-hello")
    }

    /// `benches/apps`, where the Python apps live.
    pub fn apps(&self) -> PathBuf {
        self.root.join("benches/apps")
    }
}

/// How to start one server on one port (without the `taskset` prefix).
#[derive(Debug, Clone)]
pub struct Spec {
    /// The server's name in the report.
    pub name: &'static str,
    /// The port it serves on, at 127.0.0.1.
    pub port: u16,
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub cwd: PathBuf,
    /// The CPUs it is pinned to (`taskset -c`), or `None`: not pinned (the workers row).
    pub cpus: Option<&'static str>,
    /// Whether it serves HTTPS (readiness is then asked over TLS, with curl).
    pub tls: bool,
}

impl Spec {
    /// `name` served on `port`, one process and one worker.
    pub fn new(name: &'static str, port: u16, layout: &Layout) -> Spec {
        let py = layout.python().display().to_string();
        let bin = |b: &str| layout.venv_bin.join(b).display().to_string();
        let p = port.to_string();
        let argv: Vec<String> = match name {
            "cello-python" => vec![py, "cello_app.py".into(), p],
            "cello-rust" => vec![
                layout.cello_hello().display().to_string(),
                format!("127.0.0.1:{p}"),
            ],
            "robyn" => vec![
                py,
                "robyn_app.py".into(),
                "--processes".into(),
                "1".into(),
                "--workers".into(),
                "1".into(),
                "--log-level".into(),
                "WARNING".into(),
            ],
            "granian-rsgi" => [
                bin("granian").as_str(),
                "--interface",
                "rsgi",
                "--host",
                "127.0.0.1",
                "--port",
                &p,
                "--workers",
                "1",
                "--runtime-mode",
                "st",
                "--loop",
                "uvloop",
                "--log-level",
                "warning",
                "--no-access-log",
                "granian_rsgi_app:app",
            ]
            .map(String::from)
            .to_vec(),
            _ => [
                bin("uvicorn").as_str(),
                "fastapi_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                &p,
                "--workers",
                "1",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            .map(String::from)
            .to_vec(),
        };
        let env = if name == "robyn" {
            vec![("PORT".into(), port.to_string())]
        } else {
            vec![]
        };
        Spec {
            name,
            port,
            argv,
            env,
            cwd: layout.apps(),
            cpus: Some("1"),
            tls: false,
        }
    }

    /// The command line as a reader would type it (from `benches/apps`).
    pub fn shown(&self, root: &Path) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(cpus) = self.cpus {
            parts.push(format!("taskset -c {cpus}"));
        }
        for a in &self.argv {
            parts.push(
                a.strip_prefix(&format!("{}/", root.display()))
                    .unwrap_or(a)
                    .to_owned(),
            );
        }
        parts.join(" ")
    }
}

/// A server that answered; stopped (with its whole tree) when dropped.
pub struct Running {
    /// How it was started.
    pub spec: Spec,
    child: Child,
}

impl Running {
    /// Starts `spec` on its CPUs, its output in `log_dir/<name>.log`, and waits up to 60 s
    /// for it to answer `/plaintext` (over TLS when it serves HTTPS).
    pub fn start(spec: &Spec, log_dir: &Path) -> Result<Running, String> {
        let log_path = log_dir.join(format!("{}.log", spec.name));
        let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = match spec.cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).args(&spec.argv);
                c
            }
            None => {
                let (program, args) = spec
                    .argv
                    .split_first()
                    .ok_or_else(|| format!("{}: no command to run", spec.name))?;
                let mut c = Command::new(program);
                c.args(args);
                c
            }
        };
        let child = cmd
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&spec.cwd)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.argv.join(" ")))?;
        let mut running = Running {
            spec: spec.clone(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if answers(spec) {
                return Ok(running);
            }
            if let Ok(Some(status)) = running.child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before answering; {}",
                    spec.name,
                    tail(&log_path)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer within 60 s; {}",
                    spec.name,
                    tail(&log_path)
                ));
            }
            sleep(Duration::from_millis(200));
        }
    }

    /// The server's process tree now (the `taskset` process has exec'd into the server).
    pub fn pids(&self) -> Vec<u32> {
        procstat::tree(self.child.id())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SIGINT first (graceful), then SIGKILL: Robyn does not always exit on a signal.
        let pids = self.pids();
        signal("-INT", &pids);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            sleep(Duration::from_millis(100));
        }
        signal("-KILL", &pids);
        let _ = self.child.wait();
    }
}

fn signal(sig: &str, pids: &[u32]) {
    let _ = Command::new("kill")
        .arg(sig)
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// Whether `spec`'s server answers `/plaintext`: plain HTTP on a socket, or HTTPS with
/// curl (the certificate is self-signed, hence `-k`).
fn answers(spec: &Spec) -> bool {
    if !spec.tls {
        return check::get(spec.port, check::PLAINTEXT.path).is_ok();
    }
    Command::new("curl")
        .args(["-skf", "-o", "/dev/null"])
        .arg(format!(
            "https://127.0.0.1:{}{}",
            spec.port,
            check::PLAINTEXT.path
        ))
        .status()
        .is_ok_and(|s| s.success())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines[lines.len().saturating_sub(8)..].join("\n    ");
    format!("last lines of {}:\n    {last}", log.display())
}
