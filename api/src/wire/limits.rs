//! How large a request head may be before it is refused.

/// The largest request head (request line and headers) accepted.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The longest request target after percent-encoding: hyper's own limit
/// (`MAX_URI_LEN`), so that it never answers 414 with an empty body.
pub const MAX_TARGET_BYTES: usize = u16::MAX as usize - 1;

/// The most header fields in one request: hyper's default (`max_headers`).
pub const MAX_HEADERS: usize = 100;
