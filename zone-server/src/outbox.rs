//! A player's outbound queue: a bounded queue of events (and lines the
//! connection encoded itself) that the connection task drains, encoding
//! each event in its protocol once for all its receivers. Senders never
//! wait: when the queue is full the player is too slow a reader and is
//! disconnected, so they never slow the realm.
//!
//! The queue, the reason to close and the traffic counters of a connection
//! are one allocation ([`Outbox`]); the connection task is woken through one
//! waker, and not at all by what it queues to itself while it handles its
//! own input (a command's replies), since it takes those before it waits
//! again. An idle connection's queue holds no memory.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;

use crate::zone::event::Event;

/// The sending side of one connection's queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// One item of a player's outbound queue.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// What the zone tells the player, to be encoded by the connection's
    /// protocol (once for every receiver of the same delivery).
    Event(Arc<Delivery>),
    /// A line encoded already, for this connection alone (`LOGINOK`, a
    /// keepalive `NOOP`).
    Line(Bytes),
}

/// What a connection and the senders to it share.
#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    /// [`ITEMS`], [`CLOSE`] and [`BUSY`], read without the lock by the connection.
    signals: AtomicU8,
    waker: AtomicWaker,
    traffic: Traffic,
    /// Bytes written as of the last keepalive tick ([`Connections::keepalive`]);
    /// [`NOT_TICKED`] before the first.
    keepalive_mark: AtomicU64,
}

/// [`Shared::keepalive_mark`] of a connection no keepalive tick has seen.
const NOT_TICKED: u64 = u64::MAX;

#[derive(Debug)]
struct Queue {
    items: VecDeque<Outgoing>,
    capacity: usize,
    /// Why the connection is to close; nothing is queued after it.
    close: Option<Disconnect>,
}

/// Items are queued.
const ITEMS: u8 = 1;
/// The connection is to close.
const CLOSE: u8 = 2;
/// The connection is handling its own input and takes what is queued
/// before it waits again: queuing need not wake it.
const BUSY: u8 = 4;

/// Queue slots kept allocated once the queue is empty again; a burst past
/// it gives its memory back.
const KEPT_SLOTS: usize = 16;

/// What the connection is woken for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Items are queued: the connection takes them.
    Items,
    /// Close the connection for this reason. What is still queued is
    /// dropped for a slow reader, and written first otherwise.
    Close(Disconnect),
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
    /// quanta's clock, as the connection reads it for every line.
    started: quanta::Instant,
    lines_in: AtomicU64,
    lines_out: AtomicU64,
    /// Lines the connection put in its output itself
    /// ([`Outbox::answer_directly`]); only it writes this.
    lines_answered: AtomicU64,
    bytes_out: AtomicU64,
    /// Milliseconds after `started` of the last line in.
    last_input_ms: AtomicU64,
    /// Lines in, lines out and bytes out already added to the zone's
    /// totals ([`Traffic::unfolded`]).
    folded: Mutex<[u64; 3]>,
}

/// Adds `n` to a counter that one writer at a time changes (the
/// connection's task, or a sender under the queue's lock) and anyone may
/// read: a load and a store, not a locked read-modify-write on every line.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed).saturating_add(n), Ordering::Relaxed);
}

impl Traffic {
    fn new() -> Traffic {
        Traffic {
            started: quanta::Instant::now(),
            lines_in: AtomicU64::new(0),
            lines_out: AtomicU64::new(0),
            lines_answered: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            last_input_ms: AtomicU64::new(0),
            folded: Mutex::new([0; 3]),
        }
    }

