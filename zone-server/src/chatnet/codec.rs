//! Line framing on `tokio-util`'s [`Decoder`]: input lines end in CR, LF or any
//! mix of them (ChatNet 1.6), so empty lines never reach the parser. Bad lines
//! are frames too, not errors, so one bad line never ends the connection.
//! A line is handed out as the bytes it was read into, not copied; the
//! reader checks that it is UTF-8.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

/// One framed input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A line's bytes, without its terminator, not yet checked to be UTF-8.
    Line(BytesMut),
    /// A line longer than the maximum; its bytes are dropped up to the next
    /// terminator, and this frame is yielded once, as soon as it is seen.
    TooLong,
}

/// The ChatNet line decoder, with a maximum line length in bytes.
#[derive(Debug)]
pub struct LineCodec {
    max_length: usize,
    /// Bytes of the buffer already searched for a terminator.
    searched: usize,
    /// Dropping the rest of an over-long line.
    discarding: bool,
}

impl LineCodec {
    /// A decoder for lines of at most `max_length` bytes (terminator excluded).
    pub fn new(max_length: usize) -> LineCodec {
        LineCodec { max_length, searched: 0, discarding: false }
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
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
                return Ok(None);
            }
            let Some(offset) = memchr::memchr2(b'\n', b'\r', &buf[self.searched..]) else {
                if self.discarding {
                    buf.clear();
                    self.searched = 0;
                } else if buf.len() > self.max_length {
                    buf.clear();
                    self.searched = 0;
                    self.discarding = true;
                    return Ok(Some(Frame::TooLong));
                } else {
                    self.searched = buf.len();
                }
                return Ok(None);
            };
            let end = self.searched + offset;
            self.searched = 0;
            let line = buf.split_to(end);
            buf.advance(1);
            if std::mem::take(&mut self.discarding) || line.is_empty() {
                continue;
            }
            if line.len() > self.max_length {
                return Ok(Some(Frame::TooLong));
            }
            return Ok(Some(Frame::Line(line)));
        }
    }

    /// A last line without a terminator still counts when the peer closes.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        buf.extend_from_slice(b"\n");
        self.decode(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(codec: &mut LineCodec, input: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            out.push(frame);
        }
        out
    }

    fn line(text: &str) -> Frame {
        Frame::Line(BytesMut::from(text.as_bytes()))
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
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"OP\nGO:");
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(line("NOOP")));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), Some(line("GO:")));
    }

    #[test]
    fn over_long_line_is_reported_once_and_dropped_to_its_end() {
        let mut codec = LineCodec::new(4);
        assert_eq!(frames(&mut codec, b"12345\nok\n"), [Frame::TooLong, line("ok")]);
        // Arriving in pieces: reported when the limit is passed, the rest skipped.
        let mut buf = BytesMut::from(&b"123456"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Frame::TooLong));
        buf.extend_from_slice(b"789");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"0\nnext\n");
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(line("next")));
        // Exactly the limit is fine.
        assert_eq!(frames(&mut codec, b"1234\n"), [line("1234")]);
    }

    #[test]
    fn invalid_utf8_is_a_line_of_its_own() {
        let mut codec = LineCodec::new(64);
        assert_eq!(
            frames(&mut codec, b"\xff\xfe\nNOOP\n"),
            [Frame::Line(BytesMut::from(&b"\xff\xfe"[..])), line("NOOP")]
        );
    }
}
