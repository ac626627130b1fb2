//! `cargo xtask <verb>`: the one task vocabulary of the Cello workspace.
//!
//! Every verb shells out to the ordinary tools (cargo, python, maturin, pytest, wrk) so
//! that what it does can be read here and repeated by hand.

mod bench;
mod docs;
mod fuzz;
mod npm_assets;
mod py313;
mod pyroot;
mod python;
mod sh;
mod soak;
mod test;
mod upload_rss;
mod wheel;
mod ws_load;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <verb> [args]

verbs:
  test      run every test: Rust (workspace) then Python (pytest, through the real engine;
            then mypy --strict on python/cello and stubtest on cello._cello);
            --py313 / --py314 also run the Python tests on CPython 3.13 (a Debian 13
            root) / 3.14 (a Debian testing root)
  build     build the Rust workspace in release and the Python package into .venv
  demo      build everything and serve examples/hello.py on 127.0.0.1:8000
  fuzz      run the cargo-fuzz targets (nightly), each to a bounded number of executions
            or time, and print executions per target: http_request (10M runs, with
            fuzz/dict/http.dict), h2_frames (250k runs), router and json (60 s each);
            `fuzz [TARGET...] [--runs N] [--seconds S]` (or FUZZ_SECONDS) replaces the
            budgets; a crash stops the run and names the artifact (docs/fuzzing-and-soak.md)
  soak      serve benches/apps/soak_app.py (release wheel) under mixed traffic for
            `--minutes N` (default 30; `--no-build` reuses .venv's wheel), sampling
            RSS, fds and connections every 10 s; fails when one grows or a request
            fails (benches/soak.py says how flat is judged)
  bench     end-to-end benchmark against peers; writes benches/RESULTS.md
  upload-rss  peak RSS of one worker while 100 clients each upload 50 MiB (multipart);
            `--clients N --mib M`, `--no-build`; writes its section of benches/RESULTS.md
  wheel     the manylinux2014 abi3 wheel and the sdist into target/wheels (maturin --zig),
            checked by auditwheel; `--smoke` installs the wheel in clean venvs on CPython
            3.11, 3.13 and 3.14 and serves an app with `cello run`; `--smoke-sdist` builds
            and smoke-tests the sdist on 3.11 (docs/install.md)
  package   `cargo publish --dry-run` of every library crate (metadata, README, and a
            build of each from its .crate file)
  docs      build the documentation site (mkdocs-material, `--strict`, offline) into
            target/site, with the pinned packages of docs/requirements.txt in
            target/docs-venv
  ws-load   `ws-load ws://HOST:PORT/PATH CLIENTS SECONDS`: WebSocket echo round trips
            per second (the bench's load client; one line of key=value figures)
  lint      cargo fmt --check and cargo clippy on the workspace
  help      this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (verb, rest) = match args.split_first() {
        Some((v, r)) => (v.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match verb {
        "test" => test::run(rest),
        "build" => python::build_all(),
        "demo" => python::demo(),
        "fuzz" => fuzz::run(rest),
        "soak" => soak::run(rest),
        "bench" => bench::run(rest),
        "upload-rss" => upload_rss::run(rest),
        "docs" => docs::run(rest),
        "ws-load" => ws_load::run(rest),
        "lint" => test::lint(),
        "wheel" => wheel::run(rest),
        "package" => test::package(),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!(
            "unknown verb `{other}`; `cargo xtask help` lists them"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {verb}: {e}");
            ExitCode::FAILURE
        }
    }
}
