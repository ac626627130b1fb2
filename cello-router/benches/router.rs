//! cello-router against raw matchit on a GitHub-API-like table.
//!
//! `cargo bench -p cello-router -- --warm-up-time 1 --measurement-time 2`
//!
//! The gap between the two is what Cello adds per request: the method table, converting
//! parameters to their types (percent-decoding only when a `%` is present) and collecting
//! them into `Params`.

use std::hint::black_box;

use cello_router::RouterBuilder;
use criterion::{criterion_group, criterion_main, Criterion};
use http::Method;

/// `(method, pattern, a request path it matches)`.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/user", "/user"),
    ("PATCH", "/user", "/user"),
    ("GET", "/user/repos", "/user/repos"),
    ("POST", "/user/repos", "/user/repos"),
    ("GET", "/user/orgs", "/user/orgs"),
    ("GET", "/user/followers", "/user/followers"),
    ("GET", "/user/following/{user}", "/user/following/octocat"),
    ("PUT", "/user/following/{user}", "/user/following/octocat"),
    (
        "DELETE",
        "/user/following/{user}",
        "/user/following/octocat",
    ),
    (
        "GET",
        "/user/starred/{owner}/{repo}",
        "/user/starred/rust-lang/rust",
    ),
    ("GET", "/users/{user}", "/users/octocat"),
    ("GET", "/users/{user}/repos", "/users/octocat/repos"),
    ("GET", "/users/{user}/orgs", "/users/octocat/orgs"),
    ("GET", "/users/{user}/gists", "/users/octocat/gists"),
    ("GET", "/users/{user}/events", "/users/octocat/events"),
    ("GET", "/orgs/{org}", "/orgs/tokio-rs"),
    ("GET", "/orgs/{org}/repos", "/orgs/tokio-rs/repos"),
    ("GET", "/orgs/{org}/members", "/orgs/tokio-rs/members"),
    (
        "GET",
        "/orgs/{org}/members/{user}",
        "/orgs/tokio-rs/members/carllerche",
    ),
    (
        "DELETE",
        "/orgs/{org}/members/{user}",
        "/orgs/tokio-rs/members/carllerche",
    ),
    ("GET", "/orgs/{org}/teams", "/orgs/tokio-rs/teams"),
    ("GET", "/teams/{id:int}", "/teams/1234"),
    ("GET", "/teams/{id:int}/members", "/teams/1234/members"),
    ("GET", "/repos/{owner}/{repo}", "/repos/rust-lang/rust"),
    ("PATCH", "/repos/{owner}/{repo}", "/repos/rust-lang/rust"),
    ("DELETE", "/repos/{owner}/{repo}", "/repos/rust-lang/rust"),
    (
        "GET",
        "/repos/{owner}/{repo}/issues",
        "/repos/rust-lang/rust/issues",
    ),
    (
        "POST",
        "/repos/{owner}/{repo}/issues",
        "/repos/rust-lang/rust/issues",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{number:int}",
        "/repos/rust-lang/rust/issues/12345",
    ),
    (
        "PATCH",
        "/repos/{owner}/{repo}/issues/{number:int}",
        "/repos/rust-lang/rust/issues/12345",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/issues/{number:int}/comments",
        "/repos/rust-lang/rust/issues/12345/comments",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls",
        "/repos/rust-lang/rust/pulls",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls/{number:int}",
        "/repos/rust-lang/rust/pulls/678",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/pulls/{number:int}/files",
        "/repos/rust-lang/rust/pulls/678/files",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/commits",
        "/repos/rust-lang/rust/commits",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/commits/{sha}",
        "/repos/rust-lang/rust/commits/6dcb09b5b5",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/branches",
        "/repos/rust-lang/rust/branches",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/branches/{branch}",
        "/repos/rust-lang/rust/branches/master",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/contents/{*path}",
        "/repos/rust-lang/rust/contents/src/lib.rs",
    ),
    (
        "PUT",
        "/repos/{owner}/{repo}/contents/{*path}",
        "/repos/rust-lang/rust/contents/src/lib.rs",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/releases",
        "/repos/rust-lang/rust/releases",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/releases/latest",
        "/repos/rust-lang/rust/releases/latest",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/releases/{id:int}",
        "/repos/rust-lang/rust/releases/99",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/stargazers",
        "/repos/rust-lang/rust/stargazers",
    ),
    (
        "GET",
        "/repos/{owner}/{repo}/hooks/{id:int}",
        "/repos/rust-lang/rust/hooks/5",
    ),
    ("GET", "/gists", "/gists"),
    ("POST", "/gists", "/gists"),
    ("GET", "/gists/{id}", "/gists/aa5a315d61ae9438b18d"),
    (
        "GET",
        "/gists/{id}/star",
        "/gists/aa5a315d61ae9438b18d/star",
    ),
    ("GET", "/search/repositories", "/search/repositories"),
    ("GET", "/search/code", "/search/code"),
    ("GET", "/search/users", "/search/users"),
    ("GET", "/events", "/events"),
    ("GET", "/notifications", "/notifications"),
    ("GET", "/emojis", "/emojis"),
    ("GET", "/rate_limit", "/rate_limit"),
    (
        "GET",
        "/installations/{id:uuid}",
        "/installations/67e55044-10b1-426f-9247-bb680e5fe0c8",
    ),
];

