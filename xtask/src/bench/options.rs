//! The command line of `cargo xtask bench`.

/// What one invocation measures, and for how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rounds over every server and endpoint; each figure is the median of the rounds.
    pub rounds: usize,
    /// Seconds of each measured wrk run.
    pub dur: u64,
    /// Seconds of wrk load before each measured run (not counted).
    pub warmup: u64,
    /// The leak check: RSS after warm-up vs after 1,000,000 requests to Cello's `/json`.
    pub leak: bool,
    /// `perf record` of Cello serving `/json`, written to `benches/profile-json.txt`.
    pub profile: bool,
    /// Instructions per request (callgrind) for Cello's `/json` and `/async-json`.
    pub instr: bool,
    /// The JSON microbenchmark (`benches/json_micro.py`).
    pub json_micro: bool,
    /// The CPython 3.13 peers run of `../shared/tools/py313-peers.sh`.
    pub py313: bool,
    /// The typed endpoint (`POST /typed`) on Cello, FastAPI and Robyn; `--no-typed`
    /// leaves it out.
    pub typed: bool,
    /// The streamed response (`GET /stream-10m`) on Cello and Granian; `--no-stream`
    /// leaves it out.
    pub stream: bool,
    /// The shared endpoints and pipelined plaintext on every server (the main matrix);
    /// `--no-endpoints` leaves them out.
    pub endpoints: bool,
    /// The 1 MiB static file on Cello, Granian and Robyn; `--no-static` leaves it out.
    pub static_file: bool,
    /// WebSocket echo (1 and 64 clients) on Cello, Robyn and `websockets`; `--no-ws`
    /// leaves it out.
    pub ws: bool,
    /// HTTPS `/json` on Cello and Granian, wrk (HTTP/1.1) and h2load (h2); `--no-https`
    /// leaves it out.
    pub https: bool,
    /// `/json` with 1 and 2 workers on Cello and Granian, nothing pinned; `--no-workers`
    /// leaves it out.
    pub workers: bool,
    /// `/json` at 64 and 1,024 connections on Cello, Granian and Robyn; `--no-conns`
    /// leaves it out.
    pub conns: bool,
    /// The server the leak check and the profile run on (`--extras-on`, default
    /// cello-python; another server gives a baseline to compare with).
    pub extras_on: String,
    /// Build Cello (release binary and wheel) first; `--no-build` uses what is there.
    pub build: bool,
    /// Only these servers (by name), when given.
    pub only: Option<Vec<String>>,
    /// Where the Markdown report goes, relative to the workspace root.
    pub out: String,
    /// `--quick`: for development; the report says so.
    pub quick: bool,
}

/// The rows `--rows` picks from.
pub const ROWS: &[&str] = &[
    "endpoints",
    "typed",
    "stream",
    "static",
    "ws",
    "https",
    "workers",
    "conns",
];

/// The usage text, printed by `cargo xtask bench --help`.
pub const USAGE: &str = "\
cargo xtask bench [--quick] [--rounds N] [--dur SECONDS] [--warmup SECONDS]
                  [--instr] [--no-instr] [--py313] [--json-micro] [--no-typed] [--no-stream]
                  [--no-static] [--no-ws] [--no-https] [--no-workers] [--no-conns] [--no-endpoints]
                  [--rows ROW,ROW]
                  [--leak] [--no-leak] [--profile] [--no-profile]
                  [--extras-on SERVER]
                  [--no-build] [--only NAME,NAME] [--out PATH]

  full run (default): 3 rounds of 4 s runs (1 s warm-up in the first round), leak check,
  perf profile, instructions per request, JSON microbenchmark; writes benches/RESULTS.md.
  --py313 adds the CPython 3.13 peers run (../shared/tools/py313-peers.sh).
  The typed endpoint (POST /typed, benches/typed_post.lua) runs on cello-python,
  fastapi-uvicorn and robyn after the shared endpoints (with its instruction counts
  when instructions are counted); --no-typed leaves it out.
  The streamed response (GET /stream-10m, 10 MiB from a generator) runs on
  cello-python and granian-rsgi after that; --no-stream leaves it out.
  The static file (GET /static/one-mib.bin, 1 MiB made in .bench/static) runs on
  cello-python (StaticFiles), granian-rsgi (--static-path-route) and robyn
  (serve_directory); --no-static leaves it out.
  WebSocket echo (1 and 64 clients, `cargo xtask ws-load` built in release on CPU 0)
  runs on cello-python, robyn and websockets; --no-ws leaves it out.
  HTTPS /json (one self-signed ECDSA P-256 certificate made in .bench/tls) runs on
  cello-python (`cello run --ssl-certfile`) and granian-rsgi (--ssl-certificate), loaded
  with wrk over HTTP/1.1+TLS and h2load over h2 (apt package nghttp2-client); --no-https
  leaves it out.
  Worker scaling (/json with 1 and 2 workers on cello-python and granian-rsgi, nothing
  pinned, wrk -t2 on the same cores, both CPUs reported); --no-workers leaves it out.
  Connection count (/json with wrk -c64 and -c1024 on cello-python, cello-rust,
  granian-rsgi and robyn, pinned as the endpoints); --no-conns leaves it out.
  --rows picks the rows to run out of endpoints (the shared endpoints and pipelined
  plaintext), typed, stream, static, ws, https, workers, conns; e.g.
  `--quick --no-build --rows https,workers`.
  --quick: 1 round of 3 s runs, no leak check / profile / instr / JSON micro; writes
  .bench/RESULTS-quick.md. ROUNDS and DUR in the environment set the defaults.
  servers: cello-python cello-rust robyn granian-rsgi fastapi-uvicorn websockets
