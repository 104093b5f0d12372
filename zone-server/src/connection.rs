//! One connection from accept to close: framing input, the login handshake,
//! routing each ChatNet message (chat or command), draining the outbound queue
//! to the socket, keepalives, limits, and saving session time at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use cmdman::{Addressee, Player, PlayerId, Recipient, ReplySink, Request};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::sleep;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::chatnet::message::parse;
use crate::chatnet::{ClientMessage, Frame, LineCodec, ServerLine};
use crate::outbox::Outbox;
use crate::store::{LoginPolicy, StoreError};
use crate::zone::{MAX_FREQ, Zone};

/// How long the last lines (a shutdown notice, a kick reason) may take to write.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);
/// Lines written to the socket in one batch at most.
const WRITE_BATCH: usize = 64;

/// The logged-in part of a session.
struct Session {
    id: PlayerId,
    name: Arc<str>,
    start: Instant,
}

/// What the read loop does next.
enum Next {
    Continue,
    /// Send this line (if any) and close.
    Close(Option<bytes::Bytes>),
}

/// Serves one connection until the peer leaves, it is kicked, or `shutdown`
/// fires. Never panics on input.
pub(crate) async fn serve(stream: TcpStream, zone: Arc<Zone>, shutdown: CancellationToken) {
    let peer = stream.peer_addr().map(|addr| addr.to_string()).unwrap_or_default();
    let _ = stream.set_nodelay(true);
    let limits = zone.config().limits.clone();
    let (read, mut write) = stream.into_split();
    let mut frames = FramedRead::with_capacity(read, LineCodec::new(limits.line_length), 512);
    // The kick token is a child of the shutdown token: one future covers both.
    let (outbox, mut queue, kick) = Outbox::with_parent(limits.outbound_queue, &shutdown);
    let mut conn =
        Connection { zone: zone.clone(), outbox, session: None, flood: Flood::new(limits.lines_per_second) };

    let login_deadline = sleep(Duration::from_secs(limits.login_timeout_secs));
    tokio::pin!(login_deadline);
    // Keepalive: a tick every `keepalive_secs`; a NOOP goes out at a tick
    // that follows a whole period without output (so after one to two
    // periods of silence), without reading the clock on every write.
    let keepalive = Duration::from_secs(limits.keepalive_secs);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wrote = false;
    let mut batch = BytesMut::new();
    // Made once, not on every turn of the loop.
    let kicked = kick.requested();
    tokio::pin!(kicked);

    let farewell: Option<bytes::Bytes> = loop {
        tokio::select! {
            biased;
            () = &mut kicked => {
                if shutdown.is_cancelled() {
                    break Some(ServerLine::Arena("The zone is shutting down. Goodbye.").encode());
                }
                let reason = kick.reason().unwrap_or_else(|| "disconnected".to_owned());
                debug!(%peer, %reason, "kicked");
                queue.close();
                while queue.try_recv().is_ok() {}
                break Some(ServerLine::Arena(&format!("Disconnected: {reason}.")).encode());
            }
            Some(line) = queue.recv() => {
                batch.extend_from_slice(&line);
                for _ in 1..WRITE_BATCH {
                    match queue.try_recv() {
                        Ok(line) => batch.extend_from_slice(&line),
                        Err(_) => break,
                    }
                }
                // A reader that stops reading blocks this write: a kick (its
                // queue filled meanwhile) or shutdown must still get through.
                tokio::select! {
                    written = write.write_all(&batch) => if written.is_err() { break None },
                    () = &mut kicked => continue,
                }
                batch.clear();
                wrote = true;
            }
            frame = frames.next() => match frame {
                None | Some(Err(_)) => break None,
                Some(Ok(frame)) => match conn.frame(frame).await {
                    Next::Continue => {}
                    Next::Close(line) => break line,
                },
            },
            () = &mut login_deadline, if conn.session.is_none() => {
                break Some(ServerLine::LoginBad("login timed out").encode());
            }
            _ = ticks.tick() => {
                if !std::mem::take(&mut wrote) {
                    conn.outbox.line(ServerLine::Noop);
                }
            }
        }
    };

    if let Some(session) = conn.session.take() {
        zone.leave(session.id);
        save_session(&zone, &session).await;
        info!(%peer, name = %session.name, "logged out");
    }
    finish(&mut write, &mut queue, farewell).await;
}

