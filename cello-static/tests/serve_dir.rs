//! `ServeDir` called as a tower service on a real directory.
#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use cello_static::{ServeDir, CHUNK};
use http_body_util::BodyExt;
use tower_service::Service;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn call(dir: &mut ServeDir, req: http::request::Builder) -> (u16, http::HeaderMap, Vec<u8>) {
    runtime().block_on(async {
        let res = dir
            .call(req.body(cello_http::Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status.as_u16(), parts.headers, bytes)
    })
}

fn fixture(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("cello-static-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("public")).unwrap();
    root
}

#[test]
fn a_file_several_chunks_long_is_sent_byte_exact() {
    let root = fixture("big");
    let data: Vec<u8> = (0..CHUNK * 3 + 11).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(root.join("public/big.bin"), &data).unwrap();
    let mut dir = ServeDir::new(root.join("public")).unwrap();
    let (status, headers, body) = call(&mut dir, http::Request::get("/big.bin"));
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], data.len().to_string());
    assert_eq!(body, data);
    // a range across two chunk boundaries
    let (first, last) = (CHUNK - 6, 2 * CHUNK + 8);
    let req = http::Request::get("/big.bin").header("range", format!("bytes={first}-{last}"));
    let (status, _, body) = call(&mut dir, req);
    assert_eq!(status, 206);
    assert_eq!(body, &data[first..=last]);
}

#[test]
fn a_symlink_out_of_the_root_is_not_found_but_one_inside_is_followed() {
    let root = fixture("links");
    std::fs::write(root.join("secret.txt"), "SECRET").unwrap();
    std::fs::write(root.join("public/a.txt"), "a").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), root.join("public/out.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("public/a.txt"), root.join("public/in.txt")).unwrap();
    let mut dir = ServeDir::new(root.join("public")).unwrap();
    assert_eq!(call(&mut dir, http::Request::get("/out.txt")).0, 404);
    assert_eq!(call(&mut dir, http::Request::get("/in.txt")).2, b"a");
}

#[test]
fn head_has_the_length_and_no_body() {
    let root = fixture("head");
    std::fs::write(root.join("public/a.txt"), "abc").unwrap();
    let mut dir = ServeDir::new(root.join("public")).unwrap();
    let (status, headers, body) = call(&mut dir, http::Request::head("/a.txt"));
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], "3");
    assert!(body.is_empty());
}

#[test]
fn other_methods_are_405_with_allow() {
    let root = fixture("post");
    let mut dir = ServeDir::new(root.join("public")).unwrap();
    let (status, headers, _) = call(&mut dir, http::Request::post("/a.txt"));
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD");
}

#[test]
fn a_missing_directory_is_refused_when_the_service_is_made() {
    let err = ServeDir::new("/definitely/not/here").unwrap_err();
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}