";

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Options {
            rounds: env_number("ROUNDS")?.unwrap_or(if quick { 1 } else { 3 }) as usize,
            dur: env_number("DUR")?.unwrap_or(if quick { 3 } else { 4 }),
            warmup: 1,
            leak: !quick,
            profile: !quick,
            instr: !quick,
            json_micro: !quick,
            py313: false,
            typed: true,
            stream: true,
            endpoints: true,
            static_file: true,
            ws: true,
            https: true,
            workers: true,
            conns: true,
            build: true,
            extras_on: "cello-python".into(),
            only: None,
            out: if quick {
                ".bench/RESULTS-quick.md"
            } else {
                "benches/RESULTS.md"
            }
            .into(),
            quick,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next().cloned().ok_or_else(|| {
                    format!("`{name}` needs a value; see `cargo xtask bench --help`")
                })
            };
            match arg.as_str() {
                "--quick" => {}
                "--rounds" => o.rounds = number("--rounds", &value("--rounds")?)? as usize,
                "--dur" => o.dur = number("--dur", &value("--dur")?)?,
                "--warmup" => o.warmup = number("--warmup", &value("--warmup")?)?,
                "--instr" => o.instr = true,
                "--no-instr" => o.instr = false,
                "--py313" => o.py313 = true,
                "--no-typed" => o.typed = false,
                "--no-stream" => o.stream = false,
                "--no-static" => o.static_file = false,
                "--no-ws" => o.ws = false,
                "--no-https" => o.https = false,
                "--no-workers" => o.workers = false,
                "--no-conns" => o.conns = false,
                "--no-endpoints" => o.endpoints = false,
                "--rows" => o.rows(&value("--rows")?)?,
                "--json-micro" => o.json_micro = true,
                "--leak" => o.leak = true,
                "--no-leak" => o.leak = false,
                "--profile" => o.profile = true,
                "--no-profile" => o.profile = false,
                "--no-build" => o.build = false,
                "--extras-on" => o.extras_on = value("--extras-on")?,
                "--only" => o.only = Some(value("--only")?.split(',').map(str::to_owned).collect()),
                "--out" => o.out = value("--out")?,
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        if o.rounds == 0 || o.dur == 0 {
            return Err("--rounds and --dur must be at least 1".into());
        }
        Ok(o)
    }

    /// `--rows a,b`: exactly these rows run.
    fn rows(&mut self, list: &str) -> Result<(), String> {
        let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
        for w in &wanted {
            if !ROWS.contains(w) {
                return Err(format!("`--rows` knows {}, not `{w}`", ROWS.join(", ")));
            }
        }
        let has = |row: &str| wanted.contains(&row);
        (
            self.endpoints,
            self.typed,
            self.stream,
            self.static_file,
            self.ws,
            self.https,
            self.workers,
            self.conns,
        ) = (
            has("endpoints"),
            has("typed"),
            has("stream"),
            has("static"),
            has("ws"),
            has("https"),
            has("workers"),
            has("conns"),
        );
        Ok(())
    }

    /// Whether the server called `name` takes part in this run.
    pub fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }
}

fn number(name: &str, text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("`{name}` wants a whole number, not `{text}`"))
}

fn env_number(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => number(name, &v).map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn quick_skips_the_slow_extras_unless_asked() {
        let o = Options::parse(&args(&["--quick", "--instr"])).unwrap();
        assert_eq!((o.rounds, o.dur), (1, 3));
        assert!(o.instr && !o.leak && !o.profile && !o.py313);
    }

    #[test]
    fn only_limits_the_servers() {
        let o = Options::parse(&args(&["--only", "robyn,granian-rsgi"])).unwrap();
        assert!(o.wants("robyn") && !o.wants("cello-python"));
    }

    #[test]
    fn rows_picks_exactly_the_rows_named() {
        let o = Options::parse(&args(&["--quick", "--rows", "static,ws"])).unwrap();
        assert!(o.static_file && o.ws && !o.endpoints && !o.typed && !o.stream);
        assert!(!o.https && !o.workers);
        let o = Options::parse(&args(&["--rows", "https,workers"])).unwrap();
        assert!(o.https && o.workers && !o.endpoints && !o.static_file && !o.ws && !o.conns);
        assert!(Options::parse(&args(&["--rows", "conns"])).unwrap().conns);
        let o = Options::parse(&args(&["--no-https", "--no-workers"])).unwrap();
        assert!(!o.https && !o.workers && o.endpoints);
        let all = Options::parse(&args(&["--no-ws", "--no-static"])).unwrap();
        assert!(all.endpoints && all.typed && all.stream && !all.static_file && !all.ws);
        let e = Options::parse(&args(&["--rows", "static,websocket"])).unwrap_err();
        assert!(e.contains("`websocket`") && e.contains("ws"), "{e}");
    }

    #[test]
    fn rejects_unknown_flags_with_the_usage() {
        let e = Options::parse(&args(&["--fast"])).unwrap_err();
        assert!(e.contains("--fast") && e.contains("--quick"));
    }
}
