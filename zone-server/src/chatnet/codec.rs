//! Line framing: input lines end in CR, LF or any mix of them (ChatNet
//! 1.6), so empty lines never reach the parser. Bad lines are frames too,
//! not errors, so one bad line never ends the connection. A line is read
//! where it lies in the connection's input buffer, neither copied nor split
//! off; the reader checks that it is UTF-8.

use bytes::{Buf, BytesMut};

/// One framed input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A line's bytes, without its terminator, not yet checked to be UTF-8.
    Line(&'a [u8]),
    /// A line longer than the maximum; its bytes are dropped up to the next
    /// terminator, and this frame is yielded once, as soon as it is seen.
    TooLong,
}

/// Where [`LineCodec::next`] found the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A line: the first `len` bytes of the buffer ([`Found::frame`]). The
    /// next call takes them and their terminator out.
    Line(usize),
    /// [`Frame::TooLong`].
    TooLong,
}

impl Found {
    /// The frame in `buf`, the buffer [`LineCodec::next`] was given (and
    /// not changed since); another buffer gives at most its own bytes.
    pub fn frame(self, buf: &[u8]) -> Frame<'_> {
        match self {
            Found::Line(len) => Frame::Line(&buf[..len.min(buf.len())]),
            Found::TooLong => Frame::TooLong,
        }
    }
}

/// The ChatNet line decoder over a connection's input buffer, with a
/// maximum line length in bytes.
#[derive(Debug)]
pub struct LineCodec {
    max_length: usize,
    /// Bytes of the buffer already searched for a terminator.
    searched: usize,
    /// Dropping the rest of an over-long line.
    discarding: bool,
    /// The length of the line last found, with its terminator: still in
    /// the buffer, taken out by the next call.
    found: usize,
}

impl LineCodec {
    /// A decoder for lines of at most `max_length` bytes (terminator excluded).
    pub fn new(max_length: usize) -> LineCodec {
        LineCodec { max_length, searched: 0, discarding: false, found: 0 }
    }

    /// The next frame in `buf`, or `None` until more input comes. `buf` is
    /// the same buffer each call, only added to between calls (after a
    /// `None`). The line found last (and its terminator) is taken out of
    /// `buf` first; what
    /// cannot be a frame (terminators, the rest of an over-long line) is
    /// dropped. After a `None`, `buf` holds at most `max_length` bytes, of
    /// an unfinished line: the input a connection keeps is bounded.
    pub fn next(&mut self, buf: &mut BytesMut) -> Option<Found> {
        match std::mem::take(&mut self.found) {
            0 => {}
            // The whole read was that line (the usual case): the buffer
            // starts over, with all its room.
            found if found >= buf.len() => buf.clear(),
            found => buf.advance(found),
        }
        loop {
            // Terminators at the start of a line (the LF of a CR LF) end
            // nothing but a line being dropped.
            if self.searched == 0 {
                let ends = buf.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
                if ends > 0 {
                    buf.advance(ends);
                    self.discarding = false;
                }
            }
            // Nothing new since the last search (the usual case after a
            // line): no search to set up.
            if buf.len() == self.searched && !self.discarding {
                return None;
            }
            let Some(offset) = memchr::memchr2(b'\n', b'\r', &buf[self.searched..]) else {
                if self.discarding {
                    buf.clear();
                    self.searched = 0;
                } else if buf.len() > self.max_length {
                    buf.clear();
                    self.searched = 0;
                    self.discarding = true;
                    return Some(Found::TooLong);
                } else {
                    self.searched = buf.len();
                }
                return None;
            };
            let end = self.searched + offset;
            self.searched = 0;
            if std::mem::take(&mut self.discarding) || end == 0 {
                buf.advance(end + 1);
                continue;
            }
            if end > self.max_length {
                buf.advance(end + 1);
                return Some(Found::TooLong);
            }
            // With the LF of a CR LF, when it came in the same read.
            let crlf = buf[end] == b'\r' && buf.get(end + 1) == Some(&b'\n');
            self.found = end + 1 + usize::from(crlf);
            return Some(Found::Line(end));
        }
    }

    /// [`LineCodec::next`] once the peer has closed: a last line without a
    /// terminator still counts.
    pub fn next_at_eof(&mut self, buf: &mut BytesMut) -> Option<Found> {
        if let Some(found) = self.next(buf) {
            return Some(found);
        }
        if buf.is_empty() {
            return None;
        }
        buf.extend_from_slice(b"\n");
        self.next(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as the tests compare it: a line's bytes owned.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Line(Vec<u8>),
        TooLong,
    }

    fn next(codec: &mut LineCodec, buf: &mut BytesMut) -> Option<Owned> {
        codec.next(buf).map(|found| own(found.frame(buf)))
    }

    fn own(frame: Frame<'_>) -> Owned {
        match frame {
            Frame::Line(bytes) => Owned::Line(bytes.to_vec()),
            Frame::TooLong => Owned::TooLong,
        }
    }

    fn frames(codec: &mut LineCodec, input: &[u8]) -> Vec<Owned> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(frame) = next(codec, &mut buf) {
            out.push(frame);
        }
        out
    }

    fn line(text: &str) -> Owned {
        Owned::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn any_mix_of_cr_and_lf_ends_a_line() {
        let mut codec = LineCodec::new(64);
        assert_eq!(
            frames(&mut codec, b"a\r\nb\nc\rd\n\r\n\re"),
            [line("a"), line("b"), line("c"), line("d")]
        );
    }

    #[test]
    fn a_line_split_across_reads_is_joined() {
        let mut codec = LineCodec::new(64);
        let mut buf = BytesMut::from(&b"NO"[..]);
        assert_eq!(next(&mut codec, &mut buf), None);
        buf.extend_from_slice(b"OP\nGO:");
        assert_eq!(next(&mut codec, &mut buf), Some(line("NOOP")));
        assert_eq!(next(&mut codec, &mut buf), None);
        assert_eq!(codec.next_at_eof(&mut buf).map(|found| own(found.frame(&buf))), Some(line("GO:")));
    }

    #[test]
    fn over_long_line_is_reported_once_and_dropped_to_its_end() {
        let mut codec = LineCodec::new(4);
        assert_eq!(frames(&mut codec, b"12345\nok\n"), [Owned::TooLong, line("ok")]);
        // Arriving in pieces: reported when the limit is passed, the rest skipped.
        let mut buf = BytesMut::from(&b"123456"[..]);
        assert_eq!(next(&mut codec, &mut buf), Some(Owned::TooLong));
        buf.extend_from_slice(b"789");
        assert_eq!(next(&mut codec, &mut buf), None);
        buf.extend_from_slice(b"0\nnext\n");
        assert_eq!(next(&mut codec, &mut buf), Some(line("next")));
        // Exactly the limit is fine.
        assert_eq!(frames(&mut LineCodec::new(4), b"1234\n"), [line("1234")]);
        // A line found is taken out by the next call.
        let mut codec = LineCodec::new(4);
        let mut buf = BytesMut::from(&b"12\n456"[..]);
        assert_eq!(next(&mut codec, &mut buf), Some(line("12")));
        assert_eq!(next(&mut codec, &mut buf), None);
        assert_eq!(&buf[..], b"456");
    }

    #[test]
    fn invalid_utf8_is_a_line_of_its_own() {
        let mut codec = LineCodec::new(64);
        assert_eq!(
            frames(&mut codec, b"\xff\xfe\nNOOP\n"),
            [Owned::Line(b"\xff\xfe".to_vec()), line("NOOP")]
        );
    }
}
