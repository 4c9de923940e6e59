//! One request head, as it arrived: its target made acceptable, then checked
//! the way hyper will check it, so that whatever hyper would refuse is
//! refused here first, in our own words.

use std::borrow::Cow;

use poem::http::{Method, Uri};

use super::framing::Body;
use super::limits::{MAX_HEADERS, MAX_TARGET_BYTES};
use super::refusal::Refusal;

/// Bytes that clients leave unencoded in request targets and that the `http`
/// crate refuses (or may refuse) there: quotes around SCIM filter values
/// above all. nginx and Node accept them; WHATWG URL parsing percent-encodes
/// them, which is what happens here. None is a delimiter of RFC 3986, so
/// encoding them changes no request's meaning.
const LENIENT: &[u8] = b"\"<>\\^`{|}";

/// What follows a head on the connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The next request's head.
    Request,
    /// A body, then the next request's head.
    Body(Body),
    /// Bytes this layer does not frame (HTTP/2, an upgrade, `CONNECT`):
    /// everything from here on passes as it is.
    Tunnel,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Examined<'a> {
    /// The head as hyper will see it (borrowed when nothing needed
    /// encoding, as for almost every request), and what follows it.
    Accepted {
        head: Cow<'a, [u8]>,
        next: Next,
    },
    Refused(Refusal),
}

/// Where the head in `buf` ends (one past its blank line), if it is complete.
/// `from` is where to resume a previous search.
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    buf[start..]
        .windows(2)
        .enumerate()
        .find_map(|(i, w)| match w {
            b"\n\n" => Some(start + i + 2),
            b"\n\r" if buf.get(start + i + 2) == Some(&b'\n') => Some(start + i + 3),
            _ => None,
        })
}

/// Checks one complete head (`raw` ends with its blank line).
pub fn examine(raw: &[u8]) -> Examined<'_> {
    // HTTP/2 with prior knowledge: its preface looks like a request head.
    if raw.starts_with(b"PRI * HTTP/2.0\r\n") {
        return Examined::Accepted {
            head: Cow::Borrowed(raw),
            next: Next::Tunnel,
        };
    }
    let line_end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let line = raw[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&raw[..line_end]);
    let head = match rewrite_request_line(line) {
        Some(mut rewritten) => {
            rewritten.extend_from_slice(&raw[line.len()..]);
            Cow::Owned(rewritten)
        }
        None => Cow::Borrowed(raw),
    };

    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    // The path only matters to a refusal: it picks the answer's format.
    let refused = |refusal: fn(String) -> Refusal| Examined::Refused(refusal(original_path(line)));
    match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return refused(Refusal::malformed_head),
        Err(httparse::Error::TooManyHeaders) => return refused(Refusal::too_many_headers),
        Err(httparse::Error::Token) if req.method.is_none() => {
            return refused(Refusal::bad_method);
        }
        Err(httparse::Error::Token) => return refused(Refusal::bad_target),
        Err(httparse::Error::Version) => return refused(Refusal::bad_version),
        Err(_) => return refused(Refusal::malformed_head),
    }
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return refused(Refusal::malformed_head);
    };
    if target.len() > MAX_TARGET_BYTES {
        return refused(Refusal::target_too_long);
    }
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return refused(Refusal::bad_method);
    };
    if Uri::try_from(target).is_err() {
        return refused(Refusal::bad_target);
    }
    match framing(&method, version, req.headers) {
        Ok(next) => Examined::Accepted { head, next },
        Err(refusal) => refused(refusal),
    }
}