/// Writes what is still queued and the farewell line, within a time limit.
async fn finish(
    write: &mut OwnedWriteHalf,
    queue: &mut mpsc::Receiver<bytes::Bytes>,
    farewell: Option<bytes::Bytes>,
) {
    let mut rest = BytesMut::new();
    while let Ok(line) = queue.try_recv() {
        rest.extend_from_slice(&line);
    }
    if let Some(line) = farewell {
        rest.extend_from_slice(&line);
    }
    let _ = tokio::time::timeout(FAREWELL_TIMEOUT, async {
        write.write_all(&rest).await?;
        write.shutdown().await
    })
    .await;
}

async fn save_session(zone: &Arc<Zone>, session: &Session) {
    let length = session.start.elapsed();
    let store = zone.store().clone();
    let name = session.name.clone();
    let saved = tokio::task::spawn_blocking(move || store.add_session(&name, length)).await;
    if !matches!(saved, Ok(Ok(()))) {
        warn!(name = %session.name, ?length, "could not save session time: {saved:?}");
    }
}

/// Input lines per second, counted in whole-second windows.
struct Flood {
    limit: u32,
    window: Instant,
    count: u32,
    warned: bool,
}

impl Flood {
    fn new(limit: u32) -> Flood {
        Flood { limit, window: Instant::now(), count: 0, warned: false }
    }

    /// `Ok` when the line may be handled; `Err(warn)` when it must be dropped,
    /// `warn` being true the first time in a window.
    fn check(&mut self) -> Result<(), bool> {
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = Instant::now();
            self.count = 0;
            self.warned = false;
        }
        self.count += 1;
        if self.count <= self.limit {
            return Ok(());
        }
        Err(!std::mem::replace(&mut self.warned, true))
    }
}

struct Connection {
    zone: Arc<Zone>,
    outbox: Outbox,
    session: Option<Session>,
    flood: Flood,
}

impl Connection {
    fn error(&self, text: &str) {
        self.outbox.arena(&format!("error: {text}"));
    }

    async fn frame(&mut self, frame: Frame) -> Next {
        if let Err(warn) = self.flood.check() {
            if warn {
                let limit = self.flood.limit;
                self.error(&format!("more than {limit} lines a second; lines are being dropped"));
            }
            return Next::Continue;
        }
        match frame {
            Frame::TooLong => {
                let max = self.zone.config().limits.line_length;
                self.error(&format!("line longer than {max} bytes dropped"));
                Next::Continue
            }
            Frame::NotUtf8 => {
                self.error("line is not valid UTF-8; dropped");
                Next::Continue
            }
            Frame::Line(line) => self.line(&line).await,
        }
    }

