//! Zone state (DESIGN §3): the players online, the realms they are in and their
//! teams (freqs), and the chat routing between them. One short lock guards it;
//! nothing awaits while holding it, and sending only queues.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use cmdman::{
    Command, GameId, Location, OnlinePlayer, Player, PlayerId, RealmId, Registry, Scope, TargetForm, World,
};
use config::{ZoneConfig, zone::valid_realm_name};
use parking_lot::{Mutex, RwLock};

use crate::access::{AccessControl, ReloadError, Reloaded, Snapshot};
use crate::outbox::{Delivery, Disconnect, Outbox};
use crate::password::HashPool;
use crate::sanction::{Sanction, Sanctions};
use crate::store::{Account, StoreHandle};
use crate::throttle::{Attempts, Backoff, LogQuota};

pub mod event;

pub use event::{ChatKind, Event};

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
    started: Instant,
    next_player: AtomicU32,
    state: RwLock<State>,
    hashers: HashPool,
    backoff: Backoff,
    attempts: Attempts,
    /// Connected time not yet in the store, by lower-case name: taken from
    /// online players at each checkpoint and at logout, kept here until a
    /// write succeeds.
    unsaved: Mutex<HashMap<String, Duration>>,
    trouble: StoreTrouble,
    connection_log: LogQuota,
    sanctions: Sanctions,
    /// One sanction change at a time, so the store and [`Zone::sanctions`]
    /// agree (two moderators banning and unbanning at once).
    sanction_lock: tokio::sync::Mutex<()>,
    /// Staff alerts (`MSG:SYSOP`) a minute, at most.
    alerts: LogQuota,
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
}

/// A realm as `?who` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmPlayers {
    /// The realm's name; `None` for players in no realm.
    pub name: Option<Arc<str>>,
    /// Whether it is public (others are listed only to players in them).
    pub public: bool,
    /// Its players' names, in order of entry.
    pub players: Vec<Arc<str>>,
}

/// Chat channels a player may be on (ASSS: 10).
pub const MAX_CHANNELS: usize = 10;
/// The longest chat channel name, in characters.
pub const CHANNEL_NAME_LENGTH: usize = 20;

/// Accounts whose unsaved time is kept while the store refuses writes; past
/// it, more is logged and dropped (memory stays bounded).
const MAX_UNSAVED: usize = 100_000;

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
}

#[derive(Default)]
struct State {
    players: HashMap<PlayerId, Online>,
    /// Lower-case name → id.
    names: HashMap<String, PlayerId>,
    realms: HashMap<RealmId, Realm>,
    /// Lower-case name → id.
    realm_names: HashMap<String, RealmId>,
    next_realm: u32,
    /// Players online per address ([`crate::throttle::network`]).
    per_address: HashMap<IpAddr, usize>,
}

struct Online {
    name: Arc<str>,
    outbox: Outbox,
    realm: Option<RealmId>,
    game: Option<GameId>,
    /// The group `?grplogin` gave for this session, if any.
    session_group: Option<Arc<str>>,
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
}

struct Realm {
    name: Arc<str>,
    declared: bool,
    public: bool,
    /// Declared games, in config order; a game's id is its index.
    games: Vec<Arc<str>>,
    /// In order of entry.
    players: Vec<PlayerId>,
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

/// A realm as `?arena` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmSummary {
    /// The realm's name.
    pub name: Arc<str>,
    /// Players in it.
    pub player_count: usize,
    /// Whether it is public.
    pub public: bool,
}

/// Why a player could not enter a realm; the text is the player's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnterError {
    /// The name is not a valid realm name.
    #[error("'{0}' is not a realm name: use 1 to {1} letters, digits, '_' or '-'")]
    BadName(String, usize),
    /// No public realm exists for `GO:` with no name.
    #[error("there is no public realm; enter one by name")]
    NoPublicRealm,
    /// The realm limit is reached.
    #[error("no more realms can be created now; try an existing one (?arena)")]
    TooManyRealms,
}

