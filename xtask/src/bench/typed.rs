//! The typed endpoint (issue 10): `POST /typed?limit=5&q=abc` with two typed query
//! parameters and a 10-field JSON body, on Cello (`cello_typed_app.py`: a dataclass
//! from the signature), FastAPI (a pydantic model, uvicorn) and Robyn (converted by
//! hand, as Robyn has no typed handlers). Each server is loaded with
//! `wrk -s benches/typed_post.lua` after its answer is checked; then the instructions
//! per request of each, and of Cello's `/json` by the same count, with
//! `benches/instr-post.sh`. The goals: Cello ≥ 10× FastAPI per core, and Cello's typed
//! endpoint within 1.5× of its own `/json`.

use super::check::{self, Endpoint};
use super::measure;
use super::options::Options;
use super::report::{self, kilo, ratio};
use super::results::Results;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The servers that serve the typed endpoint, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "fastapi-uvicorn", "robyn"];

/// The endpoint as the report names it.
pub const TYPED: Endpoint = Endpoint {
    name: "POST /typed",
    path: "/typed?limit=5&q=abc",
    content_type: "application/json",
    body: r#"{"limit":5,"q":"abc","id":1,"name":"Ada Lovelace","tags":2}"#,
};

/// The request body, also in `benches/typed_post.lua` (checked to agree).
const BODY_FILE: &str = "benches/typed_body.json";
const SCRIPT: &str = "benches/typed_post.lua";

/// `spec` serving the typed endpoint: Cello's typed app is its own file; the peers'
/// apps serve it beside the shared endpoints.
fn typed_spec(name: &'static str, layout: &Layout) -> Result<Spec, String> {
    let mut spec = Spec::new(name, free_port()?, layout);
    if name == "cello-python" {
        spec.argv[1] = "cello_typed_app.py".into();
    }
    Ok(spec)
}

/// Rounds of the typed endpoint on each wanted server, then the instruction counts;
/// the report section's Markdown.
pub fn run(opts: &Options, layout: &Layout, logs: &Path, load: &Results) -> Result<String, String> {
    let root = &layout.root;
    let body =
        std::fs::read_to_string(root.join(BODY_FILE)).map_err(|e| format!("{BODY_FILE}: {e}"))?;
    let script =
        std::fs::read_to_string(root.join(SCRIPT)).map_err(|e| format!("{SCRIPT}: {e}"))?;
    if !script.contains(&format!("'{}'", body.trim())) || !script.contains(TYPED.path) {
        return Err(format!(
            "{SCRIPT} must send {} with the body of {BODY_FILE}",
            TYPED.path
        ));
    }
    let lua = root.join(SCRIPT);
    let post = Load {
        name: TYPED.name,
        check: Box::new(|server| check(server.spec.port, body.trim())),
        measure: Box::new(|server, warmup, secs| {
            measure::measure_with(server, TYPED.path, warmup, secs, |url, secs| {
                super::wrk::run_scripted(url, secs, &lua)
            })
        }),
    };
    let m = rows::run(
        opts,
        logs,
        root,
        SERVERS,
        |name| typed_spec(name, layout),
        &[post],
    );
    let (results, shown, mut md) = (m.results, m.shown, m.left_out);

    let _ = writeln!(
        md,
        "`POST {}` with `{BODY_FILE}` (10 fields), loaded with `taskset -c 0 wrk -t1 -c64 -d{}s --latency -s {SCRIPT} URL`; servers:\n\n```\n{}\n```\n",
        TYPED.path,
        opts.dur,
        shown.join("\n")
    );
    report::detail(&mut md, &results, &TYPED);
    let per_core = |r: &Results, server: &str, ep: &str| r.summary(server, ep).map(|s| s.per_core);
    let cello = per_core(&results, "cello-python", TYPED.name);
    let shown_ratio = |r: Option<f64>| r.map_or("–".to_owned(), |r| format!("{r:.2}×"));
    let _ = writeln!(
        md,
        "\nCello typed per core ÷ FastAPI typed per core: **{}** (goal ≥ 10×); ÷ Robyn: {}. Cello `/json` per core ÷ Cello typed per core: **{}** (goal ≤ 1.5×; `/json` from the rounds above, {}).\n",
        shown_ratio(ratio(cello, per_core(&results, "fastapi-uvicorn", TYPED.name))),
        shown_ratio(ratio(cello, per_core(&results, "robyn", TYPED.name))),
        shown_ratio(ratio(per_core(load, "cello-python", "/json"), cello)),
        load.summary("cello-python", "/json").map_or("not measured".to_owned(), |s| kilo(s.per_core)),
    );
    if opts.instr {
        md.push_str(&instructions(opts, layout)?);
    }
    Ok(md)
}

