//! Each message of a logged-in (or not yet logged-in) player, routed: to chat,
//! or through the command manager; the reply sink; flood control and
//! refusing control characters.

use super::*;
// The per-line clock: quanta reads the TSC where it is reliable, a few
// nanoseconds against the system clock's call (BENCHMARKS.md, "Load").
use quanta::Instant;

/// Input lines per second, counted in whole-second windows.
pub(super) struct Flood {
    limit: u32,
    /// Windows in a row with lines dropped after which the connection closes.
    disconnect_after: u32,
    window: Instant,
    /// `window` and a second.
    window_end: Instant,
    count: u32,
    warned: bool,
    /// Windows in a row, up to the last one that ended, with lines dropped.
    streak: u32,
    /// Whether this streak has muted the player already.
    muted: bool,
}

/// What to do with a line, as far as flooding goes.
#[derive(Debug, PartialEq, Eq)]
enum FloodCheck {
    Handle,
    /// Drop it; warn the first time in a window.
    Drop {
        warn: bool,
    },
    /// Drop it and mute the player: flooding on after the warning.
    Mute,
    /// Close the connection: flooding for too long.
    Disconnect,
}

impl Flood {
    pub(super) fn new(limit: u32, disconnect_after: u32) -> Flood {
        let now = Instant::now();
        Flood {
            limit,
            disconnect_after,
            window: now,
            window_end: now + Duration::from_secs(1),
            count: 0,
            warned: false,
            streak: 0,
            muted: false,
        }
    }

    fn check_at(&mut self, now: Instant) -> FloodCheck {
        // A comparison, on every line; the window's length only when it ends.
        if now >= self.window_end {
            let elapsed = now.saturating_duration_since(self.window);
            // A streak goes on only through back-to-back flooded windows.
            let flooded = self.count > self.limit;
            self.streak = if flooded && elapsed < Duration::from_secs(2) { self.streak + 1 } else { 0 };
            if self.streak == 0 {
                self.muted = false;
            }
            self.window = now;
            self.window_end = now + Duration::from_secs(1);
            self.count = 0;
            self.warned = false;
        }
        self.count = self.count.saturating_add(1);
        if self.count <= self.limit {
            return FloodCheck::Handle;
        }
        if self.streak + 1 >= self.disconnect_after {
            return FloodCheck::Disconnect;
        }
        if self.streak >= 1 && !std::mem::replace(&mut self.muted, true) {
            return FloodCheck::Mute;
        }
        FloodCheck::Drop { warn: !std::mem::replace(&mut self.warned, true) }
    }
}

/// The first forbidden character of `line`, if any
/// ([`zone_names::is_forbidden_in_text`]).
fn first_forbidden(line: &str) -> Option<char> {
    zone_names::first_forbidden_in_text(line).map(|(_, c)| c)
}

impl Connection {
    /// Mutes a player who floods on after the warning, for
    /// `limits.flood_mute_secs`, and tells them and staff. Stored like a
    /// moderator's mute, so reconnecting does not lift it; kept in force for
    /// this run even if the store fails.
    async fn flood_mute(&mut self) {
        let Some(session) = &self.session else { return };
        let zone = self.zone.clone();
        let length = Duration::from_secs(zone.config().limits.flood_mute_secs);
        let now = crate::sanction::now();
        let until = crate::sanction::Term::For(length).ends(now).unwrap_or(i64::MAX);
        // A mute that ends later (a moderator's) is never shortened.
        if zone.sanctions().mute(&session.name).is_some_and(|mute| mute.until.is_none_or(|end| end >= until))
        {
            return;
        }
        let mute = Sanction {
            name: session.name.to_string(),
            kind: SanctionKind::Mute,
            until: Some(until),
            reason: "flooding".to_owned(),
            by: "the zone".to_owned(),
            at: now,
        };
        let span = crate::sanction::span(length);
        let action = format!("muted {} for {span}: flooding (automatic)", session.name);
        if let Err(error) = zone.impose(mute.clone(), action).await {
            zone.store_trouble("store an automatic mute", &error);
            zone.sanctions().set(mute);
        }
        zone.check_muted(session.id).ok();
        self.outbox.notice(&format!("You are muted for {span} for flooding; commands still work."));
        zone.alert_staff(&format!("{} was muted for {span} for flooding.", session.name));
    }

