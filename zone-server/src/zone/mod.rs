//! Zone state (DESIGN §3): the players online, the realms they are in and their
//! teams (freqs), and the chat routing between them. One short lock guards it;
//! nothing awaits while holding it, and sending only queues.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cmdman::{
    CommandRef, GameId, Location, OnlinePlayer, Player, PlayerId, RealmId, Registry, Scope, TargetForm, World,
};
use config::{ZoneConfig, zone::valid_realm_name};
use parking_lot::{Mutex, RwLock};

use crate::access::{AccessControl, ReloadError, Reloaded, Snapshot};
use crate::outbox::{Delivery, Disconnect, Outbox};
use crate::password::HashPool;
use crate::sanction::{Sanction, Sanctions};
use crate::script::events::{EventKind, ZoneEvent};
use crate::store::{Account, StoreHandle};
use crate::throttle::{Attempts, Backoff, LogQuota};

mod accounts;
mod chat;
pub mod event;
mod games;
mod groups;
mod peers;
mod realms;
mod remote;
mod world;

pub use chat::{CHANNEL_NAME_LENGTH, ChatError, MAX_CHANNELS};
use chat::{broadcast, deliver_to_channel};
pub use event::{ChatKind, Event, Present};
pub use games::GameError;
use groups::group_for;
pub use realms::{EnterError, RealmPlayers, RealmSummary, SpecAll};
pub use remote::{PENDING_PER_PLAYER, REMOTE_SENDER};

/// Chat clients are spectators (ChatNet 1.6).
pub const SPEC_SHIP: u8 = 8;
/// The highest freq a player may change to (ASSS's limit).
pub const MAX_FREQ: u16 = 9999;

/// The zone: configuration, command table, store, and who is where.
pub struct Zone {
    config: ZoneConfig,
    registry: Registry,
    store: StoreHandle,
    access: AccessControl,
    /// quanta's clock: `?uptime` reads it for every call.
    started: quanta::Instant,
    next_player: AtomicU32,
    state: RwLock<State>,
    /// Players online: `state`'s count, kept where reading it takes no lock
    /// (`?uptime`, metrics). Stored under `state`'s write lock.
    online: AtomicUsize,
    hashers: HashPool,
    backoff: Backoff,
    attempts: Attempts,
    /// Connected time not yet in the store, by lower-case name: taken from
    /// online players at each checkpoint and at logout, kept here until a
    /// write succeeds; with whether a logout is to be recorded too.
    unsaved: Mutex<HashMap<String, Unsaved>>,
    /// Wakes [`Zone::write_sessions`]: sessions ended.
    sessions_ended: tokio::sync::Notify,
    trouble: StoreTrouble,
    connection_log: LogQuota,
    sanctions: Sanctions,
    /// One sanction change at a time, so the store and [`Zone::sanctions`]
    /// agree (two moderators banning and unbanning at once).
    sanction_lock: tokio::sync::Mutex<()>,
    /// Staff alerts (`MSG:SYSOP`) a minute, at most.
    alerts: LogQuota,
    /// Password changes, so a login that checked the old password is refused.
    generations: accounts::PasswordGenerations,
    /// Its part in a network of zones, when its store is shared.
    peers: Option<peers::Peers>,
    /// Who may log in while the store is away.
    known_logins: accounts::KnownLogins,
    /// Script components, and the kept `?attach`/`?detach` changes.
    scripts: Arc<crate::script::Scripts>,
    /// Events counted for the metrics.
    meters: crate::ops::metrics::Meters,
    /// Where the admin page listens, once it does.
    admin_addr: std::sync::OnceLock<std::net::SocketAddr>,
}

/// A player logging in, as [`Zone::join`] takes them.
#[derive(Debug)]
pub struct Arrival<'a> {
    /// The name as they typed it.
    pub name: &'a str,
    /// The address they connect from.
    pub address: IpAddr,
    /// The client's name from `LOGIN`.
    pub client: &'a str,
    /// Their chat channels, as stored.
    pub channels: Vec<String>,
    /// Their queue.
    pub outbox: Outbox,
    /// Their account.
    pub account: Account,
    /// The names they ignore, as stored.
    pub ignored: Vec<String>,
    /// [`Zone::password_generation`] of the name before its password was
    /// checked: if the password changed since, the login is refused.
    pub password_generation: u32,
}

