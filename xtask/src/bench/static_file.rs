//! The static file (issue 11): `GET /static/one-mib.bin`, a 1 MiB file made at bench
//! time in `.bench/static/` (deterministic bytes, the same file for every server),
//! served by Cello's `app.mount("/static", StaticFiles(...))` (cello-static, in Rust;
//! `cello_static_app.py`), by Granian's static route (`--static-path-route /static
//! --static-path-mount DIR` beside the RSGI app) and by Robyn's `serve_directory`.
//! Each answer is checked byte for byte (curl), then loaded with `wrk -t1 -c64`
//! (keep-alive); the figures are req/s and MB/s per server-core.

use super::measure;
use super::options::Options;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The servers that serve the file, in the report's order.
pub const SERVERS: &[&str] = &["cello-python", "granian-rsgi", "robyn"];

const NAME: &str = "GET /static/one-mib.bin";
const FILE: &str = "one-mib.bin";
const SIZE: usize = 1 << 20;

/// The file's bytes: xorshift64 from a fixed seed, so that nothing along the way
/// (a compressing proxy, a page cache dedup) gets an easy ride, and every run serves
/// the same content.
pub fn contents() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(SIZE);
    while out.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(SIZE);
    out
}

fn static_spec(name: &'static str, layout: &Layout, dir: &Path) -> Result<Spec, String> {
    let mut spec = Spec::new(name, free_port()?, layout);
    let dir = dir.display().to_string();
    match name {
        "cello-python" => {
            spec.argv[1] = "cello_static_app.py".into();
            spec.env.push(("STATIC_DIR".into(), dir));
        }
        "granian-rsgi" => {
            // before the app's import path, the last argument
            let at = spec.argv.len() - 1;
            let flags = [
                "--static-path-route",
                "/static",
                "--static-path-mount",
                &dir,
            ];
            spec.argv
                .splice(at..at, flags.iter().map(|s| s.to_string()));
        }
        _ => spec.env.push(("STATIC_DIR".into(), dir)),
    }
    Ok(spec)
}

/// Rounds of the static file on each wanted server; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path, work: &Path) -> Result<String, String> {
    let dir = work.join("static");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let bytes = contents();
    let path = dir.join(FILE);
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let url_path = format!("/static/{FILE}");
    let load = Load {
        name: NAME,
        check: Box::new(|server| check(server.spec.port, &url_path, &bytes)),
        measure: Box::new(|server, warmup, secs| {
            measure::measure(server, &url_path, warmup, secs, None)
        }),
    };
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| static_spec(name, layout, &dir),
        &[load],
    );
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`GET {url_path}`: a 1 MiB file (deterministic bytes, made in `.bench/static/` at bench time), loaded with `taskset -c 0 wrk -t1 -c64 -d{}s --latency URL` (keep-alive); {}",
        opts.dur,
        m.servers_block(opts.rounds)
    );
    md.push_str(&rows::bytes_table(&m.results, SERVERS, NAME, SIZE as u64));
    Ok(md)
}

/// `GET path` answers 200 with exactly `want`.
fn check(port: u16, path: &str, want: &[u8]) -> Result<(), String> {
    let out = Command::new("curl")
        .args(["-s", "-w", "%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    let (body, status) = out.stdout.split_at(out.stdout.len().saturating_sub(3));
    let status = String::from_utf8_lossy(status);
    if status == "200" && body == want {
        return Ok(());
    }
    let same = body.iter().zip(want).take_while(|(a, b)| a == b).count();
    Err(format!(
        "{path} answered {status} with {} bytes (the first {same} as the file's); expected 200 and the {} bytes of the file",
        body.len(),
        want.len()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_one_mebibyte_the_same_every_time_and_not_repetitive() {
        let a = contents();
        assert_eq!(a.len(), 1 << 20);
        assert_eq!(a, contents());
        assert_ne!(a[..4096], a[4096..8192]);
        let zeros = a.iter().filter(|b| **b == 0).count();
        assert!(zeros < 8192, "{zeros} zero bytes");
    }

    #[test]
    fn granian_gets_its_static_route_before_the_app() {
        let layout = Layout {
            root: "/r".into(),
            venv_bin: "/r/.bench/venv/bin".into(),
        };
        let spec = static_spec("granian-rsgi", &layout, Path::new("/r/.bench/static")).unwrap();
        let line = spec.argv.join(" ");
        assert!(
            line.ends_with("--static-path-route /static --static-path-mount /r/.bench/static granian_rsgi_app:app"),
            "{line}"
        );
        let cello = static_spec("cello-python", &layout, Path::new("/d")).unwrap();
        assert_eq!(cello.argv[1], "cello_static_app.py");
        assert!(cello.env.contains(&("STATIC_DIR".into(), "/d".into())));
    }
}