    /// Handles one frame; command replies to this player go straight into
    /// `out`, the connection's unwritten output, when they can keep order.
    pub(super) async fn frame(&mut self, frame: Frame<'_>, out: &mut BytesMut) -> Next {
        // One clock read for both. A keepalive is not activity (?info's
        // idle time).
        let now = Instant::now();
        self.outbox.traffic().line_in(!matches!(frame, Frame::Line(b"NOOP")), now);
        match self.flood.check_at(now) {
            FloodCheck::Handle => {}
            FloodCheck::Drop { warn } => {
                self.zone.meters().flood_drop();
                if warn {
                    let limit = self.flood.limit;
                    self.error(&format!("more than {limit} lines a second; lines are being dropped"));
                }
                return Next::Continue;
            }
            FloodCheck::Mute => {
                self.zone.meters().flood_drop();
                self.flood_mute().await;
                return Next::Continue;
            }
            FloodCheck::Disconnect => {
                self.zone.meters().disconnect(&Disconnect::Flood);
                let (line, reason) = goodbye(&Disconnect::Flood);
                return Next::Close(line, reason);
            }
        }
        match frame {
            Frame::TooLong => {
                let max = self.zone.config().limits.line_length;
                self.error(&format!("line longer than {max} bytes dropped"));
                Next::Continue
            }
            Frame::Line(bytes) => match std::str::from_utf8(bytes) {
                Err(_) => {
                    self.error("line is not valid UTF-8; dropped");
                    Next::Continue
                }
                Ok(line) => match first_forbidden(line) {
                    Some(c) => {
                        let code = u32::from(c);
                        self.error(&format!("line contains the control character U+{code:04X}; dropped"));
                        Next::Continue
                    }
                    None => self.line(line, out).await,
                },
            },
        }
    }

    async fn line(&mut self, line: &str, out: &mut BytesMut) -> Next {
        // Its length only: a line may hold a password.
        tracing::trace!(peer = %self.peer, bytes = line.len(), "line in");
        let message = match parse(line) {
            Ok(message) => message,
            Err(error) => {
                self.error(&error.to_string());
                return Next::Continue;
            }
        };
        match (&self.session, message) {
            (_, ClientMessage::Noop) => Next::Continue,
            (None, ClientMessage::Login { version, client, name, password }) => {
                self.login(version, client, name, password).await
            }
            (Some(session), ClientMessage::Login { .. }) => {
                self.error(&format!("already logged in as {}", session.name));
                Next::Continue
            }
            (None, _) => {
                self.error("log in first: LOGIN:1;client name:name:password");
                Next::Continue
            }
            (Some(session), message) => {
                let (id, mut reset) = (session.id, session.password_reset);
                // The zone is asked only while a reset is pending.
                if reset && !self.zone.password_change_due(id) {
                    reset = false;
                    if let Some(session) = &mut self.session {
                        session.password_reset = false;
                    }
                }
                self.logged_in(id, message, reset, out).await;
                Next::Continue
            }
        }
    }