/// Accounts whose unsaved time is kept while the store refuses writes; past
/// it, more is logged and dropped (memory stays bounded).
const MAX_UNSAVED: usize = 100_000;

/// What the store has not yet been told of one account.
#[derive(Debug, Clone, Copy, Default)]
struct Unsaved {
    /// Connected time.
    time: Duration,
    /// When a session ended, if one did: its logout is to be recorded
    /// (`?seen`) with this time, however much later the store takes it.
    logged_out: Option<Instant>,
}

impl Unsaved {
    /// Adds `more` to what is kept: its time, and its logout if any (the
    /// later of two).
    fn add(&mut self, more: Unsaved) {
        self.time += more.time;
        self.logged_out = self.logged_out.max(more.logged_out);
    }
}

/// Store failures in the background (usage, last login, audit rows): logged
/// at most once a minute with how many there were, so a full disk does not
/// flood the log either.
#[derive(Debug, Default)]
struct StoreTrouble {
    state: Mutex<(Option<Instant>, u64)>,
}

impl StoreTrouble {
    fn report(&self, what: &str, error: &dyn std::fmt::Display) {
        let mut state = self.state.lock();
        let (last, quiet) = &mut *state;
        if last.is_some_and(|last| last.elapsed() < Duration::from_secs(60)) {
            *quiet += 1;
            return;
        }
        let more = std::mem::take(quiet);
        *last = Some(Instant::now());
        drop(state);
        if more > 0 {
            tracing::warn!(
                "store: could not {what}: {error} ({more} more store failures in the last minute)"
            );
        } else {
            tracing::warn!("store: could not {what}: {error}");
        }
    }
}

/// Why a player cannot join; the text is their `LOGINBAD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// Banned (or kicked for a while) since the login began.
    #[error("{0}")]
    Barred(String),
    /// [`config::Limits::connections`] players are online.
    #[error("the zone is full; try again later")]
    Full,
    /// [`config::Limits::players_per_address`] players are online from the
    /// address ([`crate::throttle::network`]).
    #[error("too many players from your address; try again later")]
    AddressFull,
    /// The account's password changed while the login checked the old one.
    #[error("the password of this account was just changed; log in with the new one")]
    PasswordChanged,
}

/// A map keyed by ids the zone hands out itself (never chosen by a client),
/// hashed with foldhash: every command looks its sender up by id, and
/// SipHash's resistance to chosen keys buys nothing here. Maps keyed by
/// names keep SipHash.
pub(super) type IdMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
struct State {
    players: IdMap<PlayerId, Online>,
    /// Lower-case name → id.
    names: HashMap<String, PlayerId>,
    realms: IdMap<RealmId, Realm>,
    /// Lower-case name → id.
    realm_names: HashMap<String, RealmId>,
    next_realm: u32,
    /// Players online per address ([`crate::throttle::network`]).
    per_address: HashMap<IpAddr, usize>,
    /// Where events go for components (a queue: never waits).
    events: Arc<crate::script::events::Emitter>,
    /// Lines in, lines out and bytes out of connections no longer online
    /// (added when a player is removed, under the same lock the live sum
    /// is read under, so the totals never go back).
    closed_traffic: [u64; 3],
}

/// Gives back most of `map`'s room once it is three quarters empty (halving
/// at most what it holds to twice its entries): amortised O(1) a removal.
pub(crate) fn shrink_sparse<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    map: &mut std::collections::HashMap<K, V, S>,
) {
    if map.capacity() > 64 && map.len() * 4 < map.capacity() {
        map.shrink_to(map.len() * 2);
    }
}

struct Online {
    name: Arc<str>,
    outbox: Outbox,
    realm: Option<RealmId>,
    game: Option<GameId>,
    /// The group `?grplogin` gave for this session, if any.
    session_group: Option<Arc<str>>,
    /// The player group that counts in their realm, as a compiled-ladder
    /// index, with the access snapshot it was worked out from
    /// ([`Online::cached_group`]); forgotten when the realm or the session
    /// group changes.
    group_cache: AtomicU64,
    freq: u16,
    ship: u8,
    session_start: Instant,
    /// Connected time up to here is in [`Zone::unsaved`] or the store.
    counted_until: Instant,
    account: Account,
    address: IpAddr,
    client: Arc<str>,
    /// Chat channels, channel 1 first.
    channels: Vec<Arc<str>>,
    /// When a muted player was last told so.
    told_muted: Option<Instant>,
    /// The names they ignore (ASCII, compared without case).
    ignored: Vec<Arc<str>>,
    /// Logged in with a one-time password: nothing but `?passwd` until it
    /// is changed.
    must_change_password: bool,
}