/// What follows the head, decided as hyper decides it (RFC 9112 §6.3):
/// `Transfer-Encoding` ending in `chunked` wins over `Content-Length`;
/// any other transfer coding, or differing lengths, are refused.
fn framing(
    method: &Method,
    version: u8,
    headers: &[httparse::Header<'_>],
) -> Result<Next, fn(String) -> Refusal> {
    let mut chunked = None;
    let mut length: Option<u64> = None;
    let mut upgrade = method == Method::CONNECT;
    for h in headers {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if version == 0 {
                return Err(Refusal::bad_framing);
            }
            chunked = Some(ends_in_chunked(h.value));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            if chunked.is_some() {
                continue;
            }
            let n = parse_length(h.value).ok_or(Refusal::bad_framing as fn(String) -> Refusal)?;
            if length.is_some_and(|prev| prev != n) {
                return Err(Refusal::bad_framing);
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = version == 1;
        }
    }
    if upgrade {
        return Ok(Next::Tunnel);
    }
    Ok(match (chunked, length) {
        (Some(true), _) => Next::Body(Body::chunked()),
        (Some(false), _) => return Err(Refusal::bad_framing),
        (None, Some(n)) if n > 0 => Next::Body(Body::Length(n)),
        (None, _) => Next::Request,
    })
}

fn ends_in_chunked(value: &[u8]) -> bool {
    value
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// A `Content-Length` value: digits only, as hyper reads it.
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// A request line's method, target and version. The target runs from the
/// first space to the last, so that spaces a client left unencoded stay in
/// it, when what follows the last is an HTTP/1 version.
fn split_request_line(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let first = line.iter().position(|&b| b == b' ')?;
    let last = line.iter().rposition(|&b| b == b' ')?;
    let version = &line[last + 1..];
    (first < last && matches!(version, b"HTTP/1.1" | b"HTTP/1.0"))
        .then(|| (&line[..first], &line[first + 1..last], version))
}

/// The request line with its target's lenient bytes (and spaces)
/// percent-encoded, if it has any; any other line is left for the parser
/// to judge.
fn rewrite_request_line(line: &[u8]) -> Option<Vec<u8>> {
    let (method, target, version) = split_request_line(line)?;
    let lenient = |b: &u8| *b == b' ' || LENIENT.contains(b);
    if !target.iter().any(lenient) {
        return None;
    }
    let mut out = Vec::with_capacity(line.len() + 16);
    out.extend_from_slice(method);
    out.push(b' ');
    for b in target {
        if lenient(b) {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(*b);
        }
    }
    out.push(b' ');
    out.extend_from_slice(version);
    Some(out)
}

/// The path of the request line's target, made safe to route on, so that a
/// refusal answers in the format of the surface it was meant for. `/` when
/// the line has no origin-form target.
pub fn original_path(line: &[u8]) -> String {
    const KEEP: &[u8] = b"-._~!$&'()*+,;=:@/%";
    const MAX: usize = 1024;
    let target = match split_request_line(line) {
        Some((_, target, _)) => target,
        None => line.split(|&b| b == b' ').nth(1).unwrap_or_default(),
    };
    if target.first() != Some(&b'/') {
        return "/".to_owned();
    }
    let mut path = String::new();
    for &b in target.iter().take_while(|&&b| b != b'?' && b != b'#') {
        if path.len() >= MAX {
            break;
        }
        if b.is_ascii_alphanumeric() || KEEP.contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::refusal::Kind;

    fn accepted(raw: &[u8]) -> (String, Next) {
        match examine(raw) {
            Examined::Accepted { head, next } => {
                (String::from_utf8(head.into_owned()).unwrap(), next)
            }
            Examined::Refused(r) => panic!("refused: {r:?}"),
        }
    }

    fn refused(raw: &[u8]) -> Refusal {
        match examine(raw) {
            Examined::Refused(r) => r,
            Examined::Accepted { head, .. } => {
                panic!("accepted: {}", String::from_utf8_lossy(&head))
            }
        }
    }

    #[test]
    fn raw_quotes_in_a_query_are_percent_encoded() {
        let (head, next) = accepted(
            b"GET /Users?filter=userName%20eq%20\"x@example.com\" HTTP/1.1\r\nHost: a\r\n\r\n",
        );
        assert_eq!(
            head,
            "GET /Users?filter=userName%20eq%20%22x@example.com%22 HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        assert_eq!(next, Next::Request);
    }

    #[test]
    fn a_head_with_nothing_to_encode_is_passed_on_without_a_copy() {
        let raw = b"GET /Users?filter=userName%20eq%20%22x%22 HTTP/1.1\r\nHost: a\r\n\r\n";
        assert!(matches!(
            examine(raw),
            Examined::Accepted {
                head: Cow::Borrowed(_),
                ..
            }
        ));
    }

    #[test]
    fn every_lenient_byte_is_encoded_and_nothing_else_is() {
        let (head, _) = accepted(b"GET /a?q=\"<>\\^`{|}%41+b HTTP/1.1\r\n\r\n");
        assert_eq!(
            head,
            "GET /a?q=%22%3C%3E%5C%5E%60%7B%7C%7D%41+b HTTP/1.1\r\n\r\n"
        );
    }

    #[test]
    fn a_head_with_bare_line_feeds_is_accepted_as_hyper_accepts_it() {
        let (head, _) = accepted(b"GET /a?q=\"x\" HTTP/1.1\nHost: a\n\n");
        assert_eq!(head, "GET /a?q=%22x%22 HTTP/1.1\nHost: a\n\n");
    }

    #[test]
    fn a_content_length_frames_a_body() {
        let (_, next) = accepted(b"POST /a HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(next, Next::Body(Body::Length(12)));
    }

    #[test]
    fn chunked_wins_over_content_length() {
        let (_, next) = accepted(
            b"POST /a HTTP/1.1\r\nContent-Length: 12\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        );
        assert_eq!(next, Next::Body(Body::chunked()));
    }

    #[test]
    fn differing_content_lengths_are_refused() {
        let r = refused(b"POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(r.kind, Kind::BadFraming);
    }

    #[test]
    fn a_transfer_coding_other_than_chunked_is_refused() {
        let r = refused(b"POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!(r.kind, Kind::BadFraming);
    }

    #[test]
    fn transfer_encoding_on_http_1_0_is_refused() {
        let r = refused(b"POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(r.kind, Kind::BadFraming);
    }

    #[test]
    fn an_upgrade_or_http2_preface_is_passed_through() {
        let (_, next) = accepted(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        assert_eq!(next, Next::Tunnel);
        let (_, next) = accepted(b"PRI * HTTP/2.0\r\n\r\n");
        assert_eq!(next, Next::Tunnel);
    }

    #[test]
    fn a_control_character_in_a_header_is_refused_with_the_path_kept() {
        let r =
            refused(b"GET /t/acme/scim/v2/Users HTTP/1.1\r\nAuthorization: Bearer \x01\r\n\r\n");
        assert_eq!(r.kind, Kind::MalformedHead);
        assert_eq!(r.path, "/t/acme/scim/v2/Users");
    }

    #[test]
    fn spaces_inside_the_target_are_percent_encoded() {
        let (head, _) = accepted(b"GET /Users?filter=a eq \"b c\" HTTP/1.1\r\n\r\n");
        assert_eq!(
            head,
            "GET /Users?filter=a%20eq%20%22b%20c%22 HTTP/1.1\r\n\r\n"
        );
    }

    #[test]
    fn a_line_that_does_not_end_in_an_http_1_version_is_refused() {
        let r = refused(b"GET /t/acme/scim/v2/Users?filter=a eq b HTTP/2\r\n\r\n");
        assert_eq!(r.kind, Kind::BadVersion);
        assert_eq!(r.path, "/t/acme/scim/v2/Users");
    }

    #[test]
    fn a_bad_method_is_refused() {
        let r = refused(b"G(T / HTTP/1.1\r\n\r\n");
        assert_eq!(r.kind, Kind::BadMethod);
    }

    #[test]
    fn too_many_headers_are_refused() {
        let mut raw = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            raw.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        assert_eq!(refused(&raw).kind, Kind::TooManyHeaders);
    }

    #[test]
    fn a_refused_path_is_cut_at_the_query_and_made_safe() {
        let r = refused(b"GET /t/a\x7fb?x=1 HTTP/1.1\r\n\r\n");
        assert_eq!(r.path, "/t/a%7Fb");
        let r = refused(b"GET http://x/ HTTP/9\r\n\r\n");
        assert_eq!(r.path, "/");
    }

    #[test]
    fn the_end_of_a_head_is_found_across_searches() {
        let buf = b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest";
        assert_eq!(head_end(buf, 0), Some(24));
        assert_eq!(head_end(buf, 23), Some(24));
        assert_eq!(head_end(&buf[..23], 0), None);
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nx", 0), Some(16));
    }
}