    async fn logged_in(
        &self,
        id: PlayerId,
        message: ClientMessage<'_>,
        password_reset: bool,
        out: &mut BytesMut,
    ) {
        let zone = &*self.zone;
        let registry = zone.registry();
        if password_reset && !self.is_passwd(&message) {
            let c = registry.default_cmd_char();
            self.error(&format!(
                "your password was reset: change it first with {c}passwd <one-time password> <new password>"
            ));
            return;
        }
        let result: Result<(), String> = match message {
            ClientMessage::Go(realm) => zone.enter(id, realm).map_err(|e| e.to_string()),
            ClientMessage::ChangeFreq(freq) => {
                parse_freq(freq).and_then(|freq| zone.change_freq(id, freq).map_err(|e| e.to_string()))
            }
            ClientMessage::Pub(text) if registry.is_command(text) => {
                self.command(id, text, Target::Pub, Via::Chat, out).await;
                Ok(())
            }
            ClientMessage::Cmd(text) => {
                self.command(id, text, Target::Pub, Via::Command, out).await;
                Ok(())
            }
            ClientMessage::Priv { name, text } if registry.is_command(text) => {
                self.command(id, text, Target::Name(name), Via::Chat, out).await;
                Ok(())
            }
            ClientMessage::PrivCmd { name, cmd } => {
                self.command(id, cmd, Target::Name(name), Via::Command, out).await;
                Ok(())
            }
            ClientMessage::Freq { freq, text } if registry.is_command(text) => match parse_freq(freq) {
                Ok(freq) => {
                    self.command(id, text, Target::Team(freq), Via::Chat, out).await;
                    Ok(())
                }
                Err(error) => Err(error),
            },
            // Staff chat is the modchat command: the ladder decides who may.
            ClientMessage::Mod(text) => {
                let line = format!("{}modchat {text}", registry.default_cmd_char());
                self.command(id, &line, Target::Pub, Via::Chat, out).await;
                Ok(())
            }
            // Chat of every kind: not delivered from a muted player.
            _ if !self.may_chat(id, &message) => Ok(()),
            ClientMessage::Pub(text) => zone.chat_pub(id, text, false).map_err(|e| e.to_string()),
            ClientMessage::Pubm(text) => zone.chat_pub(id, text, true).map_err(|e| e.to_string()),
            ClientMessage::Priv { name, text } => match zone.chat_priv(id, name, text) {
                Err(ChatError::NotOnline(to)) => self.private_elsewhere(id, &to, text).await,
                other => other.map_err(|e| e.to_string()),
            },
            ClientMessage::Freq { freq, text } => {
                parse_freq(freq).and_then(|freq| zone.chat_freq(id, freq, text).map_err(|e| e.to_string()))
            }
            ClientMessage::Chat(body) => match parse_channel(body) {
                Ok((number, text)) => match zone.chat_channel(id, number, text) {
                    Ok(channel) => {
                        self.channel_elsewhere(id, &channel, text).await;
                        Ok(())
                    }
                    Err(error) => Err(error.to_string()),
                },
                Err(error) => Err(error),
            },
            ClientMessage::Login { .. } | ClientMessage::Noop => Ok(()),
        };
        if let Err(text) = result {
            self.error(&text);
        }
    }

    /// A private message to `to`, who is not online in this zone: delivered
    /// through the network when they are online in another zone.
    ///
    /// # Errors
    /// The usual answer when they are online nowhere.
    async fn private_elsewhere(&self, id: PlayerId, to: &str, text: &str) -> Result<(), String> {
        let zone = &self.zone;
        let (Some(origin), Some(presence)) = (zone.instance(), zone.elsewhere(to)) else {
            return Err(ChatError::NotOnline(to.to_owned()).to_string());
        };
        let Some((from, _, _)) = zone.whereabouts(id) else { return Ok(()) };
        let event = NetworkEvent::Private {
            origin: origin.to_owned(),
            to: presence.name,
            from: from.to_string(),
            text: text.to_owned(),
        };
        zone.tell_network(event);
        Ok(())
    }

    /// A channel message, for the channel's members in the other zones.
    async fn channel_elsewhere(&self, id: PlayerId, channel: &str, text: &str) {
        let zone = &self.zone;
        let (Some(origin), Some((from, _, _))) = (zone.instance(), zone.whereabouts(id)) else { return };
        let event = NetworkEvent::Channel {
            origin: origin.to_owned(),
            channel: channel.to_owned(),
            from: from.to_string(),
            text: text.to_owned(),
        };
        zone.tell_network(event);
    }