    /// Counts a line from the player, read at `now`; `active` (not a
    /// keepalive) resets the idle time.
    pub fn line_in(&self, active: bool, now: quanta::Instant) {
        bump(&self.lines_in, 1);
        if active {
            let since = now.saturating_duration_since(self.started);
            let ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX);
            self.last_input_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// Lines received from the player.
    pub fn lines_in(&self) -> u64 {
        self.lines_in.load(Ordering::Relaxed)
    }

    /// Lines queued to the player, and answers put straight in its output.
    pub fn lines_out(&self) -> u64 {
        self.lines_out.load(Ordering::Relaxed) + self.lines_answered.load(Ordering::Relaxed)
    }

    /// Counts `bytes` written to the socket.
    pub fn wrote(&self, bytes: usize) {
        bump(&self.bytes_out, u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    /// Lines received, lines sent (queued, or answered directly) and bytes
    /// written so far.
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
    /// The zone is shutting down.
    Shutdown,
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
            Disconnect::Shutdown => "the zone is shutting down",
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
            Disconnect::Shutdown => "shutdown".to_owned(),
            Disconnect::Kicked { by, .. } => format!("kicked by {by}"),
        }
    }
}

impl Outbox {
    /// A connection's queue of at most `capacity` items.
    pub fn new(capacity: usize) -> Outbox {
        Outbox {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue { items: VecDeque::new(), capacity, close: None }),
                signals: AtomicU8::new(0),
                waker: AtomicWaker::new(),
                traffic: Traffic::new(),
                keepalive_mark: AtomicU64::new(NOT_TICKED),
            }),
        }
    }

    /// Queues an item. A full queue disconnects the player.
    fn send(&self, item: Outgoing) {
        let mut queue = self.shared.queue.lock();
        if queue.close.is_some() {
            return;
        }
        if queue.items.len() >= queue.capacity {
            queue.close = Some(Disconnect::SlowReader);
            drop(queue);
            self.signal(CLOSE, true);
            return;
        }
        queue.items.push_back(item);
        // Counted under the lock: one writer at a time.
        bump(&self.shared.traffic.lines_out, 1);
        // Under the lock, where the connection clears it. Woken only when
        // the queue was empty: with items already waiting, the connection
        // knows, and will take them as soon as it has room.
        let before = self.shared.signals.fetch_or(ITEMS, Ordering::AcqRel);
        let wake = before & (ITEMS | BUSY) == 0;
        drop(queue);
        if wake {
            self.shared.waker.wake();
        }
    }

    fn signal(&self, signal: u8, wake: bool) {
        self.shared.signals.fetch_or(signal, Ordering::AcqRel);
        if wake {
            self.shared.waker.wake();
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

    /// For the connection, answering its own input: whether nothing is
    /// queued (and it is not closing), so a line it appends to its output
    /// directly goes out in order. Counts that line ([`Traffic::lines_out`])
    /// when it says yes.
    pub(crate) fn answer_directly(&self) -> bool {
        let direct = self.shared.signals.load(Ordering::Acquire) & (ITEMS | CLOSE) == 0;
        if direct {
            bump(&self.shared.traffic.lines_answered, 1);
        }
        direct
    }

    /// For the connection, between the lines of one read: whether it has
    /// been asked to close (a kick, a ban, shutdown), so no further line
    /// of the player's is handled.
    pub(crate) fn closing(&self) -> bool {
        self.shared.signals.load(Ordering::Acquire) & CLOSE != 0
    }

    /// The connection's line counts.
    pub fn traffic(&self) -> &Traffic {
        &self.shared.traffic
    }

    /// Asks the connection to close, telling the player `reason`. The first
    /// reason given is kept.
    pub fn kick(&self, reason: Disconnect) {
        let mut queue = self.shared.queue.lock();
        if queue.close.is_none() {
            queue.close = Some(reason);
        }
        drop(queue);
        self.signal(CLOSE, true);
    }

    /// For the connection: whether the connection is to close or (with
    /// `items`: it has room for them) the queue has items; registers the
    /// task to be woken when either happens.
    pub(crate) fn poll_signal(&self, cx: &mut Context<'_>, items: bool) -> Poll<Signal> {
        let wanted = if items { ITEMS | CLOSE } else { CLOSE };
        let ready = |signals: u8| {
            if signals & CLOSE != 0 {
                let reason = self.shared.queue.lock().close.clone();
                return Some(Signal::Close(reason.unwrap_or(Disconnect::SlowReader)));
            }
            (signals & wanted & ITEMS != 0).then_some(Signal::Items)
        };
        if let Some(signal) = ready(self.shared.signals.load(Ordering::Acquire)) {
            return Poll::Ready(signal);
        }
        self.shared.waker.register(cx.waker());
        match ready(self.shared.signals.load(Ordering::Acquire)) {
            Some(signal) => Poll::Ready(signal),
            None => Poll::Pending,
        }
    }

    /// For the connection: resolves with the next [`Signal`] (items only
    /// with `items`).
    pub(crate) fn signalled(&self, items: bool) -> impl Future<Output = Signal> + '_ {
        std::future::poll_fn(move |cx| self.poll_signal(cx, items))
    }

    /// For the connection: it is about to handle its own input, and will
    /// take what is queued before it waits again ([`Outbox::take_into`]
    /// ends this), so queuing need not wake it.
    pub(crate) fn handling_input(&self) {
        self.shared.signals.fetch_or(BUSY, Ordering::AcqRel);
    }

    /// For the connection: appends up to `max` queued items to `out`,
    /// each encoded by `encode` (an event, once for all its receivers);
    /// returns how many.
    pub(crate) fn take_into(
        &self,
        out: &mut BytesMut,
        max: usize,
        encode: impl Fn(&Event) -> Bytes,
    ) -> usize {
        // Done handling input; with nothing queued (the usual case: its
        // answers went straight to its output), the lock is not taken. An
        // item queued meanwhile did not wake it, and is seen by the next
        // `poll_signal`, which looks before it waits.
        if self.shared.signals.fetch_and(!BUSY, Ordering::AcqRel) & ITEMS == 0 {
            return 0;
        }
        let mut queue = self.shared.queue.lock();
        let count = queue.items.len().min(max);
        for item in queue.items.drain(..count) {
            match item {
                Outgoing::Event(delivery) => out.extend_from_slice(delivery.encoded(&encode)),
                Outgoing::Line(line) => out.extend_from_slice(&line),
            }
        }
        if queue.items.is_empty() {
            self.shared.signals.fetch_and(!ITEMS, Ordering::AcqRel);
            if queue.items.capacity() > KEPT_SLOTS {
                queue.items = VecDeque::new();
            }
        }
        count
    }

    /// For the connection, closing: drops what is queued (a slow reader is
    /// behind already) and queues nothing more.
    pub(crate) fn discard(&self) {
        let mut queue = self.shared.queue.lock();
        queue.items = VecDeque::new();
        if queue.close.is_none() {
            queue.close = Some(Disconnect::Shutdown);
        }
    }
}

