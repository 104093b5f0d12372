//! The zone among its peers (DESIGN §11), when its store is shared: its
//! instance name, its players' presence (written by one task, coalesced),
//! its heartbeat, and what it does with the other zones' events.

use std::collections::HashSet;

use tokio_util::sync::CancellationToken;

use std::hash::BuildHasher;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::network::{HEARTBEAT, NetworkEvent, Presence};

/// Names whose presence waits to be written, at most; past it the writer
/// rewrites the whole zone's presence instead (memory stays bounded while
/// the database is away).
const MAX_DIRTY: usize = 100_000;

/// Heartbeats between two writes of the zone's whole presence.
const REWRITE_EVERY: u32 = 5;

/// A networked zone's own part.
pub(super) struct Peers {
    /// `name#tag`: unique per run, so two zones of one name stay apart.
    pub(super) instance: String,
    /// Lower-case names whose presence changed since the last write.
    dirty: Mutex<HashSet<String>>,
    /// Rewrite every presence row of this zone (after a resync, or an
    /// overflow of `dirty`).
    rewrite: AtomicBool,
    wake: tokio::sync::Notify,
    /// Who is online in the other zones, by lower-case name: read from the
    /// store at every heartbeat (and told by login events between), so
    /// `?find`, `?who` and private messages never wait on the database.
    directory: RwLock<HashMap<String, Presence>>,
    /// Edits or sanctions that could not be reread when announced: read
    /// again at the next heartbeat.
    stale_edits: AtomicBool,
    stale_sanctions: AtomicBool,
    /// Events for the other zones, sent by [`Zone::send_to_network`]: a
    /// player's chat never waits on the database.
    outgoing: tokio::sync::mpsc::Sender<NetworkEvent>,
    outgoing_queue: Mutex<Option<tokio::sync::mpsc::Receiver<NetworkEvent>>>,
    /// Private commands across zones.
    pub(super) remote: super::remote::RemoteCommands,
}

/// Events waiting to be announced, at most; past it they are dropped (and
/// the drop logged), as messages to an unreachable network are.
const OUTGOING: usize = 4096;

impl Peers {
    pub(super) fn new(zone_name: &str) -> Peers {
        let tag = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        let (outgoing, queue) = tokio::sync::mpsc::channel(OUTGOING);
        Peers {
            outgoing,
            outgoing_queue: Mutex::new(Some(queue)),
            instance: format!("{zone_name}#{:08x}", tag as u32),
            dirty: Mutex::new(HashSet::new()),
            rewrite: AtomicBool::new(true),
            wake: tokio::sync::Notify::new(),
            directory: RwLock::new(HashMap::new()),
            stale_edits: AtomicBool::new(false),
            stale_sanctions: AtomicBool::new(false),
            remote: super::remote::RemoteCommands::new(),
        }
    }
}

impl Zone {
    /// This zone's instance in the network (`name#tag`); `None` on a store
    /// of its own.
    pub fn instance(&self) -> Option<&str> {
        self.peers.as_ref().map(|peers| peers.instance.as_str())
    }

    /// Notes that `name` logged in, moved or left: their presence row is
    /// written soon by [`Zone::keep_presence`].
    pub(super) fn presence_changed(&self, name: &str) {
        let Some(peers) = &self.peers else { return };
        let mut dirty = peers.dirty.lock();
        if dirty.len() >= MAX_DIRTY {
            dirty.clear();
            peers.rewrite.store(true, Ordering::SeqCst);
        } else {
            dirty.insert(name.to_lowercase());
        }
        drop(dirty);
        peers.wake.notify_one();
    }

