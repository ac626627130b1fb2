//! The project's shared measuring tools in `../shared/tools`: instructions per request
//! (callgrind) and the CPython 3.13 peers run.

use super::servers::{free_port, Layout};
use super::setup::ensure_apt_tool;
use crate::sh;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `../shared/tools/<name>`, beside the workspace.
pub fn tool(name: &str) -> PathBuf {
    sh::root().join("../shared/tools").join(name)
}

/// One server and path to count: the server's name, the path, and its command given the port.
pub struct Count<'a> {
    /// Server name in the report.
    pub server: &'a str,
    /// Request path.
    pub path: &'a str,
    /// argv of the server for a port.
    pub argv: Box<dyn Fn(u16) -> Vec<String> + 'a>,
}

/// Runs `instr-per-request.sh` for each count; returns the report section.
pub fn instructions(layout: &Layout, counts: &[Count]) -> Result<String, String> {
    ensure_apt_tool("valgrind", "valgrind")?;
    let script = tool("instr-per-request.sh");
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    let mut md = String::from(
        "User-space instructions per request over all server threads (callgrind; repeat runs agree within 0.2%). \
         DESIGN.md's targets: `/json` ≤ 19,000, `/async-json` ≤ 1.1× `/json`.\n\n\
         | server | path | instructions per request | command |\n|---|---|---:|---|\n",
    );
    for c in counts {
        let port = free_port()?;
        let argv = (c.argv)(port);
        let shown = format!(
            "instr-per-request.sh {port} {} -- {}",
            c.path,
            argv.join(" ")
        );
        eprintln!("+ {shown}");
        let out = Command::new("bash")
            .arg(&script)
            .arg(port.to_string())
            .arg(c.path)
            .arg("--")
            .args(&argv)
            .current_dir(layout.apps())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let figure = text
            .lines()
            .find_map(|l| l.strip_prefix("instructions_per_request="))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("failed ({}): {}", out.status, text.trim()));
        md.push_str(&format!(
            "| {} | `{}` | {figure} | `{shown}` |\n",
            c.server, c.path
        ));
    }
    Ok(md)
}

/// `py313-peers.sh setup` then `DUR=dur ROUNDS=rounds py313-peers.sh bench WHEEL APP`;
/// its output verbatim.
pub fn py313(wheel: &Path, app: &Path, dur: u64, rounds: usize) -> Result<String, String> {
    let script = tool("py313-peers.sh");
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    sh::run(Command::new("bash").arg(&script).arg("setup"))?;
    let cmd = format!(
        "DUR={dur} ROUNDS={rounds} py313-peers.sh bench {} {}",
        wheel.display(),
        app.display()
    );
    eprintln!("+ {cmd}");
    let out = Command::new("bash")
        .arg(&script)
        .env("DUR", dur.to_string())
        .env("ROUNDS", rounds.to_string())
        .arg("bench")
        .arg(wheel)
        .arg(app)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("`{cmd}` failed ({}):\n{text}", out.status));
    }
    Ok(format!(
        "`{cmd}`:\n\n```\n{}\n```\n\nTargets on CPython 3.13, per server-core, from the medians above:\n\n{}",
        text.trim_end(),
        py313_targets(&text)
    ))
}

/// DESIGN.md's targets judged from `py313-peers.sh bench` output, whose median lines
/// read `SERVER ENDPOINT rps=.. p99=..ms cpu%=.. per_core=.. (median of N)`.
fn py313_targets(text: &str) -> String {
    let field = |server: &str, endpoint: &str, key: &str| -> Option<f64> {
        text.lines()
            .filter(|l| l.ends_with(')') && l.contains("(median of"))
            .find(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some(server) && words.next() == Some(endpoint)
            })?
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| {
                // wrk durations (p99) carry a unit; per_core is a plain number
                v.parse().ok().or_else(|| super::wrk::millis(v))
            })
    };
    let per_core = |server: &str, endpoint: &str| field(server, endpoint, "per_core=");
    let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    let rows = [
        (
            "/json ≥ 1.1× cello-framework",
            ratio(
                per_core("cello", "json"),
                per_core("cello-framework", "json"),
            ),
            1.1,
            true,
        ),
        (
            "/async-json ≥ 0.9× /json",
            ratio(per_core("cello", "async-json"), per_core("cello", "json")),
            0.9,
            true,
        ),
        (
            "/async-sleep ≥ 1.5× Granian RSGI",
            ratio(
                per_core("cello", "async-sleep"),
                per_core("granian-rsgi", "async-sleep"),
            ),
            1.5,
            true,
        ),
        (
            "/async-sleep ≥ 1.3× cello-framework",
            ratio(
                per_core("cello", "async-sleep"),
                per_core("cello-framework", "async-sleep"),
            ),
            1.3,
            true,
        ),
        (
            "/json p99 ≤ 1 ms (c64)",
            field("cello", "json", "p99="),
            1.0,
            false,
        ),
    ];
    super::report::target_table(&rows)
}

#[cfg(test)]
mod tests {
    use super::py313_targets;

    #[test]
    fn py313_targets_are_judged_from_the_median_lines() {
        let out = "\
round1 cello json 1 1ms 99 1
cello json rps=77639 p99=1.87ms cpu%=99 per_core=78226 (median of 3)
cello-framework json rps=65123 p99=1.47ms cpu%=99 per_core=66608 (median of 3)
cello async-json rps=73156 p99=1.24ms cpu%=100 per_core=73524 (median of 3)
cello async-sleep rps=40873 p99=2.02ms cpu%=100 per_core=41078 (median of 3)
cello-framework async-sleep rps=16181 p99=5.77ms cpu%=86 per_core=18925 (median of 3)
";
        let table = py313_targets(out);
        assert!(
            table.contains("| /json ≥ 1.1× cello-framework | 1.17× | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| /async-json ≥ 0.9× /json | 0.94× | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| /async-sleep ≥ 1.5× Granian RSGI | – | not measured |"),
            "{table}"
        );
        assert!(
            table.contains("| /async-sleep ≥ 1.3× cello-framework | 2.17× | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| /json p99 ≤ 1 ms (c64) | 1.87 ms | no (off by 87%) |"),
            "{table}"
        );
    }

    #[test]
    fn wrk_durations_are_read_in_milliseconds() {
        let out = "cello json rps=99621 p99=791.00us cpu%=100 per_core=100122 (median of 3)\n";
        let table = py313_targets(out);
        assert!(
            table.contains("| /json p99 ≤ 1 ms (c64) | 0.79 ms | yes |"),
            "{table}"
        );
    }
}
