//! A player's outbound queue: a bounded channel of encoded lines drained by the
//! connection task. Senders never wait: when the queue is full the player is
//! too slow a reader and is disconnected, so they never slow the realm.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use crate::chatnet::ServerLine;

/// The sending side of one connection's queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Bytes>,
    kick: Arc<Kick>,
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
}

impl Disconnect {
    /// What the player is told, after `Disconnected: `.
    pub fn player_text(&self) -> &'static str {
        match self {
            Disconnect::SlowReader => "you were not reading fast enough",
            Disconnect::Replaced => "you logged in from another connection",
            Disconnect::Flood => "you sent too many lines too fast",
        }
    }

    /// The reason in the log.
    pub fn log_text(&self) -> &'static str {
        match self {
            Disconnect::SlowReader => "slow reader",
            Disconnect::Replaced => "replaced by a new login",
            Disconnect::Flood => "flood",
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
    ) -> (Outbox, mpsc::Receiver<Bytes>, Arc<Kick>) {
        let (tx, rx) = mpsc::channel(capacity);
        let kick = Arc::new(Kick { token: parent.child_token(), reason: Mutex::new(None) });
        (Outbox { tx, kick: kick.clone() }, rx, kick)
    }

    /// Queues an encoded line. A full queue disconnects the player.
    pub fn send(&self, line: Bytes) {
        match self.tx.try_send(line) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(_)) => self.kick(Disconnect::SlowReader),
        }
    }

    /// Encodes and queues a line.
    pub fn line(&self, line: ServerLine<'_>) {
        self.send(line.encode());
    }

    /// Queues a `MSG:ARENA:` line.
    pub fn arena(&self, text: &str) {
        self.line(ServerLine::Arena(text));
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