/// Why a player could not join a game; the text is the player's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GameError {
    /// The player is in no realm.
    #[error("Enter a realm before joining a game.")]
    NoRealm,
    /// The realm has no game of that name.
    #[error("There is no game called '{0}' here. Type ?games for this realm's games.")]
    NoSuchGame(String),
    /// The player is in no game.
    #[error("You are not in a game.")]
    NotInGame,
    /// The player is in that game already.
    #[error("You are in the game {0} already.")]
    AlreadyIn(Arc<str>),
}

impl Zone {
    /// A zone with the realms `config` declares and no players.
    pub fn new(
        config: ZoneConfig,
        registry: Registry,
        store: StoreHandle,
        access: AccessControl,
        sanctions: Sanctions,
    ) -> Zone {
        let mut state = State::default();
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
            trouble: StoreTrouble::default(),
            connection_log: LogQuota::new(120),
            sanctions,
            sanction_lock: tokio::sync::Mutex::new(()),
            alerts: LogQuota::new(60),
            config,
            registry,
            store,
            access,
            started: Instant::now(),
            next_player: AtomicU32::new(1),
            state: RwLock::new(state),
        }
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

    /// The player group that counts for player `id` in `realm` (DESIGN §5.1):
    /// their `?grplogin` group for this session, else their membership in that
    /// realm, else their zone-wide one, else `default`.
    pub fn group_of(&self, id: PlayerId, realm: Option<RealmId>) -> Arc<str> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return config::DEFAULT_GROUP.into() };
        let realm_name = realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
        group_for(&self.access.snapshot(), player, realm_name).into()
    }

    /// The player group of online player `id` at one place: their session
    /// group, else their membership in `realm` (a lower-case realm name), else
    /// with `None` their zone-wide one; `default` failing all. Edits that
    /// reach a place are judged by the editor's group there.
    pub fn group_at(&self, id: PlayerId, realm: Option<&str>) -> Arc<str> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return config::DEFAULT_GROUP.into() };
        group_for(&self.access.snapshot(), player, realm).into()
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

    /// Gives player `id` the group `group` for the rest of the session.
    pub fn set_session_group(&self, id: PlayerId, group: &str) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.session_group = Some(group.into());
        }
    }

    /// Online players with a `?grplogin` group: name and group.
    pub fn session_groups(&self) -> Vec<(Arc<str>, Arc<str>)> {
        let state = self.state.read();
        let mut groups: Vec<(Arc<str>, Arc<str>)> = state
            .players
            .values()
            .filter_map(|player| player.session_group.clone().map(|group| (player.name.clone(), group)))
            .collect();
        groups.sort();
        groups
    }

    /// Reloads the config directory (`?reloadconf`, or a changed file): logs
    /// and audits the outcome.
    ///
    /// # Errors
    /// The file's error; the running config stays.
    pub async fn reload_config(&self, by: &str) -> Result<Reloaded, ReloadError> {
        let result = self.access.reload(&self.store, &self.registry).await;
        let action = match &result {
            Ok(reloaded) => {
                match &reloaded.dir {
                    Some(dir) => tracing::info!(by, "config reloaded from {}", dir.display()),
                    None => tracing::info!(by, "runtime edits reloaded (embedded config)"),
                }
                "reloaded the config".to_owned()
            }
            Err(error) => {
                tracing::warn!(by, "config reload refused: {error}");
                self.alert_staff(&format!("A config reload by {by} was refused: {error}"));
                format!("tried to reload the config: {error}")
            }
        };
        if let Err(error) = self.store.audit(by, action).await {
            self.store_trouble("write the audit log", &error);
        }
        result
    }

    /// The persistent store, reached off the async threads.
    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    /// When the zone started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Adds a logged-in player. When the name is online already, that session
    /// is closed with a notice and removed first: the newest login wins.
    ///
    /// # Errors
    /// [`JoinError`] when the zone, or the address's share of it, is full
    /// and the name is not online already (then it replaces that session).
    pub fn join(&self, arrival: Arrival<'_>) -> Result<PlayerId, JoinError> {
        let Arrival { name, address, client, channels, outbox, account } = arrival;
        let key = name.to_lowercase();
        let mut state = self.state.write();
        self.admits_locked(&state, &key, address)?;
        let id = PlayerId(self.next_player.fetch_add(1, Ordering::Relaxed));
        if let Some(old) = state.names.get(&key).copied() {
            let (online, closed) = state.remove_player(old);
            if let Some(online) = online {
                self.count_usage(&online, Instant::now());
                online.outbox.kick(Disconnect::Replaced);
            }
            if let Some(closed) = closed {
                self.registry.detach_scope(Scope::Realm(closed));
            }
        }
        state.names.insert(key, id);
        *state.per_address.entry(crate::throttle::network(address)).or_default() += 1;
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
                session_start: Instant::now(),
                counted_until: Instant::now(),
                account,
                address,
                client: client.into(),
                channels: channels.iter().map(|channel| Arc::from(channel.as_str())).collect(),
                told_muted: None,
            },
        );
        Ok(id)
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

    /// Removes a player (disconnect), telling their realm, and keeps their
    /// connected time for the next [`Zone::save_usage`]. Nothing happens when
    /// the session was already replaced by a newer login.
    pub fn leave(&self, id: PlayerId) {
        let (online, closed) = self.state.write().remove_player(id);
        if let Some(online) = online {
            self.count_usage(&online, Instant::now());
        }
        if let Some(closed) = closed {
            self.registry.detach_scope(Scope::Realm(closed));
        }
    }

    /// Moves `player`'s time since the last count into [`Zone::unsaved`].
    fn count_usage(&self, player: &Online, now: Instant) {
        let length = now.saturating_duration_since(player.counted_until);
        let mut unsaved = self.unsaved.lock();
        let key = player.name.to_lowercase();
        if unsaved.len() >= MAX_UNSAVED && !unsaved.contains_key(&key) {
            drop(unsaved);
            self.store_trouble("keep more unsaved usage", &format!("{length:?} of {} dropped", player.name));
            return;
        }
        *unsaved.entry(key).or_default() += length;
    }

    /// Connected time of `name` not yet in the store: kept after a failed
    /// write, and since the last checkpoint if online.
    pub fn unsaved_usage(&self, name: &str) -> Duration {
        let key = name.to_lowercase();
        let kept = self.unsaved.lock().get(&key).copied().unwrap_or_default();
        let state = self.state.read();
        let online = state
            .names
            .get(&key)
            .and_then(|id| state.players.get(id))
            .map(|player| player.counted_until.elapsed())
            .unwrap_or_default();
        kept + online
    }

    /// Counts every online player's time up to now and writes all unsaved
    /// time to the store in one transaction (the usage checkpoint, and the
    /// save at logout and shutdown). What cannot be written is kept for the
    /// next call, and the failure logged at most once a minute.
    pub async fn save_usage(&self, checkpoint: bool) {
        if checkpoint {
            let now = Instant::now();
            let mut state = self.state.write();
            for player in state.players.values_mut() {
                self.count_usage(player, now);
                player.counted_until = now;
            }
        }
        let batch: Vec<(String, Duration)> = std::mem::take(&mut *self.unsaved.lock()).into_iter().collect();
        if batch.is_empty() {
            return;
        }
        // The batch comes back when the write fails, to be kept.
        let written = self
            .store
            .run(move |store| match store.add_usage(&batch) {
                Ok(()) => Ok(None),
                Err(error) => Ok(Some((batch, error.to_string()))),
            })
            .await;
        let (batch, error) = match written {
            Ok(None) => return,
            Ok(Some(failed)) => failed,
            Err(error) => (Vec::new(), error.to_string()),
        };
        self.store_trouble("save connected time (kept for the next try)", &error);
        let mut unsaved = self.unsaved.lock();
        for (key, length) in batch {
            *unsaved.entry(key).or_default() += length;
        }
    }

    /// Moves a player into the realm `name` (`""`: the first public realm),
    /// creating it if needed; sends them `INARENA` and a `PLAYER` line for
    /// each other player there, and
    /// the others `LEAVING`/`ENTERING`.
    ///
    /// # Errors
    /// [`EnterError`] with the player's answer; the player stays where they were.
    pub fn enter(&self, id: PlayerId, name: &str) -> Result<(), EnterError> {
        let mut state = self.state.write();
        let key = if name.is_empty() {
            let first_public = self.config.realms.iter().find(|realm| realm.public);
            match first_public {
                Some(realm) => realm.name.to_ascii_lowercase(),
                None => return Err(EnterError::NoPublicRealm),
            }
        } else {
            if !valid_realm_name(name, self.config.limits.realm_name_length) {
                return Err(EnterError::BadName(name.to_owned(), self.config.limits.realm_name_length));
            }
            name.to_ascii_lowercase()
        };
        if !state.players.contains_key(&id) {
            return Ok(());
        }
        let realm_id = match state.realm_names.get(&key) {
            Some(&realm_id) => realm_id,
            None => {
                if state.realms.len() >= self.config.limits.realms {
                    return Err(EnterError::TooManyRealms);
                }
                state.create_realm(&key, false, true)
            }
        };
        if let Some(closed) = state.leave_realm(id, Some(realm_id)) {
            self.registry.detach_scope(Scope::Realm(closed));
        }
        let spec_freq = self.config.spec_freq;
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get_mut(&id) else { return Ok(()) };
        let Some(realm) = realms.get_mut(&realm_id) else { return Ok(()) };
        player.realm = Some(realm_id);
        player.freq = spec_freq;
        player.ship = SPEC_SHIP;
        realm.players.push(id);
        let (name, outbox) = (player.name.clone(), player.outbox.clone());
        outbox.event(Event::Entered { realm: realm.name.clone(), freq: spec_freq });
        let entering = Delivery::new(Event::Arrived { name: name.clone(), ship: SPEC_SHIP, freq: spec_freq });
        // PLAYER lines for the others only: clients add themselves on
        // INARENA (ASSS arenaman.c).
        for other in realm.players.iter().filter(|other| **other != id) {
            let Some(present) = players.get(other) else { continue };
            outbox.event(Event::Present {
                name: present.name.clone(),
                ship: present.ship,
                freq: present.freq,
            });
            present.outbox.deliver(&entering);
        }
        Ok(())
    }

    /// Puts a player on `freq` in their realm and tells the realm
    /// (`SHIPFREQCHANGE`, to the player too).
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn change_freq(&self, id: PlayerId, freq: u16) -> Result<(), &'static str> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get_mut(&id) else { return Ok(()) };
        let Some(realm) = player.realm.and_then(|realm| realms.get(&realm)) else {
            return Err("enter a realm before changing freq");
        };
        player.freq = freq;
        let line = Delivery::new(Event::FreqChanged { name: player.name.clone(), ship: player.ship, freq });
        broadcast(players, &realm.players, None, &line);
        Ok(())
    }

    /// Public chat (`MSG:PUB`, or `MSG:PUBM` for a macro) to the others in the
    /// sender's realm.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn chat_pub(&self, id: PlayerId, text: &str, macro_: bool) -> Result<(), &'static str> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(realm) = player.realm.and_then(|realm| state.realms.get(&realm)) else {
            return Err("enter a realm before chatting in public");
        };
        let kind = if macro_ { ChatKind::Macro } else { ChatKind::Public };
        let line = Delivery::new(Event::Chat { kind, from: player.name.clone(), text: text.into() });
        broadcast(&state.players, &realm.players, Some(id), &line);
        Ok(())
    }

    /// Team chat (`MSG:FREQ`) to the others on `freq` in the sender's realm.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn chat_freq(&self, id: PlayerId, freq: u16, text: &str) -> Result<(), &'static str> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(realm) = player.realm.and_then(|realm| state.realms.get(&realm)) else {
            return Err("enter a realm before chatting to a team");
        };
        let line =
            Delivery::new(Event::Chat { kind: ChatKind::Team, from: player.name.clone(), text: text.into() });
        for other in &realm.players {
            match state.players.get(other) {
                Some(present) if *other != id && present.freq == freq => present.outbox.deliver(&line),
                _ => {}
            }
        }
        Ok(())
    }

    /// A private message (`MSG:PRIV`) to `to`, in any realm.
    ///
    /// # Errors
    /// The player's answer when nobody of that name is online.
    pub fn chat_priv(&self, id: PlayerId, to: &str, text: &str) -> Result<(), String> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(target) = state.names.get(&to.to_lowercase()).and_then(|to| state.players.get(to)) else {
            return Err(format!("no player named '{to}' is online"));
        };
        target.outbox.event(Event::Chat {
            kind: ChatKind::Private,
            from: player.name.clone(),
            text: text.into(),
        });
        Ok(())
    }

    /// Player `id`'s name, location and freq: what dispatch needs of the
    /// sender, without copying the rest of [`PlayerInfo`].
    pub fn whereabouts(&self, id: PlayerId) -> Option<(Arc<str>, Location, Option<u16>)> {
        let state = self.state.read();
        let player = state.players.get(&id)?;
        let location = Location { realm: player.realm, game: player.game };
        Some((player.name.clone(), location, player.realm.map(|_| player.freq)))
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

    /// Every realm, in name order.
    pub fn realms(&self) -> Vec<RealmSummary> {
        let state = self.state.read();
        let mut realms: Vec<RealmSummary> = state
            .realms
            .values()
            .map(|realm| RealmSummary {
                name: realm.name.clone(),
                player_count: realm.players.len(),
                public: realm.public,
            })
            .collect();
        realms.sort_by(|a, b| a.name.cmp(&b.name));
        realms
    }

    /// Puts the player into the game `name` of their realm (leaving any other),
    /// telling the game's other players. Returns the game's name.
    ///
    /// # Errors
    /// [`GameError`] with the player's answer.
    pub fn join_game(&self, id: PlayerId, name: &str) -> Result<Arc<str>, GameError> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get(&id) else { return Err(GameError::NoRealm) };
        let Some(realm) = player.realm.and_then(|r| realms.get(&r)) else {
            return Err(GameError::NoRealm);
        };
        let Some(index) = realm.games.iter().position(|game| game.eq_ignore_ascii_case(name)) else {
            return Err(GameError::NoSuchGame(name.to_owned()));
        };
        let game = GameId(index as u32);
        let game_name = realm.games[index].clone();
        let previous = player.game;
        if previous == Some(game) {
            return Err(GameError::AlreadyIn(realm.games[index].clone()));
        }
        let player_name = player.name.clone();
        let in_game = |players: &HashMap<PlayerId, Online>, game: GameId| -> Vec<PlayerId> {
            realm
                .players
                .iter()
                .copied()
                .filter(|p| *p != id && players.get(p).is_some_and(|o| o.game == Some(game)))
                .collect()
        };
        if let Some(previous) = previous.filter(|previous| *previous != game) {
            let line = Delivery::new(Event::Notice(format!("{player_name} left the game.").into()));
            broadcast(players, &in_game(players, previous), None, &line);
        }
        if previous != Some(game) {
            let line = Delivery::new(Event::Notice(format!("{player_name} joined the game.").into()));
            broadcast(players, &in_game(players, game), None, &line);
        }
        if let Some(player) = players.get_mut(&id) {
            player.game = Some(game);
        }
        Ok(game_name)
    }

    /// Takes the player out of their game, telling its other players. Returns
    /// the game's name.
    ///
    /// # Errors
    /// [`GameError::NotInGame`].
    pub fn leave_game(&self, id: PlayerId) -> Result<Arc<str>, GameError> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get_mut(&id) else { return Err(GameError::NotInGame) };
        let (Some(realm), Some(game)) = (player.realm.and_then(|r| realms.get(&r)), player.game.take())
        else {
            return Err(GameError::NotInGame);
        };
        let line = Delivery::new(Event::Notice(format!("{} left the game.", player.name).into()));
        let others: Vec<PlayerId> = realm
            .players
            .iter()
            .copied()
            .filter(|p| players.get(p).is_some_and(|o| o.game == Some(game)))
            .collect();
        broadcast(players, &others, None, &line);
        Ok(realm.games.get(game.0 as usize).cloned().unwrap_or_else(|| "?".into()))
    }

    /// The games of the realm `realm`, with how many players are in each.
    pub fn games(&self, realm: RealmId) -> Vec<(Arc<str>, usize)> {
        let state = self.state.read();
        let Some(found) = state.realms.get(&realm) else { return Vec::new() };
        found
            .games
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let count = found
                    .players
                    .iter()
                    .filter(|p| state.players.get(p).is_some_and(|o| o.game == Some(GameId(index as u32))))
                    .count();
                (name.clone(), count)
            })
            .collect()
    }

    /// The scope `realm` or `realm/game` names, if that realm (and game) exists.
    pub fn scope_named(&self, name: &str) -> Option<Scope> {
        let state = self.state.read();
        self.scope_named_locked(&state, name)
    }

    fn scope_named_locked(&self, state: &State, name: &str) -> Option<Scope> {
        let (realm_name, game_name) = match name.split_once('/') {
            Some((realm, game)) => (realm, Some(game)),
            None => (name, None),
        };
        let realm_id = *state.realm_names.get(&realm_name.to_ascii_lowercase())?;
        match game_name {
            None => Some(Scope::Realm(realm_id)),
            Some(game) => {
                let index =
                    state.realms.get(&realm_id)?.games.iter().position(|g| g.eq_ignore_ascii_case(game))?;
                Some(Scope::Game(realm_id, GameId(index as u32)))
            }
        }
    }

    /// Attaches `component` to the scope `realm` or `realm/game` names (the
    /// zone for `None`), looking the scope up and attaching under the zone's
    /// lock, so a realm closing meanwhile cannot keep a stale attachment.
    ///
    /// # Errors
    /// The player's answer: no such scope, or the registry's refusal.
    pub fn attach(
        &self,
        component: &str,
        scope: Option<&str>,
    ) -> Result<(Scope, Vec<cmdman::Conflict>), String> {
        let state = self.state.read();
        let scope = match scope {
            None => Scope::Zone,
            Some(name) => self
                .scope_named_locked(&state, name)
                .ok_or_else(|| format!("There is no realm or game '{name}'. Use realm or realm/game."))?,
        };
        let conflicts = self.registry.attach(component, scope).map_err(|error| error.to_string())?;
        Ok((scope, conflicts))
    }

    /// How a reply names `scope`: `the zone`, `realm duel`, `game duel/final`.
    pub fn describe(&self, scope: Scope) -> String {
        let state = self.state.read();
        let realm_name =
            |realm: RealmId| state.realms.get(&realm).map_or_else(|| "?".into(), |r| r.name.clone());
        match scope {
            Scope::Zone => "the zone".to_owned(),
            Scope::Realm(realm) => format!("realm {}", realm_name(realm)),
            Scope::Game(realm, game) => {
                let game_name = state
                    .realms
                    .get(&realm)
                    .and_then(|r| r.games.get(game.0 as usize).cloned())
                    .unwrap_or_else(|| "?".into());
                format!("game {}/{game_name}", realm_name(realm))
            }
        }
    }

    /// The bans, kicks and mutes in force.
    pub fn sanctions(&self) -> &Sanctions {
        &self.sanctions
    }

    /// Whether online player `id` may chat: `Err` when muted, with the
    /// notice to send them (`Some`) at most once a minute.
    ///
    /// # Errors
    /// The player is muted.
    pub fn check_muted(&self, id: PlayerId) -> Result<(), Option<String>> {
        let name = match self.state.read().players.get(&id) {
            Some(player) => player.name.clone(),
            None => return Ok(()),
        };
        let Some(mute) = self.sanctions.mute(&name) else { return Ok(()) };
        let mut state = self.state.write();
        let Some(player) = state.players.get_mut(&id) else { return Err(None) };
        if player.told_muted.is_some_and(|told| told.elapsed() < Duration::from_secs(60)) {
            return Err(None);
        }
        player.told_muted = Some(Instant::now());
        Err(Some(format!("You are {}. Your chat is not delivered; commands still work.", mute.describe())))
    }

    /// Forgets that a player was told they are muted (a new mute is told at
    /// once).
    pub fn reset_mute_notice(&self, name: &str) {
        let mut state = self.state.write();
        if let Some(id) = state.names.get(&name.to_lowercase()).copied()
            && let Some(player) = state.players.get_mut(&id)
        {
            player.told_muted = None;
        }
    }

    /// The queues of every online player the ladder lets run `modchat`
    /// (staff: DESIGN §10, decided by rules, not a list), each judged in the
    /// realm they are in.
    pub fn staff(&self) -> Vec<Outbox> {
        let Some(modchat) = self.registry.commands().iter().find(|command| command.def().name == "modchat")
        else {
            return Vec::new();
        };
        let state = self.state.read();
        let snapshot = self.access.snapshot();
        state
            .players
            .values()
            .filter(|player| {
                let realm = player.realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
                snapshot.allows(group_for(&snapshot, player, realm), modchat, TargetForm::Pub)
            })
            .map(|player| player.outbox.clone())
            .collect()
    }

    /// Tells staff `text` as `MSG:SYSOP:text` (a ban, an automatic mute, a
    /// refused reload, a slow reader dropped), at most 60 a minute; it is
    /// logged too.
    pub fn alert_staff(&self, text: &str) {
        tracing::info!("staff alert: {text}");
        if self.alerts.take().is_none() {
            return;
        }
        let line = Delivery::new(Event::Alert(text.into()));
        for outbox in self.staff() {
            outbox.deliver(&line);
        }
    }

    /// Staff chat: `MSG:MOD:name:text` to every member of staff.
    pub fn mod_chat(&self, name: &str, text: &str) {
        let line = Delivery::new(Event::Chat { kind: ChatKind::Staff, from: name.into(), text: text.into() });
        for outbox in self.staff() {
            outbox.deliver(&line);
        }
    }

    /// Player `id`'s chat channels, channel 1 first.
    pub fn channels(&self, id: PlayerId) -> Vec<Arc<str>> {
        self.state.read().players.get(&id).map(|player| player.channels.clone()).unwrap_or_default()
    }

    /// Sets player `id`'s chat channels (already checked).
    pub fn set_channels(&self, id: PlayerId, channels: &[String]) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.channels = channels.iter().map(|channel| Arc::from(channel.as_str())).collect();
        }
    }

    /// A chat channel message from player `id` on their channel `number`
    /// (from 1): `MSG:CHAT:n:name> text` to every online member, sender
    /// included, `n` being each receiver's own number for the channel.
    ///
    /// # Errors
    /// The player's answer when they have no such channel.
    pub fn chat_channel(&self, id: PlayerId, number: usize, text: &str) -> Result<(), String> {
        let state = self.state.read();
        let Some(sender) = state.players.get(&id) else { return Ok(()) };
        if sender.channels.is_empty() {
            return Err("you are on no chat channel; ?chat=name joins one".to_owned());
        }
        let Some(channel) = number.checked_sub(1).and_then(|index| sender.channels.get(index)) else {
            return Err(format!(
                "you have no channel {number}: yours are 1 to {}; ?chat lists them",
                sender.channels.len()
            ));
        };
        for player in state.players.values() {
            let Some(index) = player.channels.iter().position(|own| own.eq_ignore_ascii_case(channel)) else {
                continue;
            };
            player.outbox.event(Event::Channel {
                number: index + 1,
                from: sender.name.clone(),
                text: text.into(),
            });
        }
        Ok(())
    }

    /// Who is online, by realm (in name order, players in order of entry);
    /// players in no realm are listed under `None`.
    pub fn who(&self) -> Vec<RealmPlayers> {
        let state = self.state.read();
        let mut realms: Vec<RealmPlayers> = state
            .realms
            .values()
            .filter(|realm| !realm.players.is_empty())
            .map(|realm| {
                let names =
                    realm.players.iter().filter_map(|id| state.players.get(id)).map(|p| p.name.clone());
                RealmPlayers {
                    name: Some(realm.name.clone()),
                    public: realm.public,
                    players: names.collect(),
                }
            })
            .collect();
        realms.sort_by(|a, b| a.name.cmp(&b.name));
        let mut nowhere: Vec<Arc<str>> =
            state.players.values().filter(|player| player.realm.is_none()).map(|p| p.name.clone()).collect();
        if !nowhere.is_empty() {
            nowhere.sort();
            realms.push(RealmPlayers { name: None, public: true, players: nowhere });
        }
        realms
    }

    /// Records that `name` logged out (for `?seen`); a failure is logged.
    pub async fn record_logout(&self, name: &str) {
        if let Err(error) = self.store.touch_logout(name).await {
            self.store_trouble("record a logout time", &error);
        }
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
        self.store
            .run(move |store| {
                kinds.iter().try_for_each(|kind| store.lift_sanction(&owned, *kind, &by, &action))
            })
            .await?;
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

    /// How many players are online.
    pub fn player_count(&self) -> usize {
        self.state.read().players.len()
    }
}

