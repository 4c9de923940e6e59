//! `latchkey serve` — the binary the README starts — on a test's own
//! database, spoken to in raw HTTP/1.1 over a TCP socket, so that request
//! lines go out exactly as written: nothing re-encodes them on the way.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_tenants::testing::TestDb;
use serde_json::Value;

pub struct Served {
    child: Child,
    pub port: u16,
    /// A platform token (`lkp_…`), created at the server's first start.
    pub platform: String,
    data: PathBuf,
}

/// One HTTP response as it came off the socket.
#[derive(Debug)]
pub struct Wire {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The JSON body (Null when empty; a string when not JSON).
    pub body: Value,
}

impl Wire {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    /// Asserts a SCIM error (RFC 7644 §3.12) with this status.
    #[track_caller]
    pub fn expect_scim_error(self, status: u16, scim_type: Option<&str>) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/scim+json"));
        assert_eq!(
            self.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status.to_string());
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.body);
        self
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.body["code"], code, "{}", self.body);
        self
    }
}

fn latchkey() -> Command {
    Command::new(env!("CARGO_BIN_EXE_latchkey"))
}

impl Served {
    /// Starts a server on `db`, listening on a free port of 127.0.0.1.
    pub fn start(db: &TestDb) -> Served {
        let generated = latchkey()
            .args(["token", "generate"])
            .output()
            .expect("latchkey token generate");
        let platform = String::from_utf8_lossy(&generated.stdout).trim().to_owned();
        let data =
            std::env::temp_dir().join(format!("latchkey-served-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&data).expect("a data folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = latchkey()
            .arg("serve")
            .env("LATCHKEY_DATA_DIR", &data)
            .env("DATABASE_URL", db.database_url())
            .env("LATCHKEY_MASTER_KEY", db.master_key_base64())
            .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_BOOTSTRAP_TOKEN", &platform)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("latchkey serve starts");
        let mut served = Served {
            child,
            port,
            platform,
            data,
        };
        served.wait_until_ready();
        served
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nConnection: close\r\n\r\n");
                let mut out = Vec::new();
                if s.read_to_end(&mut out).is_ok() && out.starts_with(b"HTTP/1.1 200") {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("latchkey serve exited: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "latchkey serve did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `request` byte for byte on a new connection and reads every
    /// response until the server closes it (end the last request with
    /// `Connection: close`).
    pub fn exchange(&self, request: &[u8]) -> Vec<Wire> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(request).expect("send");
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("read the responses");
        parse_responses(&out)
    }

    /// Sends one request, byte for byte; its one response.
    #[track_caller]
    pub fn send(&self, request: &str) -> Wire {
        let mut responses = self.exchange(request.as_bytes());
        assert_eq!(responses.len(), 1, "one response to {request:?}");
        responses.remove(0)
    }

    /// `method target` with a bearer token and a JSON body, the connection
    /// closed after it. `target` goes on the wire exactly as given.
    pub fn call(&self, method: &str, target: &str, token: &str, body: Option<Value>) -> Wire {
        self.send(&request(method, target, token, body, true))
    }

    /// Creates tenant `slug` and a SCIM token for it; returns the token.
    pub fn tenant_with_scim_token(&self, slug: &str) -> String {
        let body = serde_json::json!({"slug": slug, "display_name": slug});
        self.call("POST", "/api/v1/tenants", &self.platform, Some(body))
            .expect(201);
        let body = serde_json::json!({"name": "scim", "scopes": ["scim"]});
        let r = self
            .call(
                "POST",
                &format!("/api/v1/tenants/{slug}/tokens"),
                &self.platform,
                Some(body),
            )
            .expect(201);
        r.body["token"].as_str().expect("a token").to_owned()
    }
}

/// A request's bytes; `close` adds `Connection: close`.
pub fn request(
    method: &str,
    target: &str,
    token: &str,
    body: Option<Value>,
    close: bool,
) -> String {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    match body {
        Some(body) => {
            let text = body.to_string();
            format!(
                "{head}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            )
        }
        None => format!("{head}\r\n"),
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Every response in `bytes`, framed by `Content-Length` or chunked.
fn parse_responses(mut bytes: &[u8]) -> Vec<Wire> {
    let mut responses = Vec::new();
    while !bytes.is_empty() {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(bytes)));
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        bytes = &bytes[end + 4..];
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let body: Vec<u8> = if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line_end = bytes
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .expect("a chunk size");
                let size_text = String::from_utf8_lossy(&bytes[..line_end]).into_owned();
                let size = usize::from_str_radix(size_text.trim(), 16).expect("a hex chunk size");
                bytes = &bytes[line_end + 2..];
                if size == 0 {
                    bytes = &bytes[2..];
                    break;
                }
                body.extend_from_slice(&bytes[..size]);
                bytes = &bytes[size + 2..];
            }
            body
        } else {
            let len = get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let body = bytes[..len].to_vec();
            bytes = &bytes[len..];
            body
        };
        let body = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        responses.push(Wire {
            status,
            headers,
            body,
        });
    }
    responses
}
