//! The bytes of a connection before hyper parses them.
//!
//! hyper refuses a request whose target holds a raw `"` (as SCIM filters
//! typed into curl, Postman or an HR script do) before any of our code runs,
//! and answers with an empty 400. So each accepted connection reads through
//! [`Framer`]: it finds every HTTP/1 request head, percent-encodes the bytes
//! clients leave unencoded in the target (`head`), checks the head as hyper
//! will, and replaces a head hyper would refuse by a stand-in request that
//! the service answers in the right format (`refusal`). Bodies are counted,
//! never changed (`framing`), so the next head is found where hyper finds it;
//! when the framing is lost, or the connection leaves HTTP/1 (HTTP/2, an
//! upgrade), everything else passes as it is.

mod framing;
mod head;
mod limits;
pub mod refusal;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use framing::{Body, Progress};
use head::{Examined, Next};
use refusal::Refusal;

pub use limits::MAX_HEAD_BYTES;

/// The request stream of one connection, transformed as the module says.
#[derive(Debug, Default)]
pub struct Framer {
    state: State,
    /// The head being gathered.
    head: Vec<u8>,
    /// How far `head` has been searched for its end.
    searched: usize,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Head,
    Body(Body),
    Passthrough,
    /// A refusal's stand-in was sent: what else the client sends is dropped.
    Closed,
}

impl Framer {
    /// Takes the next bytes read from the client; appends what hyper is to
    /// read to `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            match &mut self.state {
                State::Head => input = self.gather_head(input, out),
                State::Body(body) => match body.advance(input) {
                    Progress::More => {
                        out.extend_from_slice(input);
                        input = &[];
                    }
                    Progress::Done(n) => {
                        out.extend_from_slice(&input[..n]);
                        input = &input[n..];
                        self.state = State::Head;
                    }
                    Progress::Lost => self.state = State::Passthrough,
                },
                State::Passthrough => {
                    out.extend_from_slice(input);
                    input = &[];
                }
                State::Closed => input = &[],
            }
        }
    }

    /// Whether every further byte passes unchanged.
    pub fn is_passthrough(&self) -> bool {
        matches!(self.state, State::Passthrough)
    }

    /// Whether the client's further bytes are dropped.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Gathers head bytes from `input`; returns what is left of it once a
    /// head is complete (the start of its body, or of the next request).
    fn gather_head<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        let input = if self.head.is_empty() {
            // Blank lines before a request line are ignored (RFC 9112 §2.2).
            let start = input
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(input.len());
            &input[start..]
        } else {
            input
        };
        if input.is_empty() {
            return input;
        }
        // Almost always a whole head arrives in one read: it is examined
        // where it lies, without gathering.
        if self.head.is_empty()
            && let Some(end) = head::head_end(input, 0)
            && end <= MAX_HEAD_BYTES
        {
            self.take(head::examine(&input[..end]), out);
            return &input[end..];
        }
        let before = self.head.len();
        self.head.extend_from_slice(input);
        let Some(end) = head::head_end(&self.head, self.searched) else {
            self.searched = self.head.len();
            if self.head.len() > MAX_HEAD_BYTES {
                let path = head_path(&self.head);
                self.refuse(Refusal::head_too_large(path), out);
            }
            return &[];
        };
        if end > MAX_HEAD_BYTES {
            let path = head_path(&self.head);
            self.refuse(Refusal::head_too_large(path), out);
            return &[];
        }
        let head = std::mem::take(&mut self.head);
        self.take(head::examine(&head[..end]), out);
        self.head = head;
        self.head.clear();
        self.searched = 0;
        &input[end - before..]
    }

    /// Passes an examined head on to hyper, or its refusal's stand-in.
    fn take(&mut self, examined: Examined<'_>, out: &mut Vec<u8>) {
        match examined {
            Examined::Accepted { head, next } => {
                out.extend_from_slice(&head);
                self.state = match next {
                    Next::Request => State::Head,
                    Next::Body(body) => State::Body(body),
                    Next::Tunnel => State::Passthrough,
                };
            }
            Examined::Refused(refusal) => self.refuse(refusal, out),
        }
    }

    fn refuse(&mut self, refusal: Refusal, out: &mut Vec<u8>) {
        out.extend_from_slice(&refusal.stand_in());
        self.state = State::Closed;
        self.head = Vec::new();
    }
}

/// The path a head too large to examine was meant for, from its first line.
fn head_path(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    head::original_path(line.strip_suffix(b"\r").unwrap_or(line))
}

