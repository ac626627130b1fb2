//! A `perf` profile of the Cello server while wrk loads `/json`, saved as text next to the
//! results (`benches/profile-json.txt`).

use super::setup::{ensure_apt_tool, has};
use super::{check, servers::Running, wrk};
use std::path::Path;
use std::process::{Command, Stdio};

/// Records `secs` seconds of `server` under `/json` load and writes the report to `out`.
/// Returns the section for RESULTS.md (the top of the flat profile), or why perf could not.
pub fn run(server: &Running, secs: u64, data: &Path, out: &Path) -> Result<String, String> {
    if !has("perf") {
        ensure_apt_tool("perf", "linux-perf")?;
    }
    check::check(server.spec.port, &check::JSON)?;
    let record_cmd = format!(
        "perf record -g -p {} -o {} -- sleep {secs}",
        server.pid(),
        data.display()
    );
    let perf = Command::new("perf")
        .args(["record", "-g", "-p", &server.pid().to_string(), "-o"])
        .arg(data)
        .args(["--", "sleep", &secs.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("perf is not usable here: {e}"))?;
    let url = format!("http://127.0.0.1:{}{}", server.spec.port, check::JSON.path);
    let load = wrk::run(&url, secs, None);
    let done = perf.wait_with_output().map_err(|e| e.to_string())?;
    if !done.status.success() {
        return Err(format!(
            "perf record is not supported on this machine ({}): {}",
            done.status,
            String::from_utf8_lossy(&done.stderr).trim()
        ));
    }
    let load = load?;
    let report = |extra: &[&str]| -> Result<String, String> {
        let o = Command::new("perf")
            .args(["report", "--stdio", "-i"])
            .arg(data)
            .args(extra)
            .output()
            .map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let flat = report(&[
        "--no-children",
        "--sort",
        "dso,symbol",
        "-g",
        "none",
        "--percent-limit",
        "0.5",
    ])?;
    let graph = report(&["--no-children", "--percent-limit", "3"])?;
    let flat_lines: Vec<&str> = flat
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let graph_lines: Vec<&str> = graph.lines().take(600).collect();
    let text = format!(
        "Cello (Python app, benches/apps/cello_app.py) serving /json under wrk -t1 -c64 ({:.0} req/s while recorded).\n\
         Recorded with: {record_cmd}\n\
         Flat: perf report --stdio --no-children --sort dso,symbol -g none --percent-limit 0.5\n\n{}\n\n\
         Call graphs (entries >= 3%): perf report --stdio --no-children --percent-limit 3\n\n{}\n",
        load.rps,
        flat_lines.join("\n"),
        graph_lines.join("\n"),
    );
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(format!(
        "`{record_cmd}` while wrk loads `/json`; full text in `benches/profile-json.txt`. Top entries (self time):\n\n```\n{}\n```\n",
        flat_lines.iter().take(20).copied().collect::<Vec<_>>().join("\n")
    ))
}