/// `POST /typed` on `port` answers [`TYPED`]'s body exactly.
fn check(port: u16, body: &str) -> Result<(), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        TYPED.path,
        body.len()
    );
    s.write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("read: {e}"))?;
    let r = check::parse_reply(&String::from_utf8_lossy(&raw))?;
    if r.status == 200
        && r.content_type.starts_with(TYPED.content_type)
        && check::squeeze_json(&r.body) == check::squeeze_json(TYPED.body)
    {
        return Ok(());
    }
    let mut shown = r.body;
    shown.truncate(200);
    Err(format!(
        "POST {} answered {} `{}` {shown:?}; expected 200 `{}` {:?}",
        TYPED.path, r.status, r.content_type, TYPED.content_type, TYPED.body
    ))
}

/// Instructions per request (callgrind, `benches/instr-post.sh`) of the typed endpoint
/// on each server, and of Cello's `/json` counted the same way for the ratio.
fn instructions(opts: &Options, layout: &Layout) -> Result<String, String> {
    super::setup::ensure_apt_tool("valgrind", "valgrind")?;
    let root = &layout.root;
    let tool = root.join("benches/instr-post.sh");
    let body = root.join(BODY_FILE);
    let mut md = String::from(
        "\nInstructions per request, all server threads (callgrind; N1=200, N2=2200 requests):\n\n| server | request | instructions per request | command |\n|---|---|---:|---|\n",
    );
    let mut counts: Vec<(&'static str, &str, &str, Option<&Path>)> = Vec::new();
    if opts.wants("cello-python") {
        counts.push(("cello-python", "GET", "/json", None));
    }
    for &name in SERVERS.iter().filter(|n| opts.wants(n)) {
        counts.push((name, "POST", TYPED.path, Some(body.as_path())));
    }
    let mut figures = std::collections::HashMap::new();
    for (name, method, path, body) in counts {
        let spec = if path == "/json" {
            Spec::new(name, free_port()?, layout)
        } else {
            typed_spec(name, layout)?
        };
        let mut cmd = Command::new("bash");
        cmd.arg(&tool)
            .arg(spec.port.to_string())
            .arg(method)
            .arg(path);
        if let Some(b) = body {
            cmd.arg(b);
        }
        cmd.arg("--")
            .args(&spec.argv)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&spec.cwd)
            .stderr(Stdio::inherit());
        let shown = format!(
            "benches/instr-post.sh {} {method} '{path}'{} -- {}",
            spec.port,
            if body.is_some() {
                " benches/typed_body.json"
            } else {
                ""
            },
            spec.shown(root).replace("taskset -c 1 ", "")
        );
        eprintln!("+ {shown}");
        let out = cmd.output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let figure = text
            .lines()
            .find_map(|l| l.strip_prefix("instructions_per_request="))
            .map(str::to_owned);
        if let Some(f) = figure.as_ref().and_then(|f| f.parse::<f64>().ok()) {
            figures.insert((name, path), f);
        }
        let _ = writeln!(
            md,
            "| {name} | `{method} {path}` | {} | `{shown}` |",
            figure.unwrap_or_else(|| format!("failed ({})", out.status))
        );
    }
    let typed = figures.get(&("cello-python", TYPED.path)).copied();
    let json = figures.get(&("cello-python", "/json")).copied();
    let _ = writeln!(
        md,
        "\nCello typed ÷ Cello `/json` instructions: **{}** (goal ≤ 1.5×); FastAPI typed ÷ Cello typed: **{}**.",
        ratio(typed, json).map_or("–".to_owned(), |r| format!("{r:.2}×")),
        ratio(figures.get(&("fastapi-uvicorn", TYPED.path)).copied(), typed)
            .map_or("–".to_owned(), |r| format!("{r:.1}×")),
    );
    Ok(md)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_lua_script_sends_the_body_file_to_the_typed_path() {
        let root = crate::sh::root();
        let body = std::fs::read_to_string(root.join(BODY_FILE)).unwrap();
        let script = std::fs::read_to_string(root.join(SCRIPT)).unwrap();
        assert!(script.contains(&format!("wrk.body = '{}'", body.trim())));
        assert!(script.contains(&format!("wrk.path = \"{}\"", TYPED.path)));
        assert!(script.contains("wrk.method = \"POST\""));
    }

    #[test]
    fn a_scripted_run_passes_the_script_before_the_url_and_no_depth() {
        let c = super::super::wrk::scripted("http://h/typed", 5, Path::new("t.lua"));
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(
            args.join(" "),
            "-c 0 wrk -t1 -c64 -d5s --latency -s t.lua http://h/typed"
        );
    }
}