    async fn line(&mut self, line: &str) -> Next {
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
                let id = session.id;
                self.logged_in(id, message).await;
                Next::Continue
            }
        }
    }

    async fn login(&mut self, version: &str, client: &str, name: &str, password: &str) -> Next {
        let refuse = |reason: &str| Next::Close(Some(ServerLine::LoginBad(reason).encode()));
        let config = self.zone.config();
        if version != "1" {
            return refuse("unsupported protocol version; this zone speaks ChatNet 1");
        }
        if let Err(reason) = check_name(name, config.limits.name_length) {
            return refuse(&reason);
        }
        if password.is_empty() {
            return refuse("a password is required");
        }
        let policy =
            LoginPolicy { allow_new: config.accounts.allow_new, hashing: config.accounts.password_hashing };
        let store = self.zone.store().clone();
        let (owned_name, owned_password) = (name.to_owned(), password.to_owned());
        let result =
            tokio::task::spawn_blocking(move || store.login(&owned_name, &owned_password, policy)).await;
        let account = match result {
            Ok(Ok(account)) => account,
            Ok(Err(StoreError::WrongPassword)) => return refuse("wrong password"),
            Ok(Err(StoreError::UnknownName)) => {
                return refuse("unknown name; this zone does not create new accounts");
            }
            Ok(Err(error)) => {
                warn!(name, "login failed: {error}");
                return refuse("the zone cannot log you in right now; try again later");
            }
            Err(error) => {
                warn!(name, "login task failed: {error}");
                return refuse("the zone cannot log you in right now; try again later");
            }
        };
        let id = self.zone.join(name, self.outbox.clone(), account);
        info!(name, client, "logged in");
        self.session = Some(Session { id, name: name.into(), start: Instant::now() });
        self.outbox.line(ServerLine::LoginOk(name));
        let cmd_char = self.zone.registry().default_cmd_char();
        self.outbox.arena(&format!(
            "Welcome to {}, {name}. Type {cmd_char}help for help, {cmd_char}commands for commands.",
            config.name
        ));
        Next::Continue
    }

    async fn logged_in(&mut self, id: PlayerId, message: ClientMessage<'_>) {
        let zone = self.zone.clone();
        let registry = zone.registry();
        let result: Result<(), String> = match message {
            ClientMessage::Go(realm) => zone.enter(id, realm).map_err(|e| e.to_string()),
            ClientMessage::ChangeFreq(freq) => {
                parse_freq(freq).and_then(|freq| zone.change_freq(id, freq).map_err(str::to_owned))
            }
            ClientMessage::Pub(text) if registry.is_command(text) => {
                self.command(id, text, Target::Pub).await;
                Ok(())
            }
            ClientMessage::Pub(text) => zone.chat_pub(id, text, false).map_err(str::to_owned),
            ClientMessage::Pubm(text) => zone.chat_pub(id, text, true).map_err(str::to_owned),
            ClientMessage::Cmd(text) => {
                self.command(id, text, Target::Pub).await;
                Ok(())
            }
            ClientMessage::Priv { name, text } if registry.is_command(text) => {
                self.command(id, text, Target::Name(name)).await;
                Ok(())
            }
            ClientMessage::Priv { name, text } => zone.chat_priv(id, name, text),
            ClientMessage::PrivCmd { name, cmd } => {
                self.command(id, cmd, Target::Name(name)).await;
                Ok(())
            }
            ClientMessage::Freq { freq, text } => match parse_freq(freq) {
                Ok(freq) if registry.is_command(text) => {
                    self.command(id, text, Target::Team(freq)).await;
                    Ok(())
                }
                Ok(freq) => zone.chat_freq(id, freq, text).map_err(str::to_owned),
                Err(error) => Err(error),
            },
            ClientMessage::Chat(_) => Err("chat channels are not supported by this zone yet".to_owned()),
            ClientMessage::Mod(_) => Err("moderator chat is not supported by this zone yet".to_owned()),
            ClientMessage::Login { .. } | ClientMessage::Noop => Ok(()),
        };
        if let Err(text) = result {
            self.error(&text);
        }
    }

    /// Runs a command line through the command manager.
    async fn command(&mut self, id: PlayerId, line: &str, target: Target<'_>) {
        let zone = self.zone.clone();
        let Some((name, location, freq)) = zone.whereabouts(id) else { return };
        let sender = Player { id, name: &name, location, freq };
        let found = match target {
            Target::Name(name) => zone.find(name),
            _ => None,
        };
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
        let mut sink =
            ChatSink { sender: self.outbox.clone(), target: found.as_ref().map(|p| p.outbox.clone()) };
        let request = Request { sender, addressee, line, world: &*zone };
        zone.registry().dispatch(request, &mut sink).await;
    }
}

/// How a command line was addressed, before names are looked up.
#[derive(Clone, Copy)]
enum Target<'a> {
    Pub,
    Team(u16),
    Name(&'a str),
}

/// Command replies as `MSG:ARENA:` lines to the sender's (or target's) queue.
struct ChatSink {
    sender: Outbox,
    target: Option<Outbox>,
}

impl ReplySink for ChatSink {
    fn line(&mut self, to: Recipient, text: &str) {
        match to {
            Recipient::Sender => self.sender.arena(text),
            Recipient::Target => {
                if let Some(target) = &self.target {
                    target.arena(text);
                }
            }
        }
    }
}

/// A freq as sent on the wire: 0 to [`MAX_FREQ`].
fn parse_freq(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(freq) if freq <= MAX_FREQ => Ok(freq),
        _ => Err(format!("'{text}' is not a freq: use 0 to {MAX_FREQ}")),
    }
}

/// Checks a player name: 1 to `max` characters of printable ASCII other than
/// `:`, starting with a letter or digit, without trailing spaces. Login uses
/// it, and so do commands and the `staff` command that name players.
///
/// # Errors
/// What a name must be, for the player or operator.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b':')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && !name.ends_with(' ');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a name is 1 to {max} characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("Alice", 20).is_ok());
        assert!(check_name("Mr. T 2", 20).is_ok());
        for bad in ["", " Al", "Al ", "A:b", "_x", "ab\u{e9}", "abcdefghijklmnopqrstu"] {
            assert!(check_name(bad, 20).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flood_warns_once_per_window() {
        let mut flood = Flood::new(2);
        assert_eq!(flood.check(), Ok(()));
        assert_eq!(flood.check(), Ok(()));
        assert_eq!(flood.check(), Err(true));
        assert_eq!(flood.check(), Err(false));
    }
}
