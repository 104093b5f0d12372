//! Private commands across zones (DESIGN §11): a command sent privately to
//! a player online in another zone of the network runs in that zone, with
//! that player as its target (the `player` form, in their realm); the
//! sender's replies come back through the network as `MSG:ARENA` lines.
//!
//! The zone that runs it knows the sender by name only: the ladder takes
//! their membership there ([`REMOTE_SENDER`] has no session), so a
//! `?grplogin` group of the sender's own zone does not travel. Every part is
//! bounded: commands waiting for an answer per player and in total, commands
//! from other zones running at once, reply lines sent back.

use std::sync::atomic::AtomicU64;

use cmdman::{Addressee, Recipient, ReplySink, Request, Via};

use super::*;
use crate::network::{NetworkEvent, Presence};

/// The session id of a command's sender who is in another zone. Never
/// given to a player of this zone, so [`World::allows`] finds no session and
/// takes the sender's membership by name.
pub const REMOTE_SENDER: PlayerId = PlayerId(u32::MAX);

/// Commands one player may have waiting for other zones' answers at once.
pub const PENDING_PER_PLAYER: usize = 4;

/// Commands waiting for other zones' answers, in total.
const PENDING: usize = 1024;

/// Commands from other zones that run here at once; past it they are
/// answered "busy".
const RUNNING: usize = 32;

/// How long a sender waits for another zone's answer before being told it
/// did not come (the command there may wait up to the store's 5 s
/// statement timeout).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Reply lines of one command sent back to another zone, at most; the rest
/// is counted in a last line.
const REPLY_LINES: usize = 100;

/// Bytes of one reply line sent back, at most.
const LINE_BYTES: usize = 1000;

/// Bytes of reply lines in one event (a `NOTIFY` payload must be under
/// 8000 bytes).
const EVENT_BYTES: usize = 6000;

/// A networked zone's commands across zones: its own waiting for answers,
/// and the other zones' running here.
pub(super) struct RemoteCommands {
    next: AtomicU64,
    pending: Mutex<HashMap<u64, Pending>>,
    running: Arc<tokio::sync::Semaphore>,
}

impl RemoteCommands {
    pub(super) fn new() -> RemoteCommands {
        RemoteCommands {
            next: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            running: Arc::new(tokio::sync::Semaphore::new(RUNNING)),
        }
    }
}

/// A command sent to another zone, waiting for its answer.
struct Pending {
    /// Its sender, here.
    player: PlayerId,
    /// The zone it went to, as players know it.
    zone: String,
    /// Its target.
    to: String,
    sent: Instant,
}

impl Zone {
    /// Sends player `sender`'s (`from`'s) private command `line` to the
    /// zone where `presence` is online; the answer comes back as their
    /// notices, or a notice that it did not come within 10 s.
    ///
    /// # Errors
    /// The sentence for the sender when too many of their (or all players')
    /// commands are waiting for other zones already, or the zone has no
    /// network.
    pub fn forward_command(
        &self,
        sender: PlayerId,
        from: &str,
        presence: Presence,
        line: &str,
        via: Via,
    ) -> Result<(), String> {
        let Some(peers) = &self.peers else { return Err("This zone is in no network.".to_owned()) };
        let remote = &peers.remote;
        let request = {
            let mut pending = remote.pending.lock();
            if pending.values().filter(|waiting| waiting.player == sender).count() >= PENDING_PER_PLAYER {
                return Err(format!(
                    "You have {PENDING_PER_PLAYER} commands waiting for other zones' answers; wait for them."
                ));
            }
            if pending.len() >= PENDING {
                return Err("Too many commands are waiting for other zones' answers; try again in a moment."
                    .to_owned());
            }
            let request = remote.next.fetch_add(1, Ordering::Relaxed);
            let waiting = Pending {
                player: sender,
                zone: presence.zone,
                to: presence.name.clone(),
                sent: Instant::now(),
            };
            pending.insert(request, waiting);
            request
        };
        self.tell_network(NetworkEvent::Command {
            origin: peers.instance.clone(),
            at: presence.instance,
            request,
            from: from.to_owned(),
            to: presence.name,
            typed: via == Via::Command,
            line: line.to_owned(),
        });
        Ok(())
    }

    /// Runs another zone's command `request` (from `from` in zone instance
    /// `origin`, to `to` here) in a task of its own, and sends the replies
    /// back; answers "busy" when [`RUNNING`] are running already.
    pub(super) fn run_remote_command(
        self: &Arc<Self>,
        origin: String,
        request: u64,
        from: String,
        to: String,
        via: Via,
        line: String,
    ) {
        let Some(peers) = &self.peers else { return };
        let Ok(permit) = peers.remote.running.clone().try_acquire_owned() else {
            let busy = format!("Zone {} is busy; try your command again in a moment.", self.config.name);
            self.send_replies(origin, request, vec![busy]);
            return;
        };
        let zone = Arc::clone(self);
        tokio::spawn(async move {
            let lines = zone.dispatch_remote(&from, &to, &line, via).await;
            drop(permit);
            zone.send_replies(origin, request, lines);
        });
    }

