//! An app on the `cello` crate, served on a real socket: extractors, rejections, state,
//! layers.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use cello::{App, Json, Path, Query, State};
use cello_middleware::request_id::RequestIdLayer;
use common::Running;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct Counter(AtomicU64);

#[derive(Deserialize)]
struct Page {
    limit: u32,
    q: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Todo {
    title: String,
    done: bool,
}

async fn count(State(c): State<Arc<Counter>>) -> String {
    (c.0.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

async fn item(
    Path((name, id)): Path<(String, i64)>,
    Query(page): Query<Page>,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "name": name, "id": id, "limit": page.limit, "q": page.q }))
}

async fn create(Json(todo): Json<Todo>) -> (StatusCode, Json<Todo>) {
    (StatusCode::CREATED, Json(todo))
}

fn start() -> Running {
    let app = App::with_state(Arc::new(Counter::default()))
        .get("/count", count)
        .get("/items/{name}/{id:int}", item)
        .post("/todos", create)
        .layer(RequestIdLayer::new());
    common::spawn(app)
}

fn exchange(addr: SocketAddr, raw: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

fn post_json(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, String, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn path_and_query_extractors_convert_their_values() {
    let app = start();
    let (status, head, body) = get(app.addr, "/items/a%20b/42?limit=5&q=x");
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: application/json"));
    assert!(head.contains("x-request-id:"), "the layer ran: {head}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"name": "a b", "id": 42, "limit": 5, "q": "x"})
    );
}

#[test]
fn state_is_shared_by_every_request() {
    let app = start();
    assert_eq!(get(app.addr, "/count").2, "1");
    assert_eq!(get(app.addr, "/count").2, "2");
}

#[test]
fn a_json_body_round_trips_with_the_status_the_handler_chose() {
    let app = start();
    let (status, _, body) = post_json(
        app.addr,
        "/todos",
        "application/json",
        r#"{"title":"t","done":true}"#,
    );
    assert_eq!(status, 201);
    assert_eq!(body, r#"{"title":"t","done":true}"#);
}

#[test]
fn every_rejection_is_a_json_detail_with_its_status() {
    let app = start();
    let cases = [
        (get(app.addr, "/nope"), 404, "Not Found"),
        (
            post_json(app.addr, "/count", "text/plain", "x"),
            405,
            "Method Not Allowed",
        ),
        (get(app.addr, "/items/a/notint?limit=1"), 422, "integer"),
        (
            get(app.addr, "/items/a/1?limit=many"),
            422,
            "invalid query string",
        ),
        (get(app.addr, "/items/a/1"), 422, "limit"),
        (
            post_json(app.addr, "/todos", "text/plain", "{}"),
            415,
            "Content-Type",
        ),
        (
            post_json(app.addr, "/todos", "application/json", "{nope"),
            400,
            "invalid JSON",
        ),
        (
            post_json(app.addr, "/todos", "application/json", r#"{"title":1}"#),
            422,
            "invalid JSON",
        ),
    ];
    for ((status, head, body), want, says) in cases {
        assert_eq!(status, want, "{body}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        // A path parameter's 422 is FastAPI's list of errors; the others a message.
        let detail = match &v["detail"] {
            serde_json::Value::String(s) => s.clone(),
            list => list[0]["msg"].as_str().unwrap().to_owned(),
        };
        assert!(detail.contains(says), "{want}: {detail}");
        assert!(
            head.contains("x-request-id:"),
            "router answers go through the layers too"
        );
    }
    let (_, head, _) = post_json(app.addr, "/count", "text/plain", "x");
    assert!(head.contains("allow: get, head"), "{head}");
}

#[test]
fn a_conflicting_route_is_an_error_before_anything_is_served() {
    async fn a() -> &'static str {
        "a"
    }
    let app = App::new().get("/x/{id}", a).get("/x/{name}", a);
    let err = app.into_service().unwrap_err().to_string();
    assert!(
        err.contains("/x/{id}") && err.contains("/x/{name}"),
        "{err}"
    );
}
