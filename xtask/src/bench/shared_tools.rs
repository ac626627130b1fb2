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
    Ok(format!("`{cmd}`:\n\n```\n{}\n```\n", text.trim_end()))
}