    /// Whether `message` runs `?passwd` (with any cmd char, in any form):
    /// the one thing a player with a one-time password may do.
    fn is_passwd(&self, message: &ClientMessage<'_>) -> bool {
        let registry = self.zone.registry();
        let line = match message {
            ClientMessage::Cmd(line) | ClientMessage::PrivCmd { cmd: line, .. } => *line,
            ClientMessage::Pub(line)
            | ClientMessage::Priv { text: line, .. }
            | ClientMessage::Freq { text: line, .. }
                if registry.is_command(line) =>
            {
                line
            }
            _ => return false,
        };
        let (cmd_char, body) = registry.cmd_char_of(line);
        cmdman::split_command(cmd_char, body).name.eq_ignore_ascii_case(crate::commands::account::PASSWD)
    }

    /// Whether player `id` may send the chat `message`: not while muted
    /// (told so at most once a minute). Other messages always may.
    fn may_chat(&self, id: PlayerId, message: &ClientMessage<'_>) -> bool {
        let chat = matches!(
            message,
            ClientMessage::Pub(_)
                | ClientMessage::Pubm(_)
                | ClientMessage::Priv { .. }
                | ClientMessage::Freq { .. }
                | ClientMessage::Chat(_)
        );
        if !chat {
            return true;
        }
        match self.zone.check_muted(id) {
            Ok(()) => true,
            Err(notice) => {
                if let Some(notice) = notice {
                    self.outbox.notice(&notice);
                }
                false
            }
        }
    }

    /// Runs a command line through the command manager.
    async fn command(&self, id: PlayerId, line: &str, target: Target<'_>, via: Via, out: &mut BytesMut) {
        let zone = &*self.zone;
        let (Some(session), Some((location, freq))) = (&self.session, zone.locate(id)) else { return };
        let name = &session.name;
        let sender = Player { id, name, location, freq };
        let found = match target {
            Target::Name(name) => zone.find(name),
            _ => None,
        };
        // Online in another zone of the network: it runs there.
        if let (Target::Name(to), None) = (target, &found)
            && let Some(presence) = zone.elsewhere(to)
        {
            if let Err(refused) = zone.forward_command(id, name, presence, line, via) {
                self.outbox.notice(&refused);
            }
            tracing::debug!(player = %name, "command sent to another zone");
            return;
        }
        let addressee = match (target, &found) {
            (Target::Pub, _) => Addressee::Pub,
            (Target::Team(freq), _) => Addressee::Team(freq),
            (Target::Name(_), Some(player)) => Addressee::Player(Player {
                id: player.id,
                name: &player.name,
                location: player.location,
                freq: player.freq,
            }),
            (Target::Name(name), None) => Addressee::External(name),
        };
        let mut sink = ChatSink { sender: &self.outbox, out, target: found.as_ref().map(|p| &p.outbox) };
        let request = Request { sender, addressee, line, world: zone, via };
        let outcome = cmdman::dispatch(zone.registry(), request, &mut sink).await;
        // The outcome only: a command line may hold a password.
        tracing::debug!(player = %name, ?outcome, "command");
    }
}

/// How a command line was addressed, before names are looked up.
#[derive(Clone, Copy)]
enum Target<'a> {
    Pub,
    Team(u16),
    Name(&'a str),
}

/// Command replies as `MSG:ARENA:` lines: the sender's into its connection's
/// output when nothing queued goes first, else into its queue; the target's
/// into its queue.
struct ChatSink<'a> {
    sender: &'a Outbox,
    /// The sender's connection's output, not yet written.
    out: &'a mut BytesMut,
    target: Option<&'a Outbox>,
}

impl ReplySink for ChatSink<'_> {
    fn line(&mut self, to: Recipient, text: &str) {
        match to {
            // This connection speaks ChatNet: its own replies are encoded
            // here, once, not shared with anyone; straight into its output
            // when nothing queued is to go before them and it has room.
            Recipient::Sender => {
                let line = ServerLine::Arena(text);
                if self.out.len() < OUT_HIGH && self.sender.answer_directly() {
                    line.encode_into(self.out);
                } else {
                    self.sender.line(line.encode());
                }
            }
            Recipient::Target => {
                if let Some(target) = self.target {
                    target.notice(text);
                }
            }
        }
    }
}

