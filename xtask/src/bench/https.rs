//! HTTPS `/json` (issue 12): Cello (`cello run cello_app:app --ssl-certfile ...`, rustls)
//! and Granian (`--ssl-certificate ...`) with one worker each on CPU 1, serving the same
//! self-signed ECDSA P-256 certificate made at bench time in `.bench/tls/`; loaded from
//! CPU 0 with wrk over HTTP/1.1 + TLS (keep-alive) and h2load over h2 (ALPN). The figure
//! that counts is req/s per server-core, side by side, with Cello ÷ Granian per load.

use super::loadgen::{self, Kind};
use super::measure::{self, Sample};
use super::options::Options;
use super::report::{kilo, mib};
use super::results::Results;
use super::rows::{self, Load};
use super::servers::{free_port, Layout, Spec};
use super::wrk;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The servers, in the report's order (Cello first: the ratio is Cello ÷ Granian).
pub const SERVERS: &[&str] = &["cello-python", "granian-rsgi"];

/// The loads: wrk over HTTP/1.1 with TLS, h2load over h2.
pub const LOADS: &[&str] = &["wrk HTTP/1.1+TLS", "h2load h2"];

const PATH: &str = "/json";
const BODY: &str = r#"{"message":"Hello, World!"}"#;

/// `openssl req -x509 -newkey ec ... prime256v1` into `dir`: (certificate, key), PEM; the
/// key is PKCS#8, which Granian requires.
pub fn make_cert(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| {
            format!("cannot run openssl ({e}); install it with `apt-get install -y openssl`")
        })?;
    if !out.status.success() {
        return Err(format!(
            "openssl could not make the certificate: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok((cert, key))
}

/// How `name` serves `/json` over TLS with `cert` and `key`.
fn tls_spec(name: &'static str, layout: &Layout, cert: &Path, key: &Path) -> Result<Spec, String> {
    let port = free_port()?;
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut spec = Spec::new(name, port, layout);
    spec.tls = true;
    if name == "cello-python" {
        spec.argv = cello_run(layout, port, 1);
        spec.argv
            .extend(["--ssl-certfile".into(), cert, "--ssl-keyfile".into(), key]);
    } else {
        // before the app's import path, the last argument
        let at = spec.argv.len() - 1;
        let flags = [
            "--ssl-certificate".to_owned(),
            cert,
            "--ssl-keyfile".into(),
            key,
        ];
        spec.argv.splice(at..at, flags);
    }
    Ok(spec)
}

/// `cello run cello_app:app` on `port` with `workers`, without the access log (as the
/// peers run), from the bench venv.
pub fn cello_run(layout: &Layout, port: u16, workers: u32) -> Vec<String> {
    [
        layout.venv_bin.join("cello").display().to_string().as_str(),
        "run",
        "cello_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--workers",
        &workers.to_string(),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    .map(String::from)
    .to_vec()
}

/// `GET /json` answers 200 with the body over `http` (`--http1.1` or `--http2`), and the
/// protocol is the one asked for.
fn check(port: u16, http: &str) -> Result<(), String> {
    let out = Command::new("curl")
        .args(["-sk", http, "-w", "\n%{http_code} %{http_version}"])
        .arg(format!("https://127.0.0.1:{port}{PATH}"))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    judge(&String::from_utf8_lossy(&out.stdout), http)
}

/// Whether curl's `BODY\nSTATUS VERSION` is the JSON body, 200, over the protocol of `http`.
fn judge(text: &str, http: &str) -> Result<(), String> {
    let want_version = if http == "--http2" { "2" } else { "1.1" };
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", text));
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    if tail.trim() == format!("200 {want_version}") && squeeze(body) == squeeze(BODY) {
        return Ok(());
    }
    Err(format!(
        "GET {PATH} over TLS ({http}) answered `{}` {body:?}; expected `200 {want_version}` {BODY:?}",
        tail.trim()
    ))
}

/// Rounds of both loads on both servers; the report section.
pub fn run(opts: &Options, layout: &Layout, logs: &Path, work: &Path) -> Result<String, String> {
    if !super::setup::has("h2load") {
        return Err(
            "h2load is not installed; install it with `apt-get install -y nghttp2-client`".into(),
        );
    }
    // in the workspace's .bench/, which Granian's process reads as Cello's does
    let (cert, key) = make_cert(&work.join("tls"))?;
    let gen_cpu = rows::LoadCpu::default();
    let loads: Vec<Load> = LOADS
        .iter()
        .map(|&name| {
            let gen_cpu = &gen_cpu;
            let (kind, http) = if name.starts_with("h2load") {
                (Kind::H2load, "--http2")
            } else {
                (Kind::Wrk, "--http1.1")
            };
            Load {
                name,
                check: Box::new(move |server| check(server.spec.port, http)),
                measure: Box::new(move |server, warmup, secs| -> Result<Sample, String> {
                    let cpu = RefCell::new(f64::NAN);
                    let url = format!("https://127.0.0.1:{}{PATH}", server.spec.port);
                    let sample = measure::measure_url(server, &url, warmup, secs, |u, s| {
                        let cmd = match kind {
                            Kind::Wrk => wrk::command(u, s, None),
                            Kind::H2load => loadgen::h2load(u, s),
                        };
                        let (run, share) = loadgen::run(&cmd, kind)?;
                        *cpu.borrow_mut() = share;
                        Ok(run)
                    })?;
                    gen_cpu.record(server.spec.name, name, cpu.into_inner());
                    Ok(sample)
                }),
            }
        })
        .collect();
    let m = rows::run(
        opts,
        logs,
        &layout.root,
        SERVERS,
        |name| tls_spec(name, layout, &cert, &key),
        &loads,
    );
    drop(loads);
    let mut md = m.left_out.clone();
    let _ = writeln!(
        md,
        "`GET {PATH}` over TLS 1.3 with one self-signed ECDSA P-256 certificate (made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1` in `.bench/tls/`), one worker on CPU 1; loads on CPU 0: `taskset -c 0 wrk -t1 -c{} -d{}s --latency https://127.0.0.1:PORT{PATH}` (HTTP/1.1, keep-alive) and `taskset -c 0 h2load -t1 -c{} -m{} -D{} https://127.0.0.1:PORT{PATH}` (h2 by ALPN; no percentiles); {}",
        wrk::CONNECTIONS,
        opts.dur,
        loadgen::H2_CONNECTIONS,
        loadgen::H2_STREAMS,
        opts.dur,
        m.servers_block(opts.rounds)
    );
    md.push_str(&table(&m.results, &gen_cpu));
    Ok(md)
}

/// One line per load and server: req/s, latencies, CPU, per core, the generator's CPU,
/// and on Cello's line Cello ÷ Granian per core.
pub fn table(results: &Results, gen_cpu: &rows::LoadCpu) -> String {
    let mut md = String::from("| load | server | req/s | p50 | p99 | server CPU | req/s per core | load generator CPU | Cello ÷ Granian per core | RSS after |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let ms = |x: f64| {
        if x.is_nan() {
            "–".to_owned()
        } else {
            format!("{x:.2} ms")
        }
    };
    for &load in LOADS {
        let ratio = match (
            results.summary("cello-python", load),
            results.summary("granian-rsgi", load),
        ) {
            (Some(c), Some(g)) if g.per_core > 0.0 => {
                format!("**{:.2}×**", c.per_core / g.per_core)
            }
            _ => "–".into(),
        };
        for &server in SERVERS.iter().filter(|s| results.has_server(s)) {
            let Some(s) = results.summary(server, load) else {
                let _ = writeln!(
                    md,
                    "| {load} | {server} | error ({}) | | | | | | | |",
                    rows::notes(results, server, load)
                );
                continue;
            };
            let cpu = gen_cpu.median(server, load);
            let _ = writeln!(
                md,
                "| {load} | {server} | {} | {} | {} | {} | {} | {} | {} | {} |",
                kilo(s.rps),
                ms(s.p50_ms),
                ms(s.p99_ms),
                pct(s.cpu_share),
                kilo(s.per_core),
                pct(cpu),
                if server == "cello-python" {
                    ratio.as_str()
                } else {
                    ""
                },
                mib(s.rss_after_kib),
            );
        }
    }
    md
}

/// A share of one core as a percentage; `–` when unknown.
pub fn pct(share: f64) -> String {
    if share.is_nan() {
        "–".into()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample(rps: f64, cpu: f64, p99: f64) -> Sample {
        Sample {
            rss_before_kib: 1024,
            rss_after_kib: 2048,
            ..Sample::fake(rps, cpu, p99)
        }
    }

    #[test]
    fn the_table_puts_cello_over_granian_per_core_on_cellos_line() {
        let mut r = Results::default();
        r.add("cello-python", LOADS[0], Ok(sample(30000.0, 1.0, 2.0)));
        r.add("granian-rsgi", LOADS[0], Ok(sample(10000.0, 0.5, 4.0)));
        r.add("cello-python", LOADS[1], Ok(sample(40000.0, 1.0, f64::NAN)));
        r.add("granian-rsgi", LOADS[1], Err("h2load failed".into()));
        let cpu = rows::LoadCpu::default();
        cpu.record("cello-python", LOADS[0], 0.9);
        let md = table(&r, &cpu);
        assert!(
            md.contains("| wrk HTTP/1.1+TLS | cello-python | 30.0K | 1.00 ms | 2.00 ms | 100% | 30.0K | 90% | **1.50×** | 2.0 MiB |"),
            "{md}"
        );
        assert!(
            md.contains("| wrk HTTP/1.1+TLS | granian-rsgi | 10.0K | 2.00 ms | 4.00 ms | 50% | 20.0K | – |  | 2.0 MiB |"),
            "{md}"
        );
        assert!(
            md.contains("| h2load h2 | cello-python | 40.0K | – | – | 100% | 40.0K | – | – |"),
            "{md}"
        );
        assert!(
            md.contains("| h2load h2 | granian-rsgi | error (h2load failed) |"),
            "{md}"
        );
    }

    #[test]
    fn curls_answer_must_be_the_body_with_200_over_the_protocol_asked() {
        assert!(judge("{\"message\": \"Hello, World!\"}\n200 2", "--http2").is_ok());
        assert!(judge("{\"message\":\"Hello, World!\"}\n200 1.1", "--http1.1").is_ok());
        let e = judge("{\"message\":\"Hello, World!\"}\n200 1.1", "--http2").unwrap_err();
        assert!(e.contains("expected `200 2`"), "{e}");
        assert!(judge("\n000 0", "--http1.1").is_err());
    }

    #[test]
    fn both_servers_get_the_same_certificate_and_cello_runs_its_cli() {
        let layout = Layout {
            root: "/r".into(),
            venv_bin: "/r/.bench/venv/bin".into(),
        };
        let (c, k) = (
            Path::new("/r/.bench/tls/cert.pem"),
            Path::new("/r/.bench/tls/key.pem"),
        );
        let g = tls_spec("granian-rsgi", &layout, c, k).unwrap();
        let line = g.argv.join(" ");
        assert!(
            line.ends_with("--ssl-certificate /r/.bench/tls/cert.pem --ssl-keyfile /r/.bench/tls/key.pem granian_rsgi_app:app"),
            "{line}"
        );
        assert!(g.tls && g.cpus == Some("1"));
        let cello = tls_spec("cello-python", &layout, c, k).unwrap();
        let line = cello.argv.join(" ");
        assert!(
            line.starts_with("/r/.bench/venv/bin/cello run cello_app:app --host 127.0.0.1 --port "),
            "{line}"
        );
        assert!(
            line.ends_with("--workers 1 --no-access-log --log-level warning --ssl-certfile /r/.bench/tls/cert.pem --ssl-keyfile /r/.bench/tls/key.pem"),
            "{line}"
        );
    }
}