struct Realm {
    name: Arc<str>,
    declared: bool,
    public: bool,
    /// Declared games, in config order; a game's id is its index.
    games: Vec<Arc<str>>,
    /// In order of entry.
    players: Vec<PlayerId>,
    /// Locked (`?lock`): only players who may run `lock` here may enter.
    locked: bool,
}

/// A copy of what the zone knows of one online player.
#[derive(Debug, Clone)]
pub struct PlayerInfo {
    /// The session id.
    pub id: PlayerId,
    /// The name as capitalised at login.
    pub name: Arc<str>,
    /// Where the player is.
    pub location: Location,
    /// The realm's name, if in one.
    pub realm_name: Option<Arc<str>>,
    /// The game's name, if in one.
    pub game_name: Option<Arc<str>>,
    /// The freq, if in a realm.
    pub freq: Option<u16>,
    /// When the session started.
    pub session_start: Instant,
    /// The account as it was at login.
    pub account: Account,
    /// The player's queue.
    pub outbox: Outbox,
    /// The IP address the player connected from.
    pub address: IpAddr,
    /// The client's name from `LOGIN`.
    pub client: Arc<str>,
}

impl Zone {
    /// A zone with the realms `config` declares and no players.
    pub fn new(
        config: ZoneConfig,
        registry: Registry,
        store: StoreHandle,
        access: AccessControl,
        sanctions: Sanctions,
        scripts: Arc<crate::script::Scripts>,
    ) -> Zone {
        let mut state = State { events: scripts.emitter(), ..State::default() };
        for realm in &config.realms {
            let id = state.create_realm(&realm.name.to_ascii_lowercase(), true, realm.public);
            if let Some(created) = state.realms.get_mut(&id) {
                created.games =
                    realm.games.iter().map(|game| game.name.to_ascii_lowercase().into()).collect();
            }
        }
        let backoff = config.limits.login_backoff;
        Zone {
            hashers: HashPool::for_zone(&config.limits, config.accounts.password_hashing),
            backoff: Backoff::new(backoff),
            attempts: Attempts::new(config.limits.login_attempts_per_minute, backoff.max_entries),
            unsaved: Mutex::new(HashMap::new()),
            sessions_ended: tokio::sync::Notify::new(),
            trouble: StoreTrouble::default(),
            connection_log: LogQuota::new(120),
            sanctions,
            sanction_lock: tokio::sync::Mutex::new(()),
            alerts: LogQuota::new(60),
            generations: accounts::PasswordGenerations::default(),
            peers: store.shared().then(|| {
                let peers = peers::Peers::new(&config.name);
                store.set_origin(&peers.instance);
                peers
            }),
            known_logins: accounts::KnownLogins::default(),
            meters: crate::ops::metrics::Meters::new(store.meter()),
            admin_addr: std::sync::OnceLock::new(),
            scripts,
            config,
            registry,
            store,
            access,
            started: quanta::Instant::now(),
            next_player: AtomicU32::new(1),
            state: RwLock::new(state),
            online: AtomicUsize::new(0),
        }
    }

