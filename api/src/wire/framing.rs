//! Where a request body ends, so that the next request's head is found where
//! hyper will find it. Bytes are only counted here, never changed.

/// The longest chunk-size line with its extensions; hyper refuses longer.
const MAX_CHUNK_LINE: usize = 16 * 1024;

/// A body being passed through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// `Transfer-Encoding: chunked` (RFC 9112 §7.1).
    Chunked(Chunk),
}

/// Where in a chunked body the bytes so far have left us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    /// Hex digits of a chunk size (`digits` read so far).
    Size { size: u64, digits: u8, line: usize },
    /// Whitespace or an extension after the size, up to its CR.
    SizeRest { size: u64, line: usize },
    /// The LF ending a size line.
    SizeLf { size: u64 },
    /// Chunk data, this many bytes left.
    Data(u64),
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// At the start of a trailer line (or of the blank line ending the body).
    TrailerStart,
    /// Inside a trailer field line, up to its CR.
    TrailerLine { line: usize },
    /// The LF ending a trailer field line.
    TrailerLf,
    /// The LF of the blank line ending the body.
    EndLf,
}

/// What passing bytes through a body came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// The body goes on past these bytes.
    More,
    /// The body ended after `n` of the bytes.
    Done(usize),
    /// The bytes are not a body hyper would accept: hyper ends the
    /// connection, and nothing further is framed.
    Lost,
}

impl Body {
    pub fn chunked() -> Body {
        Body::Chunked(Chunk::Size {
            size: 0,
            digits: 0,
            line: 0,
        })
    }

    /// Counts `input` against the body.
    pub fn advance(&mut self, input: &[u8]) -> Progress {
        match self {
            Body::Length(left) => {
                let len = input.len() as u64;
                if len < *left {
                    *left -= len;
                    Progress::More
                } else {
                    // `left` <= len, which is a usize.
                    Progress::Done(*left as usize)
                }
            }
            Body::Chunked(state) => {
                let mut i = 0;
                while i < input.len() {
                    if let Chunk::Data(left) = state {
                        let n = (*left).min((input.len() - i) as u64);
                        *left -= n;
                        i += n as usize;
                        if *left == 0 {
                            *state = Chunk::DataCr;
                        }
                        continue;
                    }
                    match step(*state, input[i]) {
                        Step::Next(next) => *state = next,
                        Step::End => return Progress::Done(i + 1),
                        Step::Lost => return Progress::Lost,
                    }
                    i += 1;
                }
                Progress::More
            }
        }
    }
}

enum Step {
    Next(Chunk),
    End,
    Lost,
}

/// One byte of a chunked body outside chunk data.
fn step(state: Chunk, b: u8) -> Step {
    use Chunk::*;
    let next = match state {
        Size { size, digits, line } => {
            if let Some(d) = (b as char).to_digit(16) {
                if digits >= 16 {
                    return Step::Lost;
                }
                Size {
                    size: size << 4 | u64::from(d),
                    digits: digits + 1,
                    line: line + 1,
                }
            } else if digits == 0 {
                return Step::Lost;
            } else {
                match b {
                    b'\r' => SizeLf { size },
                    b' ' | b'\t' | b';' => SizeRest {
                        size,
                        line: line + 1,
                    },
                    _ => return Step::Lost,
                }
            }
        }
        SizeRest { size, line } => match b {
            b'\r' => SizeLf { size },
            b'\n' => return Step::Lost,
            _ if line >= MAX_CHUNK_LINE => return Step::Lost,
            _ => SizeRest {
                size,
                line: line + 1,
            },
        },
        SizeLf { size } => match (b, size) {
            (b'\n', 0) => TrailerStart,
            (b'\n', n) => Data(n),
            _ => return Step::Lost,
        },
        // Handled by `advance` without a byte-by-byte walk.
        Data(_) => return Step::Lost,
        DataCr => match b {
            b'\r' => DataLf,
            _ => return Step::Lost,
        },
        DataLf => match b {
            b'\n' => Size {
                size: 0,
                digits: 0,
                line: 0,
            },
            _ => return Step::Lost,
        },
        TrailerStart => match b {
            b'\r' => EndLf,
            _ => TrailerLine { line: 1 },
        },
        TrailerLine { line } => match b {
            b'\r' => TrailerLf,
            _ if line >= MAX_CHUNK_LINE => return Step::Lost,
            _ => TrailerLine { line: line + 1 },
        },
        TrailerLf => match b {
            b'\n' => TrailerStart,
            _ => return Step::Lost,
        },
        EndLf => match b {
            b'\n' => return Step::End,
            _ => return Step::Lost,
        },
    };
    Step::Next(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `size` bytes; where the body ended, if it did.
    fn end_of(mut body: Body, input: &[u8], size: usize) -> Option<usize> {
        let mut at = 0;
        for piece in input.chunks(size) {
            match body.advance(piece) {
                Progress::More => at += piece.len(),
                Progress::Done(n) => return Some(at + n),
                Progress::Lost => return None,
            }
        }
        None
    }

    #[test]
    fn a_length_ends_after_its_bytes_however_they_arrive() {
        let input = b"{\"a\":\"b\"}GET /next";
        for size in 1..input.len() {
            assert_eq!(
                end_of(Body::Length(9), input, size),
                Some(9),
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_however_it_arrives() {
        let input =
            b"5\r\nhe\"lo\r\n1a;ext=\"x\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nGET /next";
        let body_len = input.len() - b"GET /next".len();
        for size in 1..=input.len() {
            assert_eq!(
                end_of(Body::chunked(), input, size),
                Some(body_len),
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn trailers_are_part_of_a_chunked_body() {
        let input = b"1\r\nx\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\nNEXT";
        assert_eq!(end_of(Body::chunked(), input, 3), Some(input.len() - 4));
    }

    #[test]
    fn chunk_data_may_hold_anything() {
        let input = b"4\r\n0\r\n\r\r\n0\r\n\r\n";
        assert_eq!(end_of(Body::chunked(), input, 1), Some(input.len()));
    }

    #[test]
    fn a_malformed_chunk_size_loses_the_framing() {
        assert_eq!(end_of(Body::chunked(), b"zz\r\n", 1), None);
        assert_eq!(end_of(Body::chunked(), b"\r\n", 1), None);
        assert_eq!(end_of(Body::chunked(), b"5\nhello", 1), None);
        assert_eq!(end_of(Body::chunked(), b"11111111111111111\r\n", 4), None);
    }

    #[test]
    fn chunk_data_without_its_crlf_loses_the_framing() {
        assert_eq!(end_of(Body::chunked(), b"1\r\nxy\r\n0\r\n\r\n", 2), None);
    }
}
