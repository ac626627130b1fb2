//! Getting ready: Cello built in release, the bench virtualenv with the peers, wrk and
//! perf installed, and the facts about the machine the report starts with.

use super::options::Options;
use super::servers::Layout;
use crate::{python, sh};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The peers, pinned to versions verified to install on CPython 3.11 here
/// (robyn 0.88 requires uvloop 0.22, hence not the newest; websockets is the peer of
/// the WebSocket echo row, and the version uvicorn[standard] resolves to).
pub const PEERS: &[&str] = &[
    "robyn==0.88.0",
    "granian[uvloop]==2.8.7",
    "uvloop==0.22.1",
    "fastapi==0.163.2",
    "uvicorn[standard]==0.54.0",
    "orjson==3.13.0",
    "websockets==17.4",
];

/// What was prepared; a Cello part that failed to build is an error here, not a stop:
/// the peers still run and the report says why Cello is missing.
#[derive(Debug)]
pub struct Prepared {
    /// Where everything is.
    pub layout: Layout,
    /// The Cello wheel (installed in the bench virtualenv when built), or why there is none.
    pub wheel: Result<PathBuf, String>,
    /// Whether the bench virtualenv can run the Cello app, or why not.
    pub cello_python: Result<(), String>,
    /// The Cello pure-Rust reference binary, or why there is none.
    pub rust: Result<PathBuf, String>,
}

/// Builds and installs what the run needs.
pub fn prepare(opts: &Options) -> Result<Prepared, String> {
    let root = sh::root();
    let layout = Layout {
        root: root.clone(),
        venv_bin: root.join(".bench/venv/bin"),
    };
    ensure_apt_tool("wrk", "wrk")?;
    if opts.https || opts.workers {
        // the load generator's CPU time is read through GNU time
        ensure_apt_tool("/usr/bin/time", "time").map_err(|e| {
            format!("the https and workers rows need /usr/bin/time (apt package `time`): {e}")
        })?;
    }
    if opts.https {
        ensure_apt_tool("h2load", "nghttp2-client").map_err(|e| {
            format!("the https row needs h2load (apt package `nghttp2-client`; `--no-https` leaves the row out): {e}")
        })?;
    }
    bench_venv(&layout)?;
    let rust = if opts.build {
        sh::run(sh::cargo().args(["build", "--release", "-p", "cello-example"]))
            .map_err(|e| format!("the release build failed: {e}"))
    } else {
        Ok(())
    }
    .and_then(|()| {
        let bin = layout.cello_hello();
        if bin.exists() {
            Ok(bin)
        } else {
            Err(format!(
                "{} is missing; build it with `cargo build --release -p cello-example`",
                bin.display()
            ))
        }
    });
    let wheel = if opts.build {
        python::build_wheel()
            .map_err(|e| format!("the wheel build failed: {e}"))
            .and_then(|w| {
                let reinstall = [
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "--force-reinstall",
                    "--no-deps",
                ];
                pip(&layout, &reinstall, &[w.display().to_string()]).map(|()| w)
            })
    } else {
        existing_wheel(&root)
    };
    // what runs is what the bench venv imports: with --no-build that may be an earlier
    // install even when target/wheels is empty
    let cello_python = match (&wheel, probe_cello(&layout)) {
        (Err(e), Err(probe)) => Err(format!("{e}; and {probe}")),
        (_, probe) => probe,
    };
    Ok(Prepared {
        layout,
        wheel,
        cello_python,
        rust,
    })
}

/// Whether the bench venv imports a `cello` that has the API the app uses.
fn probe_cello(layout: &Layout) -> Result<(), String> {
    let probe = Command::new(layout.python())
        .args(["-c", "import cello; cello.App"])
        .output()
        .map_err(|e| e.to_string())?;
    if probe.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&probe.stderr);
    let last = stderr.trim().lines().last().unwrap_or("").to_owned();
    Err(format!(
        "`import cello; cello.App` fails in the bench venv: {last}"
    ))
}

fn existing_wheel(root: &std::path::Path) -> Result<PathBuf, String> {
    std::fs::read_dir(root.join("target/wheels"))
        .map_err(|_| "no wheel in target/wheels (run without --no-build)".to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| "no wheel in target/wheels (run without --no-build)".into())
}

/// `.bench/venv` with the peers; a stamp file lists what was installed, so a second run
/// skips pip.
fn bench_venv(layout: &Layout) -> Result<(), String> {
    if !layout.python().exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        sh::run(
            Command::new(base)
                .args(["-m", "venv"])
                .arg(layout.root.join(".bench/venv")),
        )?;
    }
    let stamp = layout.root.join(".bench/venv/.cello-bench-peers");
    let wanted = PEERS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        pip(
            layout,
            &["install", "-q", "--disable-pip-version-check"],
            &PEERS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn pip(layout: &Layout, args: &[&str], more: &[String]) -> Result<(), String> {
    sh::run(
        Command::new(layout.python())
            .args(["-m", "pip"])
            .args(args)
            .args(more),
    )
}

/// Installs `package` with apt-get when `tool` is not on the PATH.
pub fn ensure_apt_tool(tool: &str, package: &str) -> Result<(), String> {
    if has(tool) {
        return Ok(());
    }
    static UPDATED: std::sync::Once = std::sync::Once::new();
    let mut update = Ok(());
    UPDATED.call_once(|| update = sh::run(Command::new("apt-get").args(["update", "-q"])));
    update?;
    sh::run(Command::new("apt-get").args(["install", "-y", "-q", package]))
}

/// Whether `tool` is on the PATH.
pub fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Cores, CPU model, kernel, OS, memory.
pub fn machine() -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_default();
    let mem = read("/proc/meminfo")
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    vec![
        ("cores (nproc)".into(), cores.to_string()),
        ("CPU".into(), model),
        (
            "kernel".into(),
            read("/proc/sys/kernel/osrelease").trim().to_owned(),
        ),
        ("OS".into(), os),
        ("memory".into(), mem),
    ]
}

/// Python, the peers, rustc, wrk, and the Cello commit and wheel.
pub fn versions(prepared: &Prepared) -> Vec<(String, String)> {
    let first_line = |cmd: &mut Command| {
        cmd.output()
            .ok()
            .map(|o| {
                let text = if o.stdout.is_empty() {
                    o.stderr
                } else {
                    o.stdout
                };
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_else(|| "unavailable".into())
    };
    let py = prepared.layout.python();
    let packages = first_line(Command::new(&py).args([
        "-c",
        "import importlib.metadata as m\nout=[]\nfor p in ['cello','robyn','granian','uvloop','fastapi','starlette','uvicorn','httptools','orjson','websockets']:\n  try: out.append(p+' '+m.version(p))\n  except Exception: out.append(p+' (not installed)')\nprint(', '.join(out))",
    ]));
    vec![
        (
            "Python (bench venv)".into(),
            first_line(Command::new(&py).arg("--version")),
        ),
        ("packages".into(), packages),
        ("rustc".into(), first_line(Command::new("rustc").arg("-V"))),
        ("wrk".into(), first_line(Command::new("wrk").arg("-v"))),
        ("Cello commit".into(), git_commit()),
        (
            "Cello wheel".into(),
            match &prepared.wheel {
                Ok(w) => w
                    .file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
                Err(e) => e.clone(),
            },
        ),
    ]
}

fn git_commit() -> String {
    let out = Command::new("git")
        .current_dir(sh::root())
        .args(["log", "-1", "--format=%h %s"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => "no commit yet".into(),
    }
}