/// Every open connection's outbox, so that a shutdown reaches them all
/// with one call instead of each connection watching a shared token.
#[derive(Debug, Default)]
pub struct Connections {
    open: Mutex<HashMap<u64, Weak<Shared>>>,
    next: AtomicU64,
    closing: AtomicBool,
}

/// A connection's place in [`Connections`], given back on drop.
#[derive(Debug)]
pub struct Registration {
    connections: Arc<Connections>,
    id: u64,
}

impl Connections {
    /// A new connection's outbox of `capacity` items, registered until the
    /// [`Registration`] drops. Once the zone is shutting down, the outbox
    /// comes already closed.
    pub fn open(self: &Arc<Self>, capacity: usize) -> (Outbox, Registration) {
        let outbox = Outbox::new(capacity);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.lock().insert(id, Arc::downgrade(&outbox.shared));
        // After the insert: a shutdown that began before it is seen here,
        // one that begins after it finds this connection.
        if self.closing.load(Ordering::SeqCst) {
            outbox.kick(Disconnect::Shutdown);
        }
        (outbox, Registration { connections: self.clone(), id })
    }

    /// Closes every open connection, and every one opened from now on,
    /// with [`Disconnect::Shutdown`].
    pub fn close_all(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for shared in self.open_where(|_| true) {
            Outbox { shared }.kick(Disconnect::Shutdown);
        }
    }

    /// The keepalive, for a zone-wide tick: of the open connections in
    /// `slice` of `slices` (by registration), queues `noop` to each that was
    /// written nothing since this slice's tick before. Ticking each slice
    /// once a period, a silent connection gets it after one to two periods,
    /// and one opened since its slice's last tick gets none yet. Each
    /// connection then needs no timer of its own.
    pub fn keepalive(&self, noop: &Bytes, slice: u64, slices: u64) {
        for shared in self.open_where(|id| id % slices == slice) {
            let written = shared.traffic.bytes_out.load(Ordering::Relaxed);
            if shared.keepalive_mark.swap(written, Ordering::Relaxed) == written {
                Outbox { shared }.line(noop.clone());
            }
        }
    }

    /// The open connections whose registration `id` passes `keep`,
    /// collected so that the registry is not locked while they are woken.
    fn open_where(&self, keep: impl Fn(u64) -> bool) -> Vec<Arc<Shared>> {
        self.open
            .lock()
            .iter()
            .filter(|(id, _)| keep(**id))
            .filter_map(|(_, shared)| shared.upgrade())
            .collect()
    }