/// `SEND:CHAT`'s body: `n;message` for channel `n`, or `message` for
/// channel 1. A `;` after something other than a number is part of the
/// message.
fn parse_channel(body: &str) -> Result<(usize, &str), String> {
    match body.split_once(';') {
        Some((number, text)) if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
            match number.parse::<usize>() {
                Ok(n) if (1..=crate::zone::MAX_CHANNELS).contains(&n) => Ok((n, text)),
                _ => Err(format!("'{number}' is not a channel: use 1 to {}", crate::zone::MAX_CHANNELS)),
            }
        }
        _ => Ok((1, body)),
    }
}

/// A freq as sent on the wire: 0 to [`MAX_FREQ`].
fn parse_freq(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(freq) if freq <= MAX_FREQ => Ok(freq),
        _ => Err(format!("'{text}' is not a freq: use 0 to {MAX_FREQ}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_go_straight_to_the_output_only_when_nothing_queued_goes_first() {
        let outbox = Outbox::new(16);
        let mut out = BytesMut::new();
        // Nothing queued: the answer is in the output at once.
        ChatSink { sender: &outbox, out: &mut out, target: None }.line(Recipient::Sender, "first");
        assert_eq!(&out[..], b"MSG:ARENA:first\n");
        // A line from someone else waits in the queue: the next answer
        // queues behind it, and the connection writes them in that order.
        outbox.notice("from another player");
        ChatSink { sender: &outbox, out: &mut out, target: None }.line(Recipient::Sender, "second");
        assert_eq!(&out[..], b"MSG:ARENA:first\n");
        outbox.take_into(&mut out, 10, encode_event);
        assert_eq!(&out[..], b"MSG:ARENA:first\nMSG:ARENA:from another player\nMSG:ARENA:second\n");
        assert_eq!(outbox.traffic().lines_out(), 3);
        // A full output queues too, where the queue's bound applies.
        let mut full = BytesMut::from(&vec![b'x'; OUT_HIGH][..]);
        ChatSink { sender: &outbox, out: &mut full, target: None }.line(Recipient::Sender, "third");
        assert_eq!(full.len(), OUT_HIGH);
        assert_eq!(outbox.take_into(&mut full, 10, encode_event), 1);
    }

    #[test]
    fn flood_warns_once_per_window() {
        let mut flood = Flood::new(2, 10);
        let now = Instant::now();
        assert_eq!(flood.check_at(now), FloodCheck::Handle);
        assert_eq!(flood.check_at(now), FloodCheck::Handle);
        assert_eq!(flood.check_at(now), FloodCheck::Drop { warn: true });
        assert_eq!(flood.check_at(now), FloodCheck::Drop { warn: false });
    }

    #[test]
    fn flooding_for_seconds_in_a_row_disconnects_and_a_pause_resets() {
        let start = Instant::now();
        let second = |n: u64| start + Duration::from_millis(n * 1000 + 10);
        let mut flood = Flood::new(1, 3);
        let flood_second = |flood: &mut Flood, n: u64| {
            let _ = flood.check_at(second(n));
            flood.check_at(second(n))
        };
        assert_eq!(flood_second(&mut flood, 0), FloodCheck::Drop { warn: true });
        // Flooding on after the warning mutes, once a streak.
        assert_eq!(flood_second(&mut flood, 1), FloodCheck::Mute);
        // A quiet second between: the streak starts again.
        assert_eq!(flood_second(&mut flood, 3), FloodCheck::Drop { warn: true });
        assert_eq!(flood_second(&mut flood, 4), FloodCheck::Mute);
        assert_eq!(flood_second(&mut flood, 5), FloodCheck::Disconnect);
    }

    #[test]
    fn control_characters_and_separators_are_found() {
        let bad = [
            "a\0b",
            "\x1b[2J",
            "x\u{85}y",
            "line\u{2028}sep",
            "para\u{2029}",
            "\u{202e}txet",
            "tab\there",
            "del\x7f",
        ];
        for line in bad {
            assert!(first_forbidden(line).is_some(), "{line:?}");
        }
        for line in ["hello", "caf\u{e9} \u{2603} \u{4e2d}\u{6587}", "?usage", ""] {
            assert_eq!(first_forbidden(line), None, "{line:?}");
        }
    }
}
