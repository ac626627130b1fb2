//! The built `cello-hello` binary on a real socket, spoken to in raw HTTP/1.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test should panic on a failed step"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a starting or stopping app may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// The app running in a child process; killed when dropped.
struct App {
    child: Child,
    addr: SocketAddr,
    /// Kept open so the app can still write to its stderr.
    _stderr: BufReader<ChildStderr>,
}

impl App {
    /// Starts the app on a port the kernel picks and reads it from the app's
    /// "serving on" line. (Choosing a free port here and handing it over raced with
    /// every other server on the machine for that port.)
    fn start() -> App {
        let mut child = spawn("127.0.0.1:0".parse().unwrap());
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (line, stderr) = first_line(stderr);
        let Some(addr) = line
            .split_once("serving on http://")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
        else {
            let _ = child.kill();
            panic!("cello-hello did not start serving: {line:?}");
        };
        App {
            child,
            addr,
            _stderr: stderr,
        }
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// One request on a new connection.
    fn get(&self, method: &str, path: &str) -> Reply {
        let mut conn = self.connect();
        conn.send(&request(method, path));
        conn.read()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(addr: SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cello-hello"))
        .arg(addr.to_string())
        .arg("1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The first line the app writes to stderr (empty if it exits first), read on a
/// thread so that a hung app fails the test instead of hanging it.
fn first_line(mut stderr: BufReader<ChildStderr>) -> (String, BufReader<ChildStderr>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = tx.send((line, stderr));
    });
    rx.recv_timeout(PATIENCE)
        .expect("cello-hello wrote nothing to stderr in time")
}

/// Waits for `child` to exit, killing it (and failing) if it does not in time.
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cello-hello is still running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn request(method: &str, path: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers every response carries, checked against the body.
    fn assert_common_headers(&self) {
        assert_eq!(
            self.header("content-length"),
            Some(self.body.len().to_string().as_str()),
            "{self:?}"
        );
        assert!(
            self.header("date").is_some_and(|d| d.ends_with(" GMT")),
            "{self:?}"
        );
        assert_eq!(self.header("server"), Some("cello"), "{self:?}");
        assert!(self.header("x-request-id").is_some(), "{self:?}");
    }
}

impl Conn {
    fn send(&mut self, raw: &str) {
        self.writer.write_all(raw.as_bytes()).unwrap();
    }

    /// Reads one response with a `Content-Length` body.
    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .unwrap_or_else(|| panic!("not a status line: {line:?}"))
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end_matches("\r\n");
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: String::new(),
        };
        let len: usize = reply.header("content-length").unwrap().parse().unwrap();
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        reply.body = String::from_utf8(body).unwrap();
        reply
    }
}

#[test]
fn plaintext_answers_hello_world_as_text() {
    let app = App::start();
    let r = app.get("GET", "/plaintext");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Hello, World!");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    r.assert_common_headers();
}

#[test]
fn json_and_async_json_answer_the_message_object() {
    let app = App::start();
    for path in ["/json", "/async-json"] {
        let r = app.get("GET", path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, r#"{"message":"Hello, World!"}"#);
        assert_eq!(r.header("content-type"), Some("application/json"));
        r.assert_common_headers();
    }
}

#[test]
fn user_routes_echo_the_integer_id() {
    let app = App::start();
    for (path, body) in [
        ("/users/42", r#"{"id":42}"#),
        ("/user/7", r#"{"id":7}"#),
        ("/users/-3?x=1", r#"{"id":-3}"#),
    ] {
        let r = app.get("GET", path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        r.assert_common_headers();
    }
}

#[test]
fn async_sleep_answers_ok_after_sleeping() {
    let app = App::start();
    let started = Instant::now();
    let r = app.get("GET", "/async-sleep");
    assert!(started.elapsed() >= Duration::from_millis(1));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, r#"{"ok":true}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.assert_common_headers();
}

#[test]
fn unknown_path_is_404_with_a_json_detail() {
    let app = App::start();
    let r = app.get("GET", "/nope");
    assert_eq!(r.status, 404);
    assert_eq!(r.body, r#"{"detail":"Not Found"}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.assert_common_headers();
}

#[test]
fn wrong_method_is_405_with_allow() {
    let app = App::start();
    let r = app.get("POST", "/json");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    assert_eq!(r.body, r#"{"detail":"Method Not Allowed"}"#);
    r.assert_common_headers();
}

#[test]
fn non_integer_id_is_422_naming_the_parameter() {
    let app = App::start();
    let r = app.get("GET", "/users/abc");
    assert_eq!(r.status, 422);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body,
        r#"{"detail":[{"type":"int_parsing","loc":["path","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]}"#
    );
    r.assert_common_headers();
}

#[test]
fn keeps_the_connection_alive_between_requests() {
    let app = App::start();
    let mut conn = app.connect();
    conn.send(&request("GET", "/plaintext"));
    assert_eq!(conn.read().body, "Hello, World!");
    conn.send(&request("GET", "/users/2"));
    assert_eq!(conn.read().body, r#"{"id":2}"#);
}

#[test]
fn answers_pipelined_requests_in_order() {
    let app = App::start();
    let mut conn = app.connect();
    let batch = [
        request("GET", "/json"),
        request("GET", "/plaintext"),
        request("GET", "/users/9"),
    ]
    .concat();
    conn.send(&batch);
    let replies: Vec<Reply> = (0..3).map(|_| conn.read()).collect();
    assert_eq!(replies[0].body, r#"{"message":"Hello, World!"}"#);
    assert_eq!(replies[1].body, "Hello, World!");
    assert_eq!(replies[2].body, r#"{"id":9}"#);
    assert!(replies.iter().all(|r| r.status == 200));
}

#[test]
fn a_second_app_on_a_busy_port_exits_with_address_already_in_use() {
    let app = App::start();
    let mut second = spawn(app.addr);
    let status = wait_for_exit(&mut second);
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("address already in use"), "{stderr}");
    assert!(stderr.contains(&app.addr.to_string()), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // The first app still answers, alone on its port.
    assert_eq!(app.get("GET", "/plaintext").status, 200);
}