    /// Writes the heartbeat every [`HEARTBEAT`] and presence as it changes,
    /// until `stop`; then takes the zone out of the network (its players'
    /// rows go). Failures are logged at most once a minute and retried.
    pub async fn keep_presence(self: Arc<Self>, stop: CancellationToken) {
        let Some(peers) = &self.peers else { return };
        let mut ticks = tokio::time::interval(HEARTBEAT);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut beats: u32 = 0;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {
                    // Every few beats the zone's presence is written whole:
                    // a row another zone took back in a race is restored.
                    beats = beats.wrapping_add(1);
                    if beats.is_multiple_of(REWRITE_EVERY) {
                        peers.rewrite.store(true, Ordering::SeqCst);
                    }
                    let (instance, zone) = (peers.instance.clone(), self.config.name.clone());
                    let beat = self.store.run(move |store| {
                        store.heartbeat(&instance, &zone)?;
                        store.presences()
                    });
                    match beat.await {
                        Ok(all) => {
                            let others = all
                                .into_iter()
                                .filter(|presence| presence.instance != peers.instance)
                                .map(|presence| (presence.name.to_lowercase(), presence));
                            *peers.directory.write() = others.collect();
                        }
                        Err(error) => self.store_trouble("write the zone's heartbeat", &error),
                    }
                    self.expire_remote_commands(Instant::now());
                    let edits = peers.stale_edits.swap(false, Ordering::SeqCst);
                    let sanctions = peers.stale_sanctions.swap(false, Ordering::SeqCst);
                    if edits || sanctions {
                        self.refresh(edits, sanctions).await;
                    }
                }
                () = peers.wake.notified() => {}
            }
            self.write_presence(peers).await;
        }
        let instance = peers.instance.clone();
        if let Err(error) = self.store.run(move |store| store.leave_network(&instance)).await {
            self.store_trouble("leave the network", &error);
        }
    }

    /// Writes what changed (or, after a resync, everything); what fails is
    /// kept for the next turn.
    async fn write_presence(&self, peers: &Peers) {
        let rewrite = peers.rewrite.swap(false, Ordering::SeqCst);
        let names: Vec<String> = if rewrite {
            peers.dirty.lock().clear();
            let state = self.state.read();
            state.players.values().map(|player| player.name.to_string()).collect()
        } else {
            peers.dirty.lock().drain().collect()
        };
        if names.is_empty() && !rewrite {
            return;
        }
        // Each name as the zone has it now: the last change wins.
        let rows: Vec<(String, Option<Option<Arc<str>>>)> = {
            let state = self.state.read();
            names
                .into_iter()
                .map(|name| {
                    let online = state.names.get(&name.to_lowercase()).and_then(|id| state.players.get(id));
                    let place = online.map(|player| {
                        player
                            .realm
                            .and_then(|realm| state.realms.get(&realm))
                            .map(|realm| realm.name.clone())
                    });
                    (online.map_or(name, |player| player.name.to_string()), place)
                })
                .collect()
        };
        let instance = peers.instance.clone();
        let retry: Vec<String> = rows.iter().map(|(name, _)| name.clone()).collect();
        let written = self
            .store
            .run(move |store| {
                if rewrite {
                    let online: Vec<(String, Option<String>)> = rows
                        .iter()
                        .filter_map(|(name, place)| {
                            place.as_ref().map(|realm| (name.clone(), realm.as_deref().map(str::to_owned)))
                        })
                        .collect();
                    return store.replace_presence(&instance, &online);
                }
                for (name, place) in &rows {
                    match place {
                        Some(realm) => store.set_presence(&instance, name, true, realm.as_deref())?,
                        None => store.set_presence(&instance, name, false, None)?,
                    }
                }
                Ok(())
            })
            .await;
        if let Err(error) = written {
            self.store_trouble("write who is online", &error);
            if rewrite {
                peers.rewrite.store(true, Ordering::SeqCst);
            } else {
                let mut dirty = peers.dirty.lock();
                dirty.extend(retry.into_iter().map(|name| name.to_lowercase()).take(MAX_DIRTY));
            }
        }
    }

    /// Queues `event` for the other zones, without waiting; when the queue
    /// is full (the database is away) it is dropped and the drop logged.
    pub fn tell_network(&self, event: NetworkEvent) {
        let Some(peers) = &self.peers else { return };
        if peers.outgoing.try_send(event).is_err() {
            self.store_trouble("tell the other zones (the queue is full)", &"an event was dropped");
        }
    }

    /// Announces the queued events, one at a time, until `stop`.
    pub async fn send_to_network(self: Arc<Self>, stop: CancellationToken) {
        let Some(mut queue) = self.peers.as_ref().and_then(|peers| peers.outgoing_queue.lock().take()) else {
            return;
        };
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => return,
                event = queue.recv() => match event {
                    Some(event) => event,
                    None => return,
                },
            };
            if let Err(error) = self.store.run(move |store| store.announce(&event)).await {
                self.store_trouble("tell the other zones", &error);
            }
        }
    }

    /// Where `name` is online in another zone of the network, if anywhere
    /// (as of the last heartbeat, or a login since).
    pub fn elsewhere(&self, name: &str) -> Option<Presence> {
        self.peers.as_ref()?.directory.read().get(&name.to_lowercase()).cloned()
    }

    /// Everyone online in the other zones of the network, by zone and name.
    pub fn others_online(&self) -> Vec<Presence> {
        let Some(peers) = &self.peers else { return Vec::new() };
        let mut others: Vec<Presence> = peers.directory.read().values().cloned().collect();
        others.sort_by(|a, b| (&a.zone, &a.instance, &a.name).cmp(&(&b.zone, &b.instance, &b.name)));
        others
    }

    /// Applies the other zones' events until `stop` (dropping `events` ends
    /// the store's listener).
    pub async fn follow_network(
        self: Arc<Self>,
        mut events: tokio::sync::mpsc::Receiver<NetworkEvent>,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                event = events.recv() => match event {
                    Some(event) => self.apply(event).await,
                    None => return,
                },
            }
        }
    }

    async fn apply(self: &Arc<Self>, event: NetworkEvent) {
        let own = self.instance().unwrap_or_default().to_owned();
        match event {
            NetworkEvent::Resync => {
                tracing::info!("network: (re)connected; reading edits and sanctions again");
                // A password change announced meanwhile may have been missed.
                self.forget_known_logins();
                self.refresh(true, true).await;
                if let Some(peers) = &self.peers {
                    peers.rewrite.store(true, Ordering::SeqCst);
                    peers.wake.notify_one();
                }
            }
            NetworkEvent::Edits => self.refresh(true, false).await,
            NetworkEvent::Sanctions => self.refresh(false, true).await,
            NetworkEvent::Login { origin, name } if origin != own => {
                if let Some(player) = self.find(&name) {
                    player.outbox.kick(Disconnect::Replaced);
                }
                // Listed at once; the next heartbeat adds the realm.
                if let Some(peers) = &self.peers {
                    let zone = origin.rsplit_once('#').map_or(origin.as_str(), |(zone, _)| zone).to_owned();
                    let presence = Presence { name: name.clone(), zone, instance: origin, realm: None };
                    peers.directory.write().insert(name.to_lowercase(), presence);
                }
            }
            NetworkEvent::PasswordChanged { origin, name } if origin != own => {
                self.password_changed(&name, None, Disconnect::PasswordChanged);
            }
            NetworkEvent::Private { origin, to, from, text } if origin != own => {
                self.deliver_private(&from, &to, &text);
            }
            NetworkEvent::Command { origin, at, request, from, to, typed, line } if at == own => {
                let via = if typed { cmdman::Via::Command } else { cmdman::Via::Chat };
                self.run_remote_command(origin, request, from, to, via, line);
            }
            NetworkEvent::Replies { at, request, done, lines, .. } if at == own => {
                self.take_replies(request, done, &lines);
            }
            NetworkEvent::Channel { origin, channel, from, text } if origin != own => {
                let state = self.state.read();
                deliver_to_channel(&state.players, &channel, &from, &text);
            }
            _ => {}
        }
    }

    /// Rereads the edits and/or sanctions; what cannot be read now is read
    /// again at the next heartbeats until it can (an event is never the
    /// only chance to catch up).
    async fn refresh(&self, edits: bool, sanctions: bool) {
        let Some(peers) = &self.peers else { return };
        if edits && !self.refresh_edits().await {
            peers.stale_edits.store(true, Ordering::SeqCst);
        }
        if sanctions && !self.refresh_sanctions().await {
            peers.stale_sanctions.store(true, Ordering::SeqCst);
        }
    }

    async fn refresh_edits(&self) -> bool {
        match self.access.refresh_edits(&self.store, &self.registry).await {
            Ok(()) => true,
            Err(error) => {
                self.store_trouble("read the network's edits", &error);
                false
            }
        }
    }

    /// Takes the sanctions from the store and disconnects whoever online
    /// here is now banned or kicked.
    async fn refresh_sanctions(&self) -> bool {
        {
            // Read under the lock, so no change of this zone's made meanwhile
            // is overwritten by an older read.
            let _one_at_a_time = self.sanction_lock.lock().await;
            let stored = match self.store.sanctions().await {
                Ok(stored) => stored,
                Err(error) => {
                    self.store_trouble("read the network's sanctions", &error);
                    return false;
                }
            };
            self.sanctions.replace(stored);
        }
        let state = self.state.read();
        for player in state.players.values() {
            if let Some(barred) = self.sanctions.barred(&player.name) {
                player.outbox.kick(Disconnect::Kicked { text: barred.farewell(), by: barred.by.clone() });
            }
        }
        true
    }

    /// A private message from `from` in another zone to `to`, if online
    /// here and not ignoring them.
    fn deliver_private(&self, from: &str, to: &str, text: &str) {
        let state = self.state.read();
        let Some(target) = state.names.get(&to.to_lowercase()).and_then(|id| state.players.get(id)) else {
            return;
        };
        if !target.ignores(from) {
            target.outbox.event(Event::Chat {
                kind: ChatKind::Private,
                from: from.into(),
                text: text.into(),
            });
        }
    }
}