/// The group that counts for `player` in `realm` (a realm name; `None` for
/// zone-wide): their `?grplogin` group while the policy still has it, else
/// their membership (DESIGN §5.1).
fn group_for<'s>(snapshot: &'s Snapshot, player: &'s Online, realm: Option<&str>) -> &'s str {
    match player.session_group.as_deref().filter(|group| snapshot.policy().group(group).is_some()) {
        Some(group) => group,
        None => snapshot.member_group(&player.name, realm),
    }
}

fn broadcast(
    players: &HashMap<PlayerId, Online>,
    to: &[PlayerId],
    except: Option<PlayerId>,
    line: &Arc<Delivery>,
) {
    for id in to {
        if Some(*id) == except {
            continue;
        }
        if let Some(player) = players.get(id) {
            player.outbox.deliver(line);
        }
    }
}

impl World for Zone {
    fn allows(
        &self,
        sender: &Player<'_>,
        command: &Command,
        form: TargetForm,
        realm: Option<RealmId>,
    ) -> bool {
        let state = self.state.read();
        let snapshot = self.access.snapshot();
        let realm_name = realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
        let group = match state.players.get(&sender.id) {
            Some(player) => group_for(&snapshot, player, realm_name),
            None => snapshot.member_group(sender.name, realm_name),
        };
        snapshot.allows(group, command, form)
    }

