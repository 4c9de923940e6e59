//! Test helpers: a minimal HTTP/1.1 reader/writer on tokio (for the Stripe
//! stub and for catching localstripe's webhooks), and the localstripe
//! harness. No HTTP library: the requests we parse are the SDK's and
//! localstripe's, one per connection.

#![allow(dead_code)] // each test binary uses a part

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The localstripe release the harness installs.
pub const LOCALSTRIPE: &str = "localstripe==1.15.10";

/// One HTTP request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Lower-cased names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    /// The target without its query (the SDK sends a bare `?` on GETs).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The body as `application/x-www-form-urlencoded` pairs, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_decode(&String::from_utf8_lossy(&self.body))
    }

    /// The one value of a form field; panics when it is missing or repeated.
    pub fn field(&self, name: &str) -> String {
        let values: Vec<String> = self
            .form()
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(values.len(), 1, "form field {name} in {:?}", self.form());
        values.into_iter().next().unwrap()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("percent escape"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 form value")
}

pub fn form_decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Reads one request (headers, then a `Content-Length` body).
pub async fn read_request(stream: &mut TcpStream) -> std::io::Result<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap_or_default().split(' ');
    let method = start.next().unwrap_or_default().to_owned();
    let target = start.next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().expect("Content-Length"));
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(Request {
        method,
        target,
        headers,
        body,
    })
}

pub async fn write_response(stream: &mut TcpStream, status: u16, body: &str) {
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A fake Stripe: answers each request with what `answer` returns
/// (status, JSON body) and keeps every request it saw.
pub struct Stub {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stub {
    pub async fn start(answer: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let task = {
            let seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        return;
                    };
                    let seen = seen.clone();
                    let answer = answer.clone();
                    tokio::spawn(async move {
                        let Ok(req) = read_request(&mut stream).await else {
                            return;
                        };
                        let (status, body) = answer(&req);
                        seen.lock().unwrap().push(req);
                        write_response(&mut stream, status, &body).await;
                    });
                }
            })
        };
        Stub { base, seen, task }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The python of `target/stripe-venv`, with localstripe installed.
fn localstripe_python() -> PathBuf {
    latchkey_testkit::python_venv("stripe-venv", LOCALSTRIPE, "localstripe")
}

/// A localstripe process on a free port, killed on drop.
pub struct LocalStripe {
    child: Child,
    pub base: String,
}

impl LocalStripe {
    /// # Panics
    ///
    /// When localstripe cannot be installed or does not answer within 20 s.
    pub fn start() -> LocalStripe {
        let python = localstripe_python();
        let port = latchkey_testkit::free_port();
        // `--from-scratch`: localstripe otherwise loads the state another
        // instance left in /tmp/localstripe.pickle (a fixed path).
        let mut child = Command::new(&python)
            .args(["-m", "localstripe", "--from-scratch", "--port"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start localstripe: {e}"));
        latchkey_testkit::wait_listening(&mut child, port, "localstripe", Duration::from_secs(20));
        // Its access log goes to stderr: drain it so that it never blocks.
        if let Some(mut err) = child.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        }
        LocalStripe {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A plain form POST (setup the SDK has no request for, e.g. legacy
    /// plans, or localstripe's `/_config`); returns status and JSON.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        self.request("POST", path, &form_encode(form)).await
    }

    /// A plain GET, to read back what localstripe stored.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.request("GET", path, "").await
    }

    async fn request(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let addr = self.base.trim_start_matches("http://").to_owned();
        let mut stream = TcpStream::connect(&addr)
            .await
            .expect("connect localstripe");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SECRET_KEY}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status: u16 = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("an HTTP status line");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (
            status,
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test key: localstripe accepts any `sk_test_…`.
pub const SECRET_KEY: &str = "sk_test_latchkeybillingtests0123456789";

/// What `tests/fixtures/stripe_subscription.json` (Stripe's current shape)
/// reads as: price ids, the period end from its item (not on the
/// subscription in this shape), metadata sorted by key.
pub fn current_subscription() -> latchkey_stripe::SubscriptionInfo {
    latchkey_stripe::SubscriptionInfo {
        id: "sub_1MowQVLkdIwHu7ixeRlqHVzs".into(),
        customer: "cus_Na6dX7aXxi11N4".into(),
        status: latchkey_stripe::SubscriptionStatus::Active,
        items: vec![latchkey_stripe::SubscriptionItem {
            id: "si_Na6dzxczY5fwHx".into(),
            price_id: "price_1MowQULkdIwHu7ixraBm864M".into(),
            quantity: 12,
        }],
        current_period_end: Some(1_682_288_167),
        cancel_at_period_end: true,
        metadata: vec![
            ("plan".into(), "team".into()),
            (
                "tenant_id".into(),
                "0193a6d4-7c1e-7000-8000-000000000001".into(),
            ),
        ],
    }
}