    /// Connections open now.
    pub fn count(&self) -> usize {
        self.open.lock().len()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut open = self.connections.open.lock();
        open.remove(&self.id);
        crate::zone::shrink_sparse(&mut open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(text: &str) -> Event {
        Event::Notice(text.into())
    }

    fn encode(event: &Event) -> Bytes {
        match event {
            Event::Notice(text) => Bytes::from(format!("{text}\n")),
            _ => Bytes::new(),
        }
    }

    /// Counts the wake-ups of a task.
    struct Count(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_full_queue_closes_the_connection_as_a_slow_reader() {
        let outbox = Outbox::new(2);
        outbox.event(notice("a"));
        outbox.event(notice("b"));
        outbox.event(notice("c"));
        let waker = Arc::new(Count(0.into())).into();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Ready(Signal::Close(Disconnect::SlowReader)));
        // The first reason stays; nothing is queued after it.
        outbox.kick(Disconnect::Replaced);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Ready(Signal::Close(Disconnect::SlowReader)));
        outbox.discard();
        let mut out = BytesMut::new();
        assert_eq!(outbox.take_into(&mut out, 10, encode), 0);
    }

    #[test]
    fn queuing_wakes_the_connection_unless_it_is_handling_its_own_input() {
        let outbox = Outbox::new(8);
        let count = Arc::new(Count(0.into()));
        let waker = count.clone().into();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Pending);
        outbox.event(notice("from another player"));
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        // More items while some wait wake no one: the connection knows.
        outbox.event(notice("and more"));
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        // Without room for items, only a close is a signal.
        assert_eq!(outbox.poll_signal(&mut cx, false), Poll::Pending);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Ready(Signal::Items));
        let mut out = BytesMut::new();
        assert_eq!(outbox.take_into(&mut out, 10, encode), 2);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Pending);

        // A reply queued while the connection handles its input: no wake,
        // and taken in order after what was there.
        outbox.handling_input();
        outbox.event(notice("reply"));
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        assert_eq!(outbox.take_into(&mut out, 10, encode), 1);
        assert_eq!(&out[..], b"from another player\nand more\nreply\n");
        // Taking ends it: the next item wakes again.
        outbox.event(notice("later"));
        assert_eq!(count.0.load(Ordering::Relaxed), 2);
        // A close always wakes (a waker wakes once: the connection polls
        // again, registering it, before it waits).
        assert_eq!(outbox.take_into(&mut out, 10, encode), 1);
        assert_eq!(outbox.poll_signal(&mut cx, true), Poll::Pending);
        outbox.handling_input();
        outbox.kick(Disconnect::Flood);
        assert_eq!(count.0.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn keepalives_go_a_slice_at_a_time_to_connections_silent_for_a_whole_round() {
        let connections = Arc::new(Connections::default());
        let opened: Vec<_> = (0..16).map(|_| connections.open(8)).collect();
        let noop = Bytes::from_static(b"NOOP\n");
        let queued = |outbox: &Outbox| outbox.shared.queue.lock().items.len();
        // The first look at a slice only notes what was written.
        connections.keepalive(&noop, 3, 8);
        assert!(opened.iter().all(|(outbox, _)| queued(outbox) == 0));
        // One of the slice is written to meanwhile; the next look sends to
        // the other, and to no connection of another slice.
        opened[3].0.traffic().wrote(10);
        connections.keepalive(&noop, 3, 8);
        let got: Vec<usize> = (0..16).filter(|&i| queued(&opened[i].0) == 1).collect();
        assert_eq!(got, [11]);
    }

    #[test]
    fn an_emptied_queue_gives_its_memory_back() {
        let outbox = Outbox::new(4096);
        for n in 0..1000 {
            outbox.event(notice(&n.to_string()));
        }
        let mut out = BytesMut::new();
        while outbox.take_into(&mut out, 64, encode) > 0 {}
        assert_eq!(outbox.shared.queue.lock().items.capacity(), 0);
        assert_eq!(outbox.traffic().lines_out(), 1000);
    }

    #[test]
    fn shutdown_closes_open_connections_and_later_ones() {
        let connections = Arc::new(Connections::default());
        let (first, registration) = connections.open(4);
        let (second, _kept) = connections.open(4);
        drop(registration);
        assert_eq!(connections.count(), 1);
        connections.close_all();
        let waker = Arc::new(Count(0.into())).into();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(first.poll_signal(&mut cx, true), Poll::Pending, "a closed connection is not kicked");
        assert_eq!(second.poll_signal(&mut cx, true), Poll::Ready(Signal::Close(Disconnect::Shutdown)));
        let (late, _late) = connections.open(4);
        assert_eq!(late.poll_signal(&mut cx, true), Poll::Ready(Signal::Close(Disconnect::Shutdown)));
    }
}
