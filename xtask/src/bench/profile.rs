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
    // every process of the tree: Granian and Robyn serve from a child process
    let pids = server
        .pids()
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let record_cmd = format!(
        "perf record -g -p {pids} -o {} -- sleep {secs}",
        data.display()
    );
    let perf = Command::new("perf")
        .args(["record", "-g", "-p", &pids, "-o"])
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
    const BY_DSO: &[&str] = &[
        "--no-children",
        "--sort",
        "dso",
        "-g",
        "none",
        "--percent-limit",
        "1",
    ];
    const FLAT: &[&str] = &[
        "--no-children",
        "-F",
        "overhead,dso,sym",
        "-g",
        "none",
        "--percent-limit",
        "0.5",
    ];
    const GRAPH: &[&str] = &["--no-children", "--percent-limit", "3"];
    let rows = |text: String| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    let by_dso = rows(report(BY_DSO)?).join("\n");
    let flat = rows(report(FLAT)?);
    let graph: Vec<String> = report(GRAPH)?
        .lines()
        .take(600)
        .map(str::to_owned)
        .collect();
    let text = format!(
        "{} serving /json under wrk -t1 -c64 ({:.0} req/s while recorded).\n\
         Recorded with: {record_cmd}\n\n\
         By shared object: perf report --stdio {}\n\n{by_dso}\n\n\
         Flat: perf report --stdio {}\n\n{}\n\n\
         Call graphs: perf report --stdio {}\n\n{}\n",
        server.spec.name,
        load.rps,
        BY_DSO.join(" "),
        FLAT.join(" "),
        flat.join("\n"),
        GRAPH.join(" "),
        graph.join("\n"),
    );
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(format!(
        "`{record_cmd}` while wrk loads `/json`; full text in `benches/{}`. Self time by shared object, then the top symbols:\n\n```\n{by_dso}\n\n{}\n```\n",
        out.file_name().map_or(String::new(), |f| f.to_string_lossy().into_owned()),
        flat.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    ))
}
