//! A request this layer refuses, answered by the service like any other
//! failure: the refused head is replaced by a stand-in request that carries
//! the refusal in a header, so the answer goes through `Observe` (request id,
//! metrics, rate limits) and comes in the format of the surface the request
//! was meant for — a SCIM error under `/t/{tenant}/scim/v2`, a problem
//! document elsewhere. hyper itself would answer with an empty 400.

use poem::Request;
use poem::http::StatusCode;

use crate::error::Problem;

/// The header naming the refusal on the stand-in request. A client that
/// sends it itself is answered with that refusal: it can only refuse its own
/// request.
pub const HEADER: &str = "latchkey-refused-request";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MalformedHead,
    BadMethod,
    BadTarget,
    BadVersion,
    BadFraming,
    TooManyHeaders,
    HeadTooLarge,
    TargetTooLong,
}

const KINDS: [(Kind, &str); 8] = [
    (Kind::MalformedHead, "malformed-head"),
    (Kind::BadMethod, "bad-method"),
    (Kind::BadTarget, "bad-target"),
    (Kind::BadVersion, "bad-version"),
    (Kind::BadFraming, "bad-framing"),
    (Kind::TooManyHeaders, "too-many-headers"),
    (Kind::HeadTooLarge, "head-too-large"),
    (Kind::TargetTooLong, "target-too-long"),
];

impl Kind {
    fn token(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("malformed-head", |(_, t)| t)
    }

    fn from_token(token: &str) -> Option<Kind> {
        KINDS.iter().find(|(_, t)| *t == token).map(|(k, _)| *k)
    }

    /// The answer: its status, stable problem code and words.
    pub fn problem(self) -> Problem {
        let bad = |detail: &str| Problem::new(StatusCode::BAD_REQUEST, "malformed-request", detail);
        match self {
            Kind::MalformedHead => bad(
                "the request head is malformed: a header line is not `Name: value`, or holds a control character",
            ),
            Kind::BadMethod => bad("the request method is not a valid HTTP token"),
            Kind::BadTarget => bad(
                "the request target is not a valid URI: percent-encode control characters and bytes outside ASCII's printable range",
            ),
            Kind::BadVersion => bad(
                "the request line does not end in HTTP/1.0 or HTTP/1.1 (is a character of the target left unencoded?)",
            ),
            Kind::BadFraming => bad(
                "the request body's framing is ambiguous: Content-Length values differ or are not numbers, or Transfer-Encoding does not end in chunked",
            ),
            Kind::TooManyHeaders => Problem::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request-headers-too-large",
                format!(
                    "the request has more than {} header fields",
                    super::limits::MAX_HEADERS
                ),
            ),
            Kind::HeadTooLarge => Problem::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request-headers-too-large",
                format!(
                    "the request line and headers exceed {} bytes",
                    super::limits::MAX_HEAD_BYTES
                ),
            ),
            Kind::TargetTooLong => Problem::new(
                StatusCode::URI_TOO_LONG,
                "uri-too-long",
                format!(
                    "the request target exceeds {} bytes",
                    super::limits::MAX_TARGET_BYTES
                ),
            ),
        }
    }
}

/// A refused request: why, and the path it was meant for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: Kind,
    /// The original target's path, made safe (see `head::original_path`).
    pub path: String,
}

macro_rules! constructors {
    ($($name:ident => $kind:ident),* $(,)?) => {$(
        pub fn $name(path: String) -> Refusal {
            Refusal { kind: Kind::$kind, path }
        }
    )*};
}

impl Refusal {
    constructors! {
        malformed_head => MalformedHead,
        bad_method => BadMethod,
        bad_target => BadTarget,
        bad_version => BadVersion,
        bad_framing => BadFraming,
        too_many_headers => TooManyHeaders,
        head_too_large => HeadTooLarge,
        target_too_long => TargetTooLong,
    }

    /// The stand-in request, the last on its connection.
    pub fn stand_in(&self) -> Vec<u8> {
        format!(
            "GET {} HTTP/1.1\r\nconnection: close\r\n{HEADER}: {}\r\n\r\n",
            self.path,
            self.kind.token()
        )
        .into_bytes()
    }
}

/// The refusal a stand-in request carries, if it is one.
pub fn of(req: &Request) -> Option<Kind> {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(Kind::from_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_in_request_names_its_refusal_and_closes_the_connection() {
        let r = Refusal::bad_target("/t/acme/scim/v2/Users".into());
        assert_eq!(
            String::from_utf8(r.stand_in()).unwrap(),
            "GET /t/acme/scim/v2/Users HTTP/1.1\r\nconnection: close\r\nlatchkey-refused-request: bad-target\r\n\r\n"
        );
    }

    #[test]
    fn every_kind_is_read_back_from_its_token() {
        for (kind, token) in KINDS {
            assert_eq!(Kind::from_token(token), Some(kind));
            assert_eq!(kind.token(), token);
        }
        assert_eq!(Kind::from_token("anything-else"), None);
    }

    #[test]
    fn refusals_answer_400_431_or_414() {
        assert_eq!(Kind::BadTarget.problem().status, 400);
        assert_eq!(Kind::HeadTooLarge.problem().status, 431);
        assert_eq!(Kind::TooManyHeaders.problem().status, 431);
        assert_eq!(Kind::TargetTooLong.problem().status, 414);
    }
}