    /// Where the admin page listens, if it is on.
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        self.admin_addr.get().copied()
    }

    /// Records where the admin page listens (once).
    pub fn set_admin_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.admin_addr.set(addr);
    }

    /// The events counted for the metrics.
    pub fn meters(&self) -> &crate::ops::metrics::Meters {
        &self.meters
    }

    /// The zone's configuration.
    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }

    /// The command table.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Who may run what.
    pub fn access(&self) -> &AccessControl {
        &self.access
    }

    /// The password hashers: every login and `?grplogin` hashes here.
    pub fn hashers(&self) -> &HashPool {
        &self.hashers
    }

    /// Wrong passwords per account and address, across reconnects.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// `LOGIN` lines per address and minute.
    pub fn attempts(&self) -> &Attempts {
        &self.attempts
    }

    /// The quota of info lines about connections before login (refusals,
    /// closes): 120 a minute.
    pub fn connection_log(&self) -> &LogQuota {
        &self.connection_log
    }

    /// Logs a background store failure, at most once a minute.
    pub fn store_trouble(&self, what: &str, error: &dyn std::fmt::Display) {
        self.trouble.report(what, error);
    }

    /// Records a repeated event (a wrong password) in the audit log: one row
    /// per `by`, action and `login_backoff.audit_window_secs`, with a count.
    /// A store failure is logged, not returned: the event happened anyway.
    pub async fn audit_repeated(&self, by: &str, action: String) {
        let by = by.to_owned();
        let window = Duration::from_secs(self.config.limits.login_backoff.audit_window_secs);
        if let Err(error) = self.store.run(move |store| store.audit_repeated(&by, &action, window)).await {
            self.store_trouble("write the audit log", &error);
        }
    }

    /// The persistent store, reached off the async threads.
    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    /// When the zone started, on quanta's clock (its `elapsed` is the
    /// uptime).
    pub fn started(&self) -> quanta::Instant {
        self.started
    }

    /// Adds a logged-in player. When the name is online already, that session
    /// is closed with a notice and removed first: the newest login wins.
    ///
    /// # Errors
    /// [`JoinError`] when the zone, or the address's share of it, is full
    /// and the name is not online already (then it replaces that session).
    pub fn join(&self, arrival: Arrival<'_>) -> Result<PlayerId, JoinError> {
        let Arrival { name, address, client, channels, outbox, account, ignored, password_generation } =
            arrival;
        let key = name.to_lowercase();
        let mut state = self.state.write();
        self.admits_locked(&state, &key, address)?;
        if self.generations.current(name) != password_generation {
            return Err(JoinError::PasswordChanged);
        }
        let mut id = PlayerId(self.next_player.fetch_add(1, Ordering::Relaxed));
        if id == REMOTE_SENDER {
            // Never a session's: it stands for a sender in another zone.
            id = PlayerId(self.next_player.fetch_add(1, Ordering::Relaxed));
        }
        if let Some(old) = state.names.get(&key).copied() {
            let (online, closed) = state.remove_player(old);
            if let Some(online) = online {
                // The account stays online: no logout to record.
                self.count_usage(&online, Instant::now(), false);
                online.outbox.kick(Disconnect::Replaced);
                state.events.emit(ZoneEvent::Logout { player: online.name.clone() });
            }
            if let Some(closed) = closed {
                self.realm_closed(closed);
            }
        }
        state.names.insert(key, id);
        *state.per_address.entry(crate::throttle::network(address)).or_default() += 1;
        self.presence_changed(name);
        state.players.insert(
            id,
            Online {
                name: name.into(),
                outbox,
                realm: None,
                freq: 0,
                ship: SPEC_SHIP,
                game: None,
                session_group: None,
                group_cache: AtomicU64::new(0),
                session_start: Instant::now(),
                counted_until: Instant::now(),
                must_change_password: account.must_change_password,
                account,
                address,
                client: client.into(),
                channels: channels.iter().map(|channel| Arc::from(channel.as_str())).collect(),
                told_muted: None,
                ignored: ignored.iter().map(|name| Arc::from(name.as_str())).collect(),
            },
        );
        self.online.store(state.players.len(), Ordering::Relaxed);
        state.events.emit(ZoneEvent::Login { player: name.into() });
        Ok(id)
    }

    /// Detaches what was attached to a realm that closed, and tells the
    /// script components whose attachments that changed.
    fn realm_closed(&self, closed: RealmId) {
        if self.registry.detach_scope(Scope::Realm(closed)) > 0 {
            self.scripts.attachments_changed(&self.registry);
        }
    }

    /// Whether `name` could join from `address` now: checked before a login
    /// spends a password hash or creates an account.
    ///
    /// # Errors
    /// [`JoinError`], as [`Zone::join`] would.
    pub fn admits(&self, name: &str, address: IpAddr) -> Result<(), JoinError> {
        self.admits_locked(&self.state.read(), &name.to_lowercase(), address)
    }

    fn admits_locked(&self, state: &State, key: &str, address: IpAddr) -> Result<(), JoinError> {
        let limits = &self.config.limits;
        // Checked again here, under the lock: a ban made while the password
        // was being checked holds (a ban's kick finds whoever is online after
        // it is in force).
        if let Some(barred) = self.sanctions.barred(key) {
            return Err(JoinError::Barred(barred.describe()));
        }
        let replaces = state.names.get(key).and_then(|id| state.players.get(id));
        if replaces.is_none() && state.players.len() >= limits.connections {
            return Err(JoinError::Full);
        }
        let network = crate::throttle::network(address);
        let same_network = replaces.is_some_and(|old| crate::throttle::network(old.address) == network);
        let from_there = state.per_address.get(&network).copied().unwrap_or(0);
        if !same_network && from_there >= limits.players_per_address {
            return Err(JoinError::AddressFull);
        }
        Ok(())
    }

    /// Lines received, lines sent to players and bytes written, over every
    /// connection since start: the closed ones' and the online players'.
    /// Pre-login connections count once they close.
    pub fn traffic_totals(&self) -> [u64; 3] {
        let state = self.state.read();
        let mut totals = state.closed_traffic;
        for online in state.players.values() {
            for (total, live) in totals.iter_mut().zip(online.outbox.traffic().totals()) {
                *total += live;
            }
        }
        totals
    }

    /// Adds what a closing connection's `traffic` gained since it left the
    /// zone (its goodbye) or, never logged in, since it opened.
    pub fn fold_traffic(&self, traffic: &crate::outbox::Traffic) {
        let mut state = self.state.write();
        let gained = traffic.unfolded();
        for (total, gained) in state.closed_traffic.iter_mut().zip(gained) {
            *total += gained;
        }
    }

    /// Removes a player (disconnect), telling their realm, and hands their
    /// connected time and logout to [`Zone::write_sessions`]. Nothing
    /// happens when the session was already replaced by a newer login.
    pub fn leave(&self, id: PlayerId) {
        let (online, closed) = {
            let mut state = self.state.write();
            let left = state.remove_player(id);
            self.online.store(state.players.len(), Ordering::Relaxed);
            left
        };
        if let Some(online) = online {
            self.count_usage(&online, Instant::now(), true);
            self.sessions_ended.notify_one();
            self.presence_changed(&online.name);
            self.scripts.emitter().emit(ZoneEvent::Logout { player: online.name.clone() });
        }
        if let Some(closed) = closed {
            self.realm_closed(closed);
        }
    }

    /// Moves `player`'s time since the last count into [`Zone::unsaved`];
    /// `logged_out`: their session ended.
    fn count_usage(&self, player: &Online, now: Instant, logged_out: bool) {
        let length = now.saturating_duration_since(player.counted_until);
        let mut unsaved = self.unsaved.lock();
        let key = player.name.to_lowercase();
        if unsaved.len() >= MAX_UNSAVED && !unsaved.contains_key(&key) {
            drop(unsaved);
            self.store_trouble("keep more unsaved usage", &format!("{length:?} of {} dropped", player.name));
            return;
        }
        unsaved.entry(key).or_default().add(Unsaved { time: length, logged_out: logged_out.then_some(now) });
    }

    /// Connected time of `name` not yet in the store: kept after a failed
    /// write, and since the last checkpoint if online.
    pub fn unsaved_usage(&self, name: &str) -> Duration {
        let key = name.to_lowercase();
        let kept = self.unsaved.lock().get(&key).map(|unsaved| unsaved.time).unwrap_or_default();
        let state = self.state.read();
        let online = state
            .names
            .get(&key)
            .and_then(|id| state.players.get(id))
            .map(|player| player.counted_until.elapsed())
            .unwrap_or_default();
        kept + online
    }

    /// Counts every online player's time up to now (with `checkpoint`) and
    /// writes all unsaved time, and the logouts not yet recorded, to the
    /// store in one call (the usage checkpoint, [`Zone::write_sessions`]
    /// after logouts, and the save at shutdown). What cannot be written is
    /// kept for the next call, and the failure logged at most once a minute.
    pub async fn save_usage(&self, checkpoint: bool) {
        if checkpoint {
            let now = Instant::now();
            let mut state = self.state.write();
            for player in state.players.values_mut() {
                self.count_usage(player, now, false);
                player.counted_until = now;
            }
        }
        let batch: Vec<(String, Unsaved)> = std::mem::take(&mut *self.unsaved.lock()).into_iter().collect();
        if batch.is_empty() {
            return;
        }
        // The batch comes back when the write fails, to be kept.
        let written = self
            .store
            .run(move |store| {
                let usage: Vec<(String, Duration)> = batch
                    .iter()
                    .filter(|(_, unsaved)| !unsaved.time.is_zero())
                    .map(|(name, unsaved)| (name.clone(), unsaved.time))
                    .collect();
                // Each logout with its age now: stamped when it happened,
                // not when a store that was away came back.
                let logouts: Vec<(String, Duration)> = batch
                    .iter()
                    .filter_map(|(name, unsaved)| Some((name.clone(), unsaved.logged_out?.elapsed())))
                    .collect();
                // Two transactions: when the second fails, the time is in
                // the store already and only the logouts come back.
                if let Err(error) = store.add_usage(&usage) {
                    return Ok(Some((batch, error.to_string())));
                }
                match store.touch_logouts(&logouts) {
                    Ok(()) => Ok(None),
                    Err(error) => {
                        let logouts = batch
                            .into_iter()
                            .filter(|(_, unsaved)| unsaved.logged_out.is_some())
                            .map(|(name, unsaved)| (name, Unsaved { time: Duration::ZERO, ..unsaved }))
                            .collect();
                        Ok(Some((logouts, error.to_string())))
                    }
                }
            })
            .await;
        let (batch, error) = match written {
            Ok(None) => return,
            Ok(Some(failed)) => failed,
            Err(error) => (Vec::new(), error.to_string()),
        };
        self.store_trouble("save connected time (kept for the next try)", &error);
        let mut unsaved = self.unsaved.lock();
        for (key, kept) in batch {
            unsaved.entry(key).or_default().add(kept);
        }
    }

    /// Writes ended sessions (their time and logout) as they end, until
    /// `stop`: however many end at once, a write at a time takes all that
    /// are waiting, so a crowd leaving costs a few transactions, and no
    /// closed connection waits for the store.
    pub async fn write_sessions(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.sessions_ended.notified() => self.save_usage(false).await,
            }
        }
    }

    /// Where player `id` is, and their freq there (none outside a realm):
    /// what dispatch needs of the sender besides the name its connection
    /// knows.
    pub fn locate(&self, id: PlayerId) -> Option<(Location, Option<u16>)> {
        let state = self.state.read();
        let player = state.players.get(&id)?;
        Some((player.location(), player.freq_in_realm()))
    }

    /// Player `id`'s name, location and freq, without copying the rest of
    /// [`PlayerInfo`].
    pub fn whereabouts(&self, id: PlayerId) -> Option<(Arc<str>, Location, Option<u16>)> {
        let state = self.state.read();
        let player = state.players.get(&id)?;
        Some((player.name.clone(), player.location(), player.freq_in_realm()))
    }

    /// What the zone knows of player `id`.
    pub fn player(&self, id: PlayerId) -> Option<PlayerInfo> {
        let state = self.state.read();
        state.info(id)
    }

    /// The online player named `name` (any case).
    pub fn find(&self, name: &str) -> Option<PlayerInfo> {
        let state = self.state.read();
        state.names.get(&name.to_lowercase()).and_then(|&id| state.info(id))
    }

    /// The bans, kicks and mutes in force.
    pub fn sanctions(&self) -> &Sanctions {
        &self.sanctions
    }

    /// Lifts `name`'s sanctions of `kinds`: from the store (with the audit
    /// row) first, then from memory.
    ///
    /// # Errors
    /// The store failed: nothing changed.
    pub async fn lift(
        &self,
        name: &str,
        kinds: &'static [crate::sanction::Kind],
        by: &str,
        action: String,
    ) -> Result<(), crate::store::StoreError> {
        let _one_at_a_time = self.sanction_lock.lock().await;
        let (owned, by) = (name.to_owned(), by.to_owned());
        self.store.run(move |store| store.lift_sanction(&owned, kinds, &by, &action)).await?;
        for kind in kinds {
            self.sanctions.lift(name, *kind);
        }
        Ok(())
    }

    /// A mute (or any sanction) as moderation commands store it: through
    /// the store first, then in force (one change at a time).
    ///
    /// # Errors
    /// The store failed: nothing changed.
    pub async fn impose(&self, sanction: Sanction, action: String) -> Result<(), crate::store::StoreError> {
        let _one_at_a_time = self.sanction_lock.lock().await;
        let stored = sanction.clone();
        self.store.run(move |store| store.set_sanction(&stored, &action)).await?;
        if sanction.kind == crate::sanction::Kind::Mute {
            self.reset_mute_notice(&sanction.name);
        }
        self.sanctions.set(sanction);
        Ok(())
    }

    /// The script components and kept attachment changes.
    pub fn scripts(&self) -> &crate::script::Scripts {
        &self.scripts
    }

    /// A notice (`MSG:ARENA:text`) to the online player called `name`;
    /// whether they are online.
    pub fn tell(&self, name: &str, text: &str) -> bool {
        let Some(info) = self.find(name) else { return false };
        info.outbox.deliver(&crate::outbox::Delivery::new(Event::Notice(text.into())));
        true
    }

    /// [`Zone::announce`] to the realm called `realm` (`None`: everyone
    /// online); whether that realm is open.
    pub fn announce_to(&self, realm: Option<&str>, text: &str) -> bool {
        let id = match realm {
            None => None,
            Some(name) => match self.scope_named(name) {
                Some(Scope::Realm(id)) => Some(id),
                _ => return false,
            },
        };
        self.announce(id, text);
        true
    }

    /// How many players are online.
    pub fn player_count(&self) -> usize {
        self.online.load(Ordering::Relaxed)
    }

    /// The built-in command `name`, whose rules say who is staff
    /// (`modchat`) or may enter a locked realm (`lock`): decided by the
    /// ladder, not by a list.
    fn builtin(&self, name: &str) -> Option<cmdman::Command> {
        // Compiled only: a script command of the same name must not decide
        // who is staff or may enter a locked realm.
        self.registry
            .tables()
            .commands()
            .iter()
            .find(|command| {
                command.def().name == name && !matches!(command.def().handler, cmdman::Handler::Dynamic)
            })
            .cloned()
    }

    /// Whether `player` may run the built-in command `name` in its public
    /// form, judged by their group in `realm` (a realm name; `None` for
    /// zone-wide).
    fn may_run(&self, player: &Online, name: &str, realm: Option<&str>) -> bool {
        let Some(command) = self.builtin(name) else { return false };
        let snapshot = self.access.snapshot();
        snapshot.allows(group_for(&snapshot, player, realm), &command, TargetForm::Pub)
    }
}

