//! ChatNet 1.6 messages: parsing client lines and encoding server lines
//! (DESIGN §6). Fields are split on `:`; the last field may contain `:`.

use std::fmt::{self, Write as _};

use bytes::{BufMut, Bytes, BytesMut};

use crate::zone::event::{ChatKind, Event};

/// A parsed client line (ChatNet 1.6, client → server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage<'a> {
    /// `LOGIN:1;client name:name:password`.
    Login {
        /// The protocol version before the `;` (`1`).
        version: &'a str,
        /// The client's name after the `;`.
        client: &'a str,
        /// The player name.
        name: &'a str,
        /// The password (may contain `:`).
        password: &'a str,
    },
    /// `GO:realm`; an empty realm means the first public realm.
    Go(&'a str),
    /// `CHANGEFREQ:freq`.
    ChangeFreq(&'a str),
    /// `SEND:PUB:msg`.
    Pub(&'a str),
    /// `SEND:PUBM:msg` (a public macro).
    Pubm(&'a str),
    /// `SEND:PRIV:name:msg`.
    Priv {
        /// The receiver.
        name: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `SEND:FREQ:freq:msg`.
    Freq {
        /// The freq, as sent.
        freq: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `SEND:CMD:cmd`: a command in the pub form, cmd char optional.
    Cmd(&'a str),
    /// `SEND:PRIVCMD:name:cmd`: a command aimed at a player.
    PrivCmd {
        /// The target.
        name: &'a str,
        /// The command.
        cmd: &'a str,
    },
    /// `SEND:CHAT:[chan;]msg`.
    Chat(&'a str),
    /// `SEND:MOD:msg`.
    Mod(&'a str),
    /// `NOOP`.
    Noop,
}

/// A client line that is not a ChatNet message. Each has the answer line the
/// player gets ([`fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError<'a> {
    /// The type (first field, or `SEND:` subtype) is not one ChatNet defines.
    UnknownType(&'a str),
    /// A known type with fields missing or malformed.
    Malformed {
        /// The message type (`SEND:PRIV`).
        kind: &'static str,
        /// Its shape (`SEND:PRIV:name:message`).
        shape: &'static str,
    },
}

impl fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownType(kind) => write!(f, "unknown message type '{kind}'"),
            ParseError::Malformed { kind, shape } => write!(f, "malformed {kind}: expected {shape}"),
        }
    }
}

fn malformed(kind: &'static str, shape: &'static str) -> ParseError<'static> {
    ParseError::Malformed { kind, shape }
}

/// Parses one client line (without terminator).
///
/// # Errors
/// [`ParseError::UnknownType`] or [`ParseError::Malformed`].
pub fn parse(line: &str) -> Result<ClientMessage<'_>, ParseError<'_>> {
    let (kind, rest) = match split_colon(line) {
        Some((kind, rest)) => (kind, Some(rest)),
        None => (line, None),
    };
    match (kind, rest) {
        ("NOOP", _) => Ok(ClientMessage::Noop),
        ("LOGIN", Some(rest)) => {
            const SHAPE: &str = "LOGIN:1;client name:name:password";
            let mut fields = rest.splitn(3, ':');
            let (Some(version_client), Some(name), Some(password)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(malformed("LOGIN", SHAPE));
            };
            let Some((version, client)) = version_client.split_once(';') else {
                return Err(malformed("LOGIN", SHAPE));
            };
            Ok(ClientMessage::Login { version, client, name, password })
        }
        ("LOGIN", None) => Err(malformed("LOGIN", "LOGIN:1;client name:name:password")),
        ("GO", Some(realm)) => Ok(ClientMessage::Go(realm)),
        ("GO", None) => Err(malformed("GO", "GO:realm (GO: for the default realm)")),
        ("CHANGEFREQ", Some(freq)) if !freq.is_empty() => Ok(ClientMessage::ChangeFreq(freq)),
        ("CHANGEFREQ", _) => Err(malformed("CHANGEFREQ", "CHANGEFREQ:freq")),
        ("SEND", Some(rest)) => parse_send(rest),
        ("SEND", None) => Err(malformed("SEND", "SEND:type:...")),
        (kind, _) => Err(ParseError::UnknownType(kind)),
    }
}

fn parse_send(rest: &str) -> Result<ClientMessage<'_>, ParseError<'_>> {
    let (kind, rest) = match split_colon(rest) {
        Some((kind, rest)) => (kind, Some(rest)),
        None => (rest, None),
    };
    let two = |shape| {
        rest.and_then(split_colon)
            .filter(|(first, _)| !first.is_empty())
            .ok_or(ParseError::Malformed { kind: kind_name(kind), shape })
    };
    match kind {
        "PUB" => rest.map(ClientMessage::Pub).ok_or(malformed("SEND:PUB", "SEND:PUB:message")),
        "PUBM" => rest.map(ClientMessage::Pubm).ok_or(malformed("SEND:PUBM", "SEND:PUBM:message")),
        "CMD" => rest.map(ClientMessage::Cmd).ok_or(malformed("SEND:CMD", "SEND:CMD:command")),
        "CHAT" => rest.map(ClientMessage::Chat).ok_or(malformed("SEND:CHAT", "SEND:CHAT:[channel;]message")),
        "MOD" => rest.map(ClientMessage::Mod).ok_or(malformed("SEND:MOD", "SEND:MOD:message")),
        "PRIV" => two("SEND:PRIV:name:message").map(|(name, text)| ClientMessage::Priv { name, text }),
        "FREQ" => two("SEND:FREQ:freq:message").map(|(freq, text)| ClientMessage::Freq { freq, text }),
        "PRIVCMD" => two("SEND:PRIVCMD:name:command").map(|(name, cmd)| ClientMessage::PrivCmd { name, cmd }),
        _ => Err(ParseError::UnknownType(kind)),
    }
}

/// `text` split at its first `:`. A scan of bytes: the fields before it
/// are short (`SEND`, `CMD`, a name), and `str::split_once` with a `char`
/// costs more than the scan (BENCHMARKS.md, "Load").
fn split_colon(text: &str) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == b':')?;
    Some((&text[..at], &text[at + 1..]))
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "PRIV" => "SEND:PRIV",
        "FREQ" => "SEND:FREQ",
        _ => "SEND:PRIVCMD",
    }
}

/// A server line (ChatNet 1.6, server → client). [`encode`](Self::encode)
/// writes it with its `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerLine<'a> {
    /// `LOGINOK:name`.
    LoginOk(&'a str),
    /// `LOGINBAD:reason`; the server closes the connection after it.
    LoginBad(&'a str),
    /// `INARENA:realm:freq`.
    InArena {
        /// The realm entered.
        realm: &'a str,
        /// The player's freq there.
        freq: u16,
    },
    /// `PLAYER:name:ship:freq`, one per *other* player present on entering
    /// (ASSS `arenaman.c`; clients add themselves on `INARENA`).
    Player {
        /// The player.
        name: &'a str,
        /// Ship, 8 for spectators.
        ship: u8,
        /// Freq.
        freq: u16,
    },
    /// `ENTERING:name:ship:freq`.
    Entering {
        /// The player.
        name: &'a str,
        /// Ship.
        ship: u8,
        /// Freq.
        freq: u16,
    },
    /// `LEAVING:name`.
    Leaving(&'a str),
    /// `SHIPFREQCHANGE:name:ship:freq`.
    ShipFreqChange {
        /// The player.
        name: &'a str,
        /// Ship.
        ship: u8,
        /// New freq.
        freq: u16,
    },
    /// `MSG:ARENA:msg`: command replies and server notices.
    Arena(&'a str),
    /// `MSG:PUB:name:msg`.
    Pub {
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:PUBM:name:msg`.
    Pubm {
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:PRIV:name:msg`.
    Priv {
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:FREQ:name:msg`.
    Freq {
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:CHAT:channel:name> msg`: a chat channel message, numbered as
    /// the receiver numbers the channel (ASSS).
    Chat {
        /// The receiver's number for the channel, from 1.
        channel: usize,
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:MOD:name:msg`: staff chat.
    Mod {
        /// Sender.
        name: &'a str,
        /// Text.
        text: &'a str,
    },
    /// `MSG:SYSOP:msg`: a server alert to staff.
    Sysop(&'a str),
    /// `NOOP`.
    Noop,
}

impl ServerLine<'_> {
    /// The line as bytes, `\n`-terminated. A CR or LF inside a field becomes a
    /// space, so no field can forge a second line.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(64);
        self.encode_into(&mut out);
        out.freeze()
    }

    /// [`ServerLine::encode`], appended to `out`.
    pub fn encode_into(&self, out: &mut BytesMut) {
        let mut out = Out(out);
        match *self {
            ServerLine::LoginOk(name) => out.lit("LOGINOK:").text(name),
            ServerLine::LoginBad(reason) => out.lit("LOGINBAD:").text(reason),
            ServerLine::InArena { realm, freq } => out.lit("INARENA:").text(realm).lit(":").num(freq),
            ServerLine::Player { name, ship, freq } => {
                out.lit("PLAYER:").text(name).lit(":").num(ship.into()).lit(":").num(freq)
            }
            ServerLine::Entering { name, ship, freq } => {
                out.lit("ENTERING:").text(name).lit(":").num(ship.into()).lit(":").num(freq)
            }
            ServerLine::Leaving(name) => out.lit("LEAVING:").text(name),
            ServerLine::ShipFreqChange { name, ship, freq } => {
                out.lit("SHIPFREQCHANGE:").text(name).lit(":").num(ship.into()).lit(":").num(freq)
            }
            ServerLine::Arena(text) => out.lit("MSG:ARENA:").text(text),
            ServerLine::Pub { name, text } => out.lit("MSG:PUB:").text(name).lit(":").text(text),
            ServerLine::Pubm { name, text } => out.lit("MSG:PUBM:").text(name).lit(":").text(text),
            ServerLine::Priv { name, text } => out.lit("MSG:PRIV:").text(name).lit(":").text(text),
            ServerLine::Freq { name, text } => out.lit("MSG:FREQ:").text(name).lit(":").text(text),
            ServerLine::Chat { channel, name, text } => {
                out.lit("MSG:CHAT:").num_usize(channel).lit(":").text(name).lit("> ").text(text)
            }
            ServerLine::Mod { name, text } => out.lit("MSG:MOD:").text(name).lit(":").text(text),
            ServerLine::Sysop(text) => out.lit("MSG:SYSOP:").text(text),
            ServerLine::Noop => out.lit("NOOP"),
        };
        out.0.put_u8(b'\n');
    }
}

/// A line being encoded.
struct Out<'b>(&'b mut BytesMut);

impl Out<'_> {
    /// Appends the protocol's own text (a type, a `:`): no line ends to
    /// look for.
    fn lit(&mut self, text: &'static str) -> &mut Self {
        self.0.put_slice(text.as_bytes());
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        // No byte below a space, no line end: short texts, mostly, where a
        // word at a time costs less than setting up a vector search.
        if zone_names::has_control_byte(text.as_bytes()) {
            self.0.extend(text.bytes().map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }));
        } else {
            self.0.put_slice(text.as_bytes());
        }
        self
    }

    fn num(&mut self, n: u16) -> &mut Self {
        let _ = write!(self.0, "{n}");
        self
    }

    fn num_usize(&mut self, n: usize) -> &mut Self {
        let _ = write!(self.0, "{n}");
        self
    }
}

/// An event of the zone as its ChatNet line (DESIGN §6).
pub fn encode_event(event: &Event) -> Bytes {
    match event {
        Event::Entered { realm, freq } => ServerLine::InArena { realm, freq: *freq }.encode(),
        Event::Present(players) => {
            let mut lines = BytesMut::new();
            for present in players {
                let line = ServerLine::Player { name: &present.name, ship: present.ship, freq: present.freq };
                lines.extend_from_slice(&line.encode());
            }
            lines.freeze()
        }
        Event::Arrived { name, ship, freq } => {
            ServerLine::Entering { name, ship: *ship, freq: *freq }.encode()
        }
        Event::Left { name } => ServerLine::Leaving(name).encode(),
        Event::FreqChanged { name, ship, freq } => {
            ServerLine::ShipFreqChange { name, ship: *ship, freq: *freq }.encode()
        }
        Event::Chat { kind, from, text } => {
            let (name, text) = (&**from, &**text);
            match kind {
                ChatKind::Public => ServerLine::Pub { name, text },
                ChatKind::Macro => ServerLine::Pubm { name, text },
                ChatKind::Team => ServerLine::Freq { name, text },
                ChatKind::Private => ServerLine::Priv { name, text },
                ChatKind::Staff => ServerLine::Mod { name, text },
            }
            .encode()
        }
        Event::Channel { number, from, text } => {
            ServerLine::Chat { channel: *number, name: from, text }.encode()
        }
        Event::Notice(text) => ServerLine::Arena(text).encode(),
        Event::Alert(text) => ServerLine::Sysop(text).encode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_splits_version_client_name_and_password_with_colons() {
        assert_eq!(
            parse("LOGIN:1;my client:Alice:pa:ss"),
            Ok(ClientMessage::Login { version: "1", client: "my client", name: "Alice", password: "pa:ss" })
        );
        assert_eq!(parse("LOGIN:1:Alice:pw"), Err(malformed("LOGIN", "LOGIN:1;client name:name:password")));
        assert_eq!(parse("LOGIN:1;c:Alice"), Err(malformed("LOGIN", "LOGIN:1;client name:name:password")));
    }

    #[test]
    fn send_forms() {
        assert_eq!(parse("SEND:PUB:hi: there"), Ok(ClientMessage::Pub("hi: there")));
        assert_eq!(parse("SEND:PRIV:Bob:a:b"), Ok(ClientMessage::Priv { name: "Bob", text: "a:b" }));
        assert_eq!(parse("SEND:FREQ:5:x"), Ok(ClientMessage::Freq { freq: "5", text: "x" }));
        assert_eq!(parse("SEND:CMD:usage"), Ok(ClientMessage::Cmd("usage")));
        assert_eq!(
            parse("SEND:PRIVCMD:Bob:?usage"),
            Ok(ClientMessage::PrivCmd { name: "Bob", cmd: "?usage" })
        );
        assert_eq!(parse("GO:"), Ok(ClientMessage::Go("")));
        assert_eq!(parse("NOOP"), Ok(ClientMessage::Noop));
    }

    #[test]
    fn errors_name_the_type_and_shape() {
        assert_eq!(parse("HELLO:x"), Err(ParseError::UnknownType("HELLO")));
        assert_eq!(parse("SEND:SHOUT:x"), Err(ParseError::UnknownType("SHOUT")));
        assert_eq!(parse("SEND:PRIV:Bob"), Err(malformed("SEND:PRIV", "SEND:PRIV:name:message")));
        assert_eq!(parse("SEND:PRIV::hi"), Err(malformed("SEND:PRIV", "SEND:PRIV:name:message")));
        assert_eq!(parse("SEND:PUB"), Err(malformed("SEND:PUB", "SEND:PUB:message")));
        assert_eq!(parse("GO"), Err(malformed("GO", "GO:realm (GO: for the default realm)")));
        assert_eq!(parse("CHANGEFREQ:"), Err(malformed("CHANGEFREQ", "CHANGEFREQ:freq")));
        assert_eq!(
            parse("SEND:FREQ:1").unwrap_err().to_string(),
            "malformed SEND:FREQ: expected SEND:FREQ:freq:message"
        );
    }

    #[test]
    fn encode_terminates_and_neutralises_line_breaks() {
        assert_eq!(&ServerLine::InArena { realm: "lobby", freq: 8025 }.encode()[..], b"INARENA:lobby:8025\n");
        assert_eq!(&ServerLine::Player { name: "Al", ship: 8, freq: 0 }.encode()[..], b"PLAYER:Al:8:0\n");
        assert_eq!(&ServerLine::Arena("a\r\nb").encode()[..], b"MSG:ARENA:a  b\n");
        assert_eq!(&ServerLine::Noop.encode()[..], b"NOOP\n");
    }
}