/// The pattern matchit sees: the same path without `:type`.
fn untyped(pattern: &str) -> String {
    [":int}", ":uuid}"]
        .iter()
        .fold(pattern.to_owned(), |p, ty| p.replace(ty, "}"))
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap_or(Method::GET)
}

fn tables() -> (
    cello_router::Router<usize>,
    matchit::Router<usize>,
    Vec<(Method, &'static str)>,
) {
    let mut cello = RouterBuilder::new();
    let mut raw = matchit::Router::new();
    let mut requests = Vec::new();
    for (i, (m, pattern, path)) in ROUTES.iter().enumerate() {
        if let Err(e) = cello.insert(method(m), pattern, i) {
            panic!("{e}");
        }
        // matchit has one value per path; a repeated path is already in.
        let _ = raw.insert(untyped(pattern), i);
        requests.push((method(m), *path));
    }
    (cello.freeze(), raw, requests)
}

/// What any caller of matchit pays to read the parameters (one UTF-8 check per key and
/// value): the fair baseline, since cello-router always reads them to convert them.
fn matchit_read_params(raw: &matchit::Router<usize>, path: &str) {
    if let Ok(m) = raw.at(path) {
        for pair in m.params.iter() {
            black_box(pair);
        }
        black_box(m.value);
    }
}

fn compare(c: &mut Criterion) {
    let (cello, raw, requests) = tables();
    let mut group = c.benchmark_group(format!("all {} routes", requests.len()));
    group.bench_function("cello-router", |b| {
        b.iter(|| {
            for (m, path) in &requests {
                let _ = black_box(cello.lookup(black_box(m), black_box(path)));
            }
        })
    });
    group.bench_function("matchit", |b| {
        b.iter(|| {
            for (_, path) in &requests {
                let _ = black_box(raw.at(black_box(path)));
            }
        })
    });
    group.bench_function("matchit + read params", |b| {
        b.iter(|| {
            for (_, path) in &requests {
                matchit_read_params(&raw, black_box(path));
            }
        })
    });
    group.finish();

    let hot = "/repos/rust-lang/rust/issues/12345";
    let mut group = c.benchmark_group("hot route GET /repos/{owner}/{repo}/issues/{number:int}");
    group.bench_function("cello-router", |b| {
        b.iter(|| black_box(cello.lookup(black_box(&Method::GET), black_box(hot))))
    });
    group.bench_function("matchit", |b| b.iter(|| black_box(raw.at(black_box(hot)))));
    group.bench_function("matchit + read params", |b| {
        b.iter(|| matchit_read_params(&raw, black_box(hot)))
    });
    group.finish();

    let escaped = "/repos/rust-lang/rust/contents/src/read%20me.md";
    c.bench_function("percent-decoded catch-all (cello-router)", |b| {
        b.iter(|| black_box(cello.lookup(black_box(&Method::GET), black_box(escaped))))
    });
}

criterion_group!(benches, compare);
criterion_main!(benches);
