//! The reply stream a handler writes to (DESIGN §4.5). Handlers never build
//! protocol lines: the sink behind a [`Reply`] does (ChatNet turns each line into
//! `MSG:ARENA:line`; the test sink collects them).

use std::fmt;

/// Who a reply line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The player who sent the command.
    Sender,
    /// The player the command was aimed at (player form only).
    Target,
}

/// Where reply lines go. The zone implements it per connection; tests collect.
pub trait ReplySink: Send {
    /// Delivers one line of text (no line terminator) to `to`. A sink for a
    /// command without a player target drops [`Recipient::Target`] lines.
    fn line(&mut self, to: Recipient, text: &str);
}

/// Collects lines, for tests and consoles.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    /// Lines for the sender, in order.
    pub sender: Vec<String>,
    /// Lines for the target, in order.
    pub target: Vec<String>,
}

impl ReplySink for Collected {
    fn line(&mut self, to: Recipient, text: &str) {
        match to {
            Recipient::Sender => self.sender.push(text.to_owned()),
            Recipient::Target => self.target.push(text.to_owned()),
        }
    }
}

/// A stream of reply lines to one recipient. It implements [`fmt::Write`]: text
/// is cut into lines at `\n`, and a last unterminated line is sent when the
/// `Reply` is dropped, so `writeln!(ctx.reply(), "...")` sends one line.
pub struct Reply<'a> {
    sink: &'a mut (dyn ReplySink + Send),
    /// `None`: the lines go nowhere (a target reply without a player target).
    to: Option<Recipient>,
    pending: String,
}

impl<'a> Reply<'a> {
    pub(crate) fn new(sink: &'a mut (dyn ReplySink + Send), to: Option<Recipient>) -> Reply<'a> {
        Reply { sink, to, pending: String::new() }
    }

    fn send(&mut self, line: &str) {
        if let Some(to) = self.to {
            self.sink.line(to, line);
        }
    }

    /// Sends `text` as one line (embedded newlines start new lines).
    pub fn line(&mut self, text: &str) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.send(&pending);
        }
        // `text.split('\n')`, with memchr's vectorised search: most
        // replies are one line, and this is on every command's path.
        let mut rest = text;
        while let Some(end) = memchr::memchr(b'\n', rest.as_bytes()) {
            self.send(&rest[..end]);
            rest = &rest[end + 1..];
        }
        self.send(rest);
    }
}

impl fmt::Write for Reply<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(end) = memchr::memchr(b'\n', rest.as_bytes()) {
            self.pending.push_str(&rest[..end]);
            let line = std::mem::take(&mut self.pending);
            self.send(&line);
            rest = &rest[end + 1..];
        }
        self.pending.push_str(rest);
        Ok(())
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.send(&pending);
        }
    }
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply").field("to", &self.to).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn write_cuts_lines_and_flushes_the_rest_on_drop() {
        let mut sink = Collected::default();
        {
            let mut reply = Reply::new(&mut sink, Some(Recipient::Sender));
            write!(reply, "a{}", 1).unwrap();
            writeln!(reply, " b").unwrap();
            write!(reply, "c\nd").unwrap();
        }
        assert_eq!(sink.sender, ["a1 b", "c", "d"]);
        assert!(sink.target.is_empty());
    }

    #[test]
    fn line_sends_each_embedded_line() {
        let mut sink = Collected::default();
        Reply::new(&mut sink, Some(Recipient::Target)).line("x\ny");
        assert_eq!(sink.target, ["x", "y"]);
        Reply::new(&mut sink, None).line("dropped");
        assert_eq!(sink, Collected { sender: vec![], target: vec!["x".into(), "y".into()] });
    }
}
