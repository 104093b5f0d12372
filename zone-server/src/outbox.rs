//! A player's outbound queue: a bounded channel of events (and lines the
//! connection encoded itself) drained by the connection task, which encodes
//! each event in its protocol once for all its receivers. Senders never wait: when the queue is full the player is
//! too slow a reader and is disconnected, so they never slow the realm.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use crate::zone::event::Event;

/// The sending side of one connection's queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Outgoing>,
    kick: Arc<Kick>,
    traffic: Arc<Traffic>,
}

/// One item of a player's outbound queue.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// What the zone tells the player, to be encoded by the connection's
    /// protocol (once for every receiver of the same delivery).
    Event(Arc<Delivery>),
    /// A line the connection encoded itself (`LOGINOK`, `NOOP`).
    Line(Bytes),
}

/// An event on its way to one or more players, with its encoding, made by
/// the first connection that writes it and shared by the others.
#[derive(Debug)]
pub struct Delivery {
    event: Event,
    encoded: std::sync::OnceLock<Bytes>,
}

impl Delivery {
    /// A delivery of `event`.
    pub fn new(event: Event) -> Arc<Delivery> {
        Arc::new(Delivery { event, encoded: std::sync::OnceLock::new() })
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event encoded by `encode`, made at most once.
    pub fn encoded(&self, encode: impl FnOnce(&Event) -> Bytes) -> &Bytes {
        self.encoded.get_or_init(|| encode(&self.event))
    }
}

/// Lines in and out of one connection, and when the player last sent one
/// (`?info`).
#[derive(Debug)]
pub struct Traffic {
    started: Instant,
    lines_in: AtomicU64,
    lines_out: AtomicU64,
    bytes_out: AtomicU64,
    /// Milliseconds after `started` of the last line in.
    last_input_ms: AtomicU64,
    /// Lines in, lines out and bytes out already added to the zone's
    /// totals ([`Traffic::unfolded`]).
    folded: Mutex<[u64; 3]>,
}

impl Traffic {
    /// Counts a line from the player; `active` (not a keepalive) resets
    /// the idle time.
    pub fn line_in(&self, active: bool) {
        self.lines_in.fetch_add(1, Ordering::Relaxed);
        if active {
            let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.last_input_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// Lines received from the player.
    pub fn lines_in(&self) -> u64 {
        self.lines_in.load(Ordering::Relaxed)
    }

    /// Lines queued to the player.
    pub fn lines_out(&self) -> u64 {
        self.lines_out.load(Ordering::Relaxed)
    }

    /// Counts `bytes` written to the socket.
    pub fn wrote(&self, bytes: usize) {
        self.bytes_out.fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Lines received, lines queued and bytes written so far.
    pub fn totals(&self) -> [u64; 3] {
        [self.lines_in(), self.lines_out(), self.bytes_out.load(Ordering::Relaxed)]
    }

    /// What [`Traffic::totals`] gained since the last call: the part the
    /// zone has not yet added to its totals of closed connections.
    pub fn unfolded(&self) -> [u64; 3] {
        let now = self.totals();
        let mut folded = self.folded.lock();
        let gained = std::array::from_fn(|i| now[i].saturating_sub(folded[i]));
        *folded = now;
        gained
    }

    /// How long since the player last sent a line (or connected).
    pub fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_input_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Why the zone closes a connection: what the player is told and what the
/// info log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disconnect {
    /// The outbound queue filled up: the player does not read.
    SlowReader,
    /// The same name logged in on another connection.
    Replaced,
    /// Past `lines_per_second` for `flood_disconnect_secs` seconds in a row.
    Flood,
    /// The account's password was changed from another session.
    PasswordChanged,
    /// A moderator's `?kick` (or `?ban` of an online player).
    Kicked {
        /// What the player is told: `kicked by Mod: reason`.
        text: String,
        /// The moderator.
        by: String,
    },
}

impl Disconnect {
    /// What the player is told, after `Disconnected: `.
    pub fn player_text(&self) -> &str {
        match self {
            Disconnect::SlowReader => "you were not reading fast enough",
            Disconnect::Replaced => "you logged in from another connection",
            Disconnect::Flood => "you sent too many lines too fast",
            Disconnect::PasswordChanged => {
                "the password of your account was changed; log in with the new one"
            }
            Disconnect::Kicked { text, .. } => text,
        }
    }

    /// The reason in the log.
    pub fn log_text(&self) -> String {
        match self {
            Disconnect::SlowReader => "slow reader".to_owned(),
            Disconnect::Replaced => "replaced by a new login".to_owned(),
            Disconnect::Flood => "flood".to_owned(),
            Disconnect::PasswordChanged => "password changed".to_owned(),
            Disconnect::Kicked { by, .. } => format!("kicked by {by}"),
        }
    }
}

/// A request to close a connection, with the reason.
#[derive(Debug, Default)]
pub struct Kick {
    token: CancellationToken,
    reason: Mutex<Option<Disconnect>>,
}

impl Kick {
    /// Resolves once the connection is to be closed.
    ///
    /// The future may be polled again after it completes (it stays ready),
    /// so a connection loop can make it once and keep it.
    pub fn requested(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// The reason given by the first [`Outbox::kick`].
    pub fn reason(&self) -> Option<Disconnect> {
        self.reason.lock().clone()
    }
}

impl Outbox {
    /// A queue of `capacity` lines: the outbox and the receiver the connection
    /// task drains. The kick also fires when `parent` is cancelled (the zone
    /// shutting down), so a connection waits on one token.
    pub fn with_parent(
        capacity: usize,
        parent: &CancellationToken,
    ) -> (Outbox, mpsc::Receiver<Outgoing>, Arc<Kick>) {
        let (tx, rx) = mpsc::channel(capacity);
        let kick = Arc::new(Kick { token: parent.child_token(), reason: Mutex::new(None) });
        let traffic = Arc::new(Traffic {
            started: Instant::now(),
            lines_in: AtomicU64::new(0),
            lines_out: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            last_input_ms: AtomicU64::new(0),
            folded: Mutex::new([0; 3]),
        });
        (Outbox { tx, kick: kick.clone(), traffic }, rx, kick)
    }

    /// Queues an item. A full queue disconnects the player.
    fn send(&self, item: Outgoing) {
        match self.tx.try_send(item) {
            Ok(()) => {
                self.traffic.lines_out.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(_)) => self.kick(Disconnect::SlowReader),
        }
    }

    /// Queues a delivery shared with other players (one encoding for all).
    pub fn deliver(&self, delivery: &Arc<Delivery>) {
        self.send(Outgoing::Event(delivery.clone()));
    }

    /// Queues an event for this player alone.
    pub fn event(&self, event: Event) {
        self.send(Outgoing::Event(Delivery::new(event)));
    }

    /// Queues a notice or command reply ([`Event::Notice`]).
    pub fn notice(&self, text: &str) {
        self.event(Event::Notice(text.into()));
    }

    /// Queues a line the connection encoded itself.
    pub fn line(&self, line: Bytes) {
        self.send(Outgoing::Line(line));
    }

    /// The connection's line counts.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Asks the connection to close, telling the player `reason`. The first
    /// reason given is kept.
    pub fn kick(&self, reason: Disconnect) {
        let mut slot = self.kick.reason.lock();
        if slot.is_none() {
            *slot = Some(reason);
        }
        drop(slot);
        self.kick.token.cancel();
    }
}
