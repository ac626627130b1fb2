//! The streamed response (issue 11): `GET /stream-10m`, 10 MiB sent as 160 chunks of
//! 64 KiB from a generator, on Cello (`cello_stream_app.py`: an async generator in a
//! `StreamingResponse`) and Granian (RSGI `response_stream`, `send_bytes` per chunk).
//! Each answer is checked (status 200, exactly 10 MiB, with curl), then loaded with
//! `wrk -t1 -c64`; the figures are req/s and MB/s per server-core.

use super::measure;
use super::options::Options;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The servers that serve the endpoint, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "granian-rsgi"];

const NAME: &str = "GET /stream-10m";
const PATH: &str = "/stream-10m";
const SIZE: u64 = 10 * 1024 * 1024;

fn stream_spec(name: &'static str, layout: &Layout) -> Result<Spec, String> {
    let mut spec = Spec::new(name, free_port()?, layout);
    if name == "cello-python" {
        spec.argv[1] = "cello_stream_app.py".into();
    }
    Ok(spec)
}

/// Rounds of the streamed endpoint on each wanted server; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path) -> Result<String, String> {
    let load = Load {
        name: NAME,
        check: Box::new(|server| check(server.spec.port)),
        measure: Box::new(|server, warmup, secs| {
            measure::measure(server, PATH, warmup, secs, None)
        }),
    };
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| stream_spec(name, layout),
        &[load],
    );
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`GET {PATH}`: 10 MiB as 160 chunks of 64 KiB from a generator, loaded with `taskset -c 0 wrk -t1 -c64 -d{}s --latency URL`; {}",
        opts.dur,
        m.servers_block(opts.rounds)
    );
    md.push_str(&rows::bytes_table(&m.results, SERVERS, NAME, SIZE));
    Ok(md)
}

/// `GET /stream-10m` answers 200 with exactly 10 MiB.
fn check(port: u16) -> Result<(), String> {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
        ])
        .arg(format!("http://127.0.0.1:{port}{PATH}"))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    if got == format!("200 {SIZE}") {
        Ok(())
    } else {
        Err(format!(
            "{PATH} answered `{got}` (status, bytes), not `200 {SIZE}`"
        ))
    }
}