    fn locate(&self, id: PlayerId) -> Option<(Location, Option<u16>)> {
        self.whereabouts(id).map(|(_, location, freq)| (location, freq))
    }

    fn find_player(&self, name: &str) -> Option<OnlinePlayer> {
        self.find(name).map(|info| info.online())
    }

    fn players_with_prefix(&self, prefix: &str, max: usize) -> Vec<OnlinePlayer> {
        let prefix = prefix.to_lowercase();
        let state = self.state.read();
        state
            .names
            .iter()
            .filter(|(key, _)| key.starts_with(&prefix))
            .take(max)
            .filter_map(|(_, &id)| state.info(id))
            .map(|info| info.online())
            .collect()
    }

    fn scope_name(&self, scope: Scope) -> String {
        self.describe(scope)
    }
}

impl PlayerInfo {
    /// The player as typed arguments resolve them.
    pub fn online(&self) -> OnlinePlayer {
        OnlinePlayer { id: self.id, name: self.name.to_string(), location: self.location, freq: self.freq }
    }
}

impl State {
    fn create_realm(&mut self, key: &str, declared: bool, public: bool) -> RealmId {
        let id = RealmId(self.next_realm);
        self.next_realm += 1;
        self.realms
            .insert(id, Realm { name: key.into(), declared, public, games: Vec::new(), players: Vec::new() });
        self.realm_names.insert(key.to_owned(), id);
        id
    }

