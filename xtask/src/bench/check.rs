//! The endpoints every server answers, and the check of each body before it is loaded:
//! a server that answers wrongly gets an error in the report, not a number.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One endpoint of the benchmark and the answer every server must give.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The name in the report.
    pub name: &'static str,
    /// The path requested.
    pub path: &'static str,
    /// What the `content-type` must start with.
    pub content_type: &'static str,
    /// The body (JSON is compared with whitespace outside strings ignored).
    pub body: &'static str,
}

/// The five endpoints, with the same bodies on every server.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "/plaintext",
        path: "/plaintext",
        content_type: "text/plain",
        body: "Hello, World!",
    },
    Endpoint {
        name: "/json",
        path: "/json",
        content_type: "application/json",
        body: r#"{"message":"Hello, World!"}"#,
    },
    Endpoint {
        name: "/users/{id}",
        path: "/users/42",
        content_type: "application/json",
        body: r#"{"id":42}"#,
    },
    Endpoint {
        name: "/async-json",
        path: "/async-json",
        content_type: "application/json",
        body: r#"{"message":"Hello, World!"}"#,
    },
    Endpoint {
        name: "/async-sleep",
        path: "/async-sleep",
        content_type: "application/json",
        body: r#"{"ok":true}"#,
    },
];

/// The plaintext endpoint, also used for the pipelined run.
pub const PLAINTEXT: Endpoint = ENDPOINTS[0];

/// The `/json` endpoint (leak check, profile, instructions per request).
pub const JSON: Endpoint = ENDPOINTS[1];

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `content-type` header, empty when absent.
    pub content_type: String,
    /// The body, de-chunked.
    pub body: String,
}

/// `GET path` on `127.0.0.1:port` with `Connection: close`.
pub fn get(port: u16, path: &str) -> Result<Reply, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("read: {e}"))?;
    parse_reply(&String::from_utf8_lossy(&raw))
}

/// Whether `port` answers `endpoint` exactly as expected; the error says how it differs.
pub fn check(port: u16, endpoint: &Endpoint) -> Result<(), String> {
    let r = get(port, endpoint.path)?;
    let body_ok = if endpoint.content_type == "application/json" {
        squeeze_json(&r.body) == squeeze_json(endpoint.body)
    } else {
        r.body == endpoint.body
    };
    if r.status == 200 && body_ok && r.content_type.starts_with(endpoint.content_type) {
        return Ok(());
    }
    let mut shown = r.body.clone();
    shown.truncate(120);
    Err(format!(
        "GET {} answered {} `{}` {:?}; expected 200 `{}` {:?}",
        endpoint.path, r.status, r.content_type, shown, endpoint.content_type, endpoint.body
    ))
}

/// A response as read off the socket: status, `content-type`, de-chunked body.
pub fn parse_reply(raw: &str) -> Result<Reply, String> {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no complete response head in {raw:?}"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let mut content_type = String::new();
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-type" {
                content_type = value.to_owned();
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// JSON text without the whitespace outside strings (`{"a": 1}` → `{"a":1}`).
pub fn squeeze_json(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c.is_whitespace() {
            continue;
        } else {
            in_string = c == '"';
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_compare_without_whitespace_outside_strings() {
        assert_eq!(squeeze_json("{\"message\": \"Hello, World!\"}"), JSON.body);
        assert_ne!(squeeze_json(r#"{"message":"Hello,World!"}"#), JSON.body);
        assert_eq!(squeeze_json(r#"{"a": "q\" b"}"#), r#"{"a":"q\" b"}"#);
    }

    #[test]
    fn reads_a_chunked_reply() {
        let raw = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n";
        let r = parse_reply(raw).unwrap();
        assert_eq!(
            (r.status, r.content_type.as_str(), r.body.as_str()),
            (200, "text/plain", "Hello, World!")
        );
    }

    #[test]
    fn checks_a_real_server_and_words_a_wrong_body() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for body in ["Hello, World!", "Goodbye"] {
                let (mut s, _) = listener.accept().unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.ends_with(b"\r\n\r\n") {
                    let n = s.read(&mut buf).unwrap();
                    head.extend_from_slice(&buf[..n]);
                }
                let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        assert!(check(port, &PLAINTEXT).is_ok());
        let e = check(port, &PLAINTEXT).unwrap_err();
        assert!(e.contains("Goodbye") && e.contains("expected 200"), "{e}");
    }
}
