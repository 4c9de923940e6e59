//! A real SMTP server for tests: `aiosmtpd` (PyPI), run from a virtualenv
//! under `target/test-venv` that is created on first use. Every message it
//! receives lands in a Maildir of its own. A server that cannot be started
//! fails the test; it is never skipped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The aiosmtpd release the harness installs.
pub const AIOSMTPD: &str = "aiosmtpd==1.4.6";

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

/// The virtualenv's python, with aiosmtpd importable; created when missing.
pub fn python() -> PathBuf {
    latchkey_testkit::python_venv("test-venv", AIOSMTPD, "aiosmtpd")
}

impl SmtpServer {
    /// Starts aiosmtpd on a free local port.
    ///
    /// # Panics
    ///
    /// When it cannot be installed or does not accept connections within
    /// 15 seconds.
    pub fn start() -> SmtpServer {
        let python = python();
        let port = latchkey_testkit::free_port();
        let maildir =
            std::env::temp_dir().join(format!("latchkey-mail-{}", uuid::Uuid::now_v7().simple()));
        let mut child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        latchkey_testkit::wait_listening(&mut child, port, "aiosmtpd", Duration::from_secs(15));
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw (RFC 5322).
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Waits (up to 20 s) for a message to `to`; returns it raw.
    pub async fn wait_for(&self, to: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(m) = self
                .messages()
                .into_iter()
                .find(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no mail to {to} arrived within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// The body of a message's `text/plain` part, quoted-printable decoded.
pub fn text_part(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let start = raw
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &raw[start..];
    let (headers, body) = part.split_once("\n\n").expect("part headers");
    let body = body.split("\n--").next().unwrap_or(body);
    if headers.contains("quoted-printable") {
        decode_qp(body)
    } else {
        body.to_owned()
    }
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The verification link in a signup's mail.
pub fn verification_link(raw: &str) -> String {
    let text = text_part(raw);
    text.split_whitespace()
        .find(|w| w.contains("/signup/verify?"))
        .unwrap_or_else(|| panic!("no verification link in: {text}"))
        .to_owned()
}