/// A connection read through a [`Framer`]; writes pass untouched.
pub struct FramedIo<Io> {
    inner: Io,
    framer: Framer,
    /// Bytes for hyper, from `pending[taken..]`.
    pending: Vec<u8>,
    taken: usize,
    scratch: Box<[u8]>,
}

impl<Io> FramedIo<Io> {
    pub fn new(inner: Io) -> Self {
        FramedIo {
            inner,
            framer: Framer::default(),
            pending: Vec::new(),
            taken: 0,
            // hyper's own first read is 8 KiB: one read here fills one there.
            scratch: vec![0; 8 * 1024].into_boxed_slice(),
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for FramedIo<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.taken < this.pending.len() {
                let n = buf.remaining().min(this.pending.len() - this.taken);
                buf.put_slice(&this.pending[this.taken..this.taken + n]);
                this.taken += n;
                if this.taken == this.pending.len() {
                    this.pending.clear();
                    this.taken = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.framer.is_passthrough() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut scratch = ReadBuf::new(&mut this.scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut scratch))?;
            let read = scratch.filled();
            if read.is_empty() {
                // The client is done sending; an unfinished head is dropped
                // (hyper would only report it as incomplete).
                return Poll::Ready(Ok(()));
            }
            if this.framer.is_closed() {
                // Drained, and never reported as the end: hyper would take
                // an end while it answers the stand-in for an abort.
                continue;
            }
            this.framer.feed(read, &mut this.pending);
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for FramedIo<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Accepts connections from `A`, each read through a [`Framer`].
pub struct FramedAcceptor<A>(pub A);

impl<A: Acceptor> Acceptor for FramedAcceptor<A> {
    type Io = FramedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        Ok((FramedIo::new(io), local, remote, scheme))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What hyper reads when the client's bytes arrive in pieces of `size`.
    fn framed(input: &[u8], size: usize) -> String {
        let mut framer = Framer::default();
        let mut out = Vec::new();
        for piece in input.chunks(size) {
            framer.feed(piece, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pipelined_requests_have_their_targets_encoded_and_bodies_kept() {
        let input = "POST /a?q=\"1\" HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}\
                     POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\"x\"\r\n0\r\n\r\n\
                     GET /c?q=\"3\" HTTP/1.1\r\n\r\n";
        let expected = "POST /a?q=%221%22 HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}\
                        POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\"x\"\r\n0\r\n\r\n\
                        GET /c?q=%223%22 HTTP/1.1\r\n\r\n";
        for size in 1..=input.len() {
            assert_eq!(framed(input.as_bytes(), size), expected, "pieces of {size}");
        }
    }

    #[test]
    fn blank_lines_before_a_request_are_dropped() {
        assert_eq!(
            framed(b"\r\n\r\nGET /?q=\"x\" HTTP/1.1\r\n\r\n", 3),
            "GET /?q=%22x%22 HTTP/1.1\r\n\r\n"
        );
    }

    #[test]
    fn a_refused_head_becomes_a_stand_in_and_the_rest_is_dropped() {
        let out = framed(
            b"GET /t/acme/scim/v2/Users HTTP/1.1\r\nBad\x01: x\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
            5,
        );
        assert_eq!(
            out,
            "GET /t/acme/scim/v2/Users HTTP/1.1\r\nconnection: close\r\nlatchkey-refused-request: malformed-head\r\n\r\n"
        );
    }

    #[test]
    fn a_head_over_the_limit_is_refused_before_it_ends() {
        let mut input = b"GET /t/acme/scim/v2/Users?x=1 HTTP/1.1\r\nX-Big: ".to_vec();
        input.resize(MAX_HEAD_BYTES + 10, b'a');
        let out = framed(&input, 4096);
        assert_eq!(
            out,
            "GET /t/acme/scim/v2/Users HTTP/1.1\r\nconnection: close\r\nlatchkey-refused-request: head-too-large\r\n\r\n"
        );
    }

    #[test]
    fn after_an_upgrade_everything_passes_as_it_is() {
        let input =
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x05GET /?q=\"x\" HTTP/1.1\r\n\r\n";
        let mut framer = Framer::default();
        let mut out = Vec::new();
        framer.feed(input, &mut out);
        assert_eq!(out, input);
        assert!(framer.is_passthrough());
    }

    #[test]
    fn a_lost_chunked_framing_passes_the_rest_as_it_is() {
        let input = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /?q=\"x\" HTTP/1.1\r\n\r\n";
        assert_eq!(framed(input, 7).as_bytes(), input);
    }
}
