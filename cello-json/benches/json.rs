//! Parsing (cello-json tape vs raw simd-json tape vs serde_json `Value`) and
//! string writing (cello-json `write_str` vs serde_json's escaping).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn small_object() -> String {
    r#"{"id":12345,"name":"cello","active":true,"score":9.5,"tags":["fast","rust"]}"#.to_owned()
}

fn nested_api_response() -> String {
    let mut repos = Vec::new();
    for i in 0..20 {
        repos.push(format!(
            r#"{{"id":{i},"name":"repo-{i}","full_name":"octo/repo-{i}","private":false,"owner":{{"login":"octo","id":583231,"site_admin":false,"urls":{{"html":"https://example.invalid/octo","api":"https://api.example.invalid/users/octo"}}}},"description":"Repository number {i} with a \"quoted\" word","stars":{},"forks":{},"score":{}.5,"topics":["http","json","python"]}}"#,
            i * 37, i * 3, i
        ));
    }
    format!(
        r#"{{"data":{{"user":{{"id":1,"login":"octo","email":null}},"repos":[{}]}},"meta":{{"page":1,"per_page":20,"total":240,"next":"https://api.example.invalid/repos?page=2"}}}}"#,
        repos.join(",")
    )
}

fn records_1000() -> String {
    let records: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"id":{i},"uuid":"5f1c{i:08}-7e2a-4b1d-9c3e-{i:012}","name":"user {i}","email":"user{i}@example.invalid","age":{},"balance":{}.{:02},"active":{},"tags":["a","b"]}}"#,
                18 + i % 60, i * 13, i % 100, i % 3 == 0
            )
        })
        .collect();
    format!("[{}]", records.join(","))
}

fn unicode_heavy() -> String {
    let items: Vec<String> = (0..200)
        .map(|i| {
            format!(
                r#"{{"title":"日本語のタイトル {i} — Ünïcödé 😀🎉","body":"Съешь же ещё этих мягких французских булок, да выпей чаю. 中文内容 \u00e9\u4e2d\ud83d\ude00","lang":"ja"}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn parse(c: &mut Criterion) {
    let docs = [
        ("small_object", small_object()),
        ("nested_api_response", nested_api_response()),
        ("records_1000", records_1000()),
        ("unicode_heavy", unicode_heavy()),
    ];
    for (name, doc) in docs {
        let bytes = doc.into_bytes();
        let mut group = c.benchmark_group(format!("parse/{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("cello_json::parse_tape", |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |buf| black_box(cello_json::parse_tape(buf).map(|t| t.nodes().len()).ok()),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("simd_json::to_tape", |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |buf| black_box(simd_json::to_tape(buf).map(|t| t.0.len()).ok()),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("serde_json::from_slice::<Value>", |b| {
            b.iter(|| {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).ok())
            })
        });
        group.finish();
    }
}

fn write_strings(c: &mut Criterion) {
    let cases = [
        ("ascii_24B", "hello, cello-json world!".to_owned()),
        (
            "ascii_1KiB",
            "The quick brown fox jumps over the lazy dog. ".repeat(23),
        ),
        (
            "escapes_1KiB",
            "line \"one\"\n\tpath C:\\dir\\file\r\n".repeat(37),
        ),
        ("unicode_1KiB", "日本語 Ünïcödé 😀 Съешь ещё ".repeat(23)),
    ];
    for (name, s) in cases {
        let mut group = c.benchmark_group(format!("write_str/{name}"));
        group.throughput(Throughput::Bytes(s.len() as u64));
        let mut buf = Vec::with_capacity(4 * s.len() + 2);
        group.bench_function("cello_json::write_str", |b| {
            b.iter(|| {
                buf.clear();
                cello_json::write_str(&mut buf, black_box(&s));
                black_box(buf.len())
            })
        });
        group.bench_function("serde_json::to_writer", |b| {
            b.iter(|| {
                buf.clear();
                let _ = serde_json::to_writer(&mut buf, black_box(s.as_str()));
                black_box(buf.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, parse, write_strings);
criterion_main!(benches);