    /// Dispatches `line` from `from` (in another zone) to `to` (here): the
    /// sender's reply lines, bounded; the target's go to them at once.
    async fn dispatch_remote(&self, from: &str, to: &str, line: &str, via: Via) -> Vec<String> {
        let Some(target) = self.find(to) else {
            return vec![format!("{to} is no longer in zone {}.", self.config.name)];
        };
        let sender = Player { id: REMOTE_SENDER, name: from, location: Location::default(), freq: None };
        let addressee = Addressee::Player(Player {
            id: target.id,
            name: &target.name,
            location: target.location,
            freq: target.freq,
        });
        let mut sink = RemoteSink { lines: Vec::new(), dropped: 0, target: target.outbox.clone() };
        let request = Request { sender, addressee, line, world: self, via };
        let outcome = cmdman::dispatch(&self.registry, request, &mut sink).await;
        // The outcome only: a command line may hold a password.
        tracing::debug!(player = %from, target = %target.name, ?outcome, "command from another zone");
        sink.finish()
    }

    /// Sends `lines` back to zone instance `at` as the answer to its
    /// command `request`, in events small enough for `NOTIFY`.
    fn send_replies(&self, at: String, request: u64, lines: Vec<String>) {
        let Some(origin) = self.instance().map(str::to_owned) else { return };
        let mut parts: Vec<Vec<String>> = vec![Vec::new()];
        let mut bytes = 0;
        for line in lines {
            if bytes + line.len() > EVENT_BYTES && parts.last().is_some_and(|part| !part.is_empty()) {
                parts.push(Vec::new());
                bytes = 0;
            }
            bytes += line.len() + 1;
            if let Some(part) = parts.last_mut() {
                part.push(line);
            }
        }
        let last = parts.len() - 1;
        for (i, lines) in parts.into_iter().enumerate() {
            let (origin, at) = (origin.clone(), at.clone());
            self.tell_network(NetworkEvent::Replies { origin, at, request, done: i == last, lines });
        }
    }

    /// Shows the sender of command `request` its reply `lines` (if they
    /// are still online); the last part ends the wait. An answer that came
    /// too late is dropped.
    pub(super) fn take_replies(&self, request: u64, done: bool, lines: &[String]) {
        let Some(peers) = &self.peers else { return };
        let player = {
            let mut pending = peers.remote.pending.lock();
            if done {
                pending.remove(&request).map(|waiting| waiting.player)
            } else {
                pending.get(&request).map(|waiting| waiting.player)
            }
        };
        let state = self.state.read();
        let Some(online) = player.and_then(|player| state.players.get(&player)) else { return };
        for line in lines {
            online.outbox.notice(line);
        }
    }

    /// Tells the senders of commands sent before `now` less
    /// [`ANSWER_WITHIN`] that no answer came, and stops waiting for it.
    pub(super) fn expire_remote_commands(&self, now: Instant) {
        let Some(peers) = &self.peers else { return };
        let expired: Vec<Pending> = peers
            .remote
            .pending
            .lock()
            .extract_if(|_, waiting| now.saturating_duration_since(waiting.sent) >= ANSWER_WITHIN)
            .map(|(_, waiting)| waiting)
            .collect();
        if expired.is_empty() {
            return;
        }
        let state = self.state.read();
        for waiting in expired {
            if let Some(online) = state.players.get(&waiting.player) {
                online.outbox.notice(&format!(
                    "Zone {} did not answer your command to {} in time; it may not have run.",
                    waiting.zone, waiting.to
                ));
            }
        }
    }
}

/// The reply sink of another zone's command: the sender's lines are kept to
/// be sent back; the target's are queued to them here.
struct RemoteSink {
    lines: Vec<String>,
    dropped: usize,
    target: Outbox,
}

impl RemoteSink {
    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines.push(format!("({} more lines were not sent across zones.)", self.dropped));
        }
        self.lines
    }
}

impl ReplySink for RemoteSink {
    fn line(&mut self, to: Recipient, text: &str) {
        match to {
            Recipient::Sender if self.lines.len() < REPLY_LINES => {
                let cut = &text[..text.floor_char_boundary(LINE_BYTES)];
                // The network's field separator is a control character.
                self.lines.push(cut.replace(|c: char| c.is_control(), " "));
            }
            Recipient::Sender => self.dropped += 1,
            Recipient::Target => self.target.notice(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reply_lines_are_cut_at_a_character_and_the_rest_counted() {
        let outbox = Outbox::new(4);
        let mut sink = RemoteSink { lines: Vec::new(), dropped: 0, target: outbox };
        let long = "\u{e9}".repeat(LINE_BYTES);
        sink.line(Recipient::Sender, &long);
        for n in 1..REPLY_LINES + 3 {
            sink.line(Recipient::Sender, &format!("line {n}\u{1f}x"));
        }
        let lines = sink.finish();
        assert_eq!(lines[0].len(), LINE_BYTES);
        assert_eq!(lines[1], "line 1 x");
        assert_eq!(lines.len(), REPLY_LINES + 1);
        assert_eq!(lines[REPLY_LINES], "(3 more lines were not sent across zones.)");
    }
}