impl State {
    /// Removes the player; also returns the realm that closed, if any.
    fn remove_player(&mut self, id: PlayerId) -> (Option<Online>, Option<RealmId>) {
        let closed = self.leave_realm(id, None);
        let Some(online) = self.players.remove(&id) else { return (None, closed) };
        let gained = online.outbox.traffic().unfolded();
        for (total, gained) in self.closed_traffic.iter_mut().zip(gained) {
            *total += gained;
        }
        let network = crate::throttle::network(online.address);
        if let Some(count) = self.per_address.get_mut(&network) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&network);
            }
        }
        let key = online.name.to_lowercase();
        if self.names.get(&key) == Some(&id) {
            self.names.remove(&key);
        }
        // A crowd that left leaves no room behind.
        shrink_sparse(&mut self.players);
        shrink_sparse(&mut self.names);
        (Some(online), closed)
    }

    fn info(&self, id: PlayerId) -> Option<PlayerInfo> {
        let player = self.players.get(&id)?;
        let realm = player.realm.and_then(|realm| self.realms.get(&realm));
        let realm_name = realm.map(|realm| realm.name.clone());
        let game_name =
            realm.zip(player.game).and_then(|(realm, game)| realm.games.get(game.0 as usize).cloned());
        Some(PlayerInfo {
            id,
            name: player.name.clone(),
            location: player.location(),
            realm_name,
            game_name,
            freq: player.freq_in_realm(),
            session_start: player.session_start,
            account: player.account.clone(),
            outbox: player.outbox.clone(),
            address: player.address,
            client: player.client.clone(),
        })
    }
}