    /// Takes the player out of their realm, telling the others; a realm that
    /// was created on demand goes when its last player does, unless it is
    /// `keep` (the player is re-entering it).
    /// Returns the realm that closed, whose attachments the caller detaches.
    fn leave_realm(&mut self, id: PlayerId, keep: Option<RealmId>) -> Option<RealmId> {
        let player = self.players.get_mut(&id)?;
        let realm_id = player.realm.take()?;
        player.game = None;
        let name = player.name.clone();
        let realm = self.realms.get_mut(&realm_id)?;
        realm.players.retain(|other| *other != id);
        let line = Delivery::new(Event::Left { name: name.clone() });
        broadcast(&self.players, &realm.players, None, &line);
        if realm.players.is_empty() && !realm.declared && keep != Some(realm_id) {
            let key = realm.name.to_string();
            self.realms.remove(&realm_id);
            self.realm_names.remove(&key);
            return Some(realm_id);
        }
        None
    }

    /// Removes the player; also returns the realm that closed, if any.
    fn remove_player(&mut self, id: PlayerId) -> (Option<Online>, Option<RealmId>) {
        let closed = self.leave_realm(id, None);
        let Some(online) = self.players.remove(&id) else { return (None, closed) };
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
            location: Location { realm: player.realm, game: player.game },
            realm_name,
            game_name,
            freq: player.realm.map(|_| player.freq),
            session_start: player.session_start,
            account: player.account.clone(),
            outbox: player.outbox.clone(),
            address: player.address,
            client: player.client.clone(),
        })
    }
}
