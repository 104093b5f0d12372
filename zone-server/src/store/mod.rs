//! State the server owns (DESIGN §7, §11): accounts with argon2id password
//! hashes, first login and total connected time; moderators' rule edits and
//! memberships, each with who and when; sanctions, warnings, channel and
//! ignore lists, offline messages; and the audit log, behind one interface,
//! [`Store`], with two backends: [`SqliteStore`] (the embedded default,
//! `zone.db` in the data directory) and [`PgStore`] (a PostgreSQL database
//! that several zones can share).
//!
//! Every [`Store`] method blocks; the running zone reaches the store only
//! through [`StoreHandle`], which moves each call off the async threads.
//! Password hashing is not done here but on [`crate::password::HashPool`].
//!
//! # Layout
//! - `sqlite`: [`SqliteStore`] and its migrations.
//! - `postgres`: [`PgStore`], its migrations (`migrations/postgres/`, run by
//!   refinery), reconnection and the network's `LISTEN`/`NOTIFY`.
//! - [`migrate`]: copying a zone's SQLite store into a PostgreSQL one.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use cmdman::{Effect, RuleKey};

use crate::network::{NetworkEvent, Presence};
use crate::sanction::{Kind as SanctionKind, Sanction, WARNINGS_KEPT, Warning};

pub mod migrate;
mod postgres;
mod sqlite;

pub use self::postgres::PgStore;
pub use self::sqlite::SqliteStore;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as first registered.
    pub name: String,
    /// When the account was created.
    pub first_login: Time,
    /// Time connected over all finished sessions.
    pub total: Duration,
    /// When the player was last seen: their last logout, or their last login
    /// if that is later (a crash records no logout).
    pub last_seen: Time,
    /// Whether the password is a one-time password staff set (`?resetpw`),
    /// to be changed (`?passwd`) before anything else.
    pub must_change_password: bool,
}

/// An offline message (`?message`), kept until its recipient reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The recipient's account name.
    pub to: String,
    /// The sender's name.
    pub from: String,
    /// What they wrote.
    pub text: String,
    /// When it was sent: the store stamps it with its clock when adding.
    pub at: Time,
}

/// The bounds [`Store::add_message`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// Unread messages one recipient may have.
    pub per_recipient: usize,
    /// Messages one sender may send a day (UTC).
    pub per_day: usize,
}

/// What became of an offline message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Stored for the recipient.
    Stored,
    /// The recipient ignores the sender: counted against the sender's day,
    /// not stored.
    Ignored,
    /// The recipient has [`MessageLimits::per_recipient`] unread messages.
    RecipientFull,
    /// The sender has sent [`MessageLimits::per_day`] today.
    SenderLimit,
}

/// Why the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL database failed (a statement, not the connection).
    #[error("database error: {0}")]
    Postgres(#[source] ::postgres::Error),
    /// The store cannot be reached or written (a disk or database that
    /// refuses writes, a lost connection).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

/// The server's own persistent state.
pub trait Store: Send + Sync + 'static {
    /// The account of `name` (compared case-insensitively) and its password
    /// hash (argon2 PHC), if it exists. Hashing is the caller's, off the
    /// store (see [`crate::password`]).
    ///
    /// # Errors
    /// A database failure.
    fn credentials(&self, name: &str) -> Result<Option<(Account, String)>, StoreError>;

    /// Creates the account `name` with the password hash `hash`; `None` when
    /// the name was taken meanwhile.
    ///
    /// # Errors
    /// A database failure (a full or read-only disk): nothing is created.
    fn create_account(&self, name: &str, hash: &str) -> Result<Option<Account>, StoreError>;

    /// Records that `name` logged in now.
    ///
    /// # Errors
    /// A database failure; the login itself stands.
    fn touch_login(&self, name: &str) -> Result<(), StoreError>;

    /// Adds connected time to each account's total, in one transaction.
    ///
    /// # Errors
    /// A database failure; then nothing was added.
    fn add_usage(&self, usage: &[(String, Duration)]) -> Result<(), StoreError>;

    /// The account of `name`, if any.
    ///
    /// # Errors
    /// A database failure.
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError>;

    /// Every runtime rule edit, oldest first, and the rows that do not
    /// decode (a key or effect this server cannot read), described.
    ///
    /// # Errors
    /// A database failure.
    fn rule_edits(&self) -> Result<Rows<RuleEdit>, StoreError>;

    /// Records that `group`'s rule for `key` is now `effect` (`None`: revoked,
    /// hiding any rule the config has), and `action` in the audit log, at once.
    /// Returns the time written.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_rule(
        &self,
        group: &str,
        key: &RuleKey,
        effect: Option<Effect>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError>;

    /// Every runtime membership, oldest first, and the rows that do not
    /// decode, described.
    ///
    /// # Errors
    /// A database failure.
    fn memberships(&self) -> Result<Rows<MembershipEdit>, StoreError>;

    /// Records `name`'s group (zone-wide, or in `realm`) as `group` (`None`:
    /// removed, hiding any membership the config has), and `action` in the
    /// audit log, at once. Returns the time written.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_membership(
        &self,
        name: &str,
        realm: Option<&str>,
        group: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError>;

    /// Adds `action` by `by` to the audit log.
    ///
    /// # Errors
    /// A database failure.
    fn audit(&self, by: &str, action: &str) -> Result<(), StoreError>;

    /// Adds `action` by `by` to the audit log, or counts it on the row that
    /// already has it from the last `window`: a repeated failure is one row
    /// with a count, not one row per try.
    ///
    /// # Errors
    /// A database failure.
    fn audit_repeated(&self, by: &str, action: &str, window: Duration) -> Result<(), StoreError>;

    /// Records when each of `logouts` logged out (`?seen`): `(name, age)`,
    /// the logout `age` before the database's clock now, to the second (a
    /// logout kept while the store was away keeps its own time). One
    /// transaction.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn touch_logouts(&self, logouts: &[(String, Duration)]) -> Result<(), StoreError>;

    /// Every ban, kick and mute stored (ended ones too, until purged).
    ///
    /// # Errors
    /// A database failure.
    fn sanctions(&self) -> Result<Vec<Sanction>, StoreError>;

    /// Stores `sanction`, replacing the account's one of its kind, and
    /// `action` in the audit log by its moderator, at once.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_sanction(&self, sanction: &Sanction, action: &str) -> Result<(), StoreError>;

    /// Removes `name`'s sanctions of each of `kinds`, and adds `action` by
    /// `by` to the audit log once, at once.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn lift_sanction(
        &self,
        name: &str,
        kinds: &[SanctionKind],
        by: &str,
        action: &str,
    ) -> Result<(), StoreError>;

    /// Deletes the sanctions that ended before `now` (Unix seconds).
    ///
    /// # Errors
    /// A database failure.
    fn purge_sanctions(&self, now: i64) -> Result<(), StoreError>;

    /// Stores a warning and `action` in the audit log at once; keeps the
    /// newest [`WARNINGS_KEPT`] per player.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn add_warning(&self, warning: &Warning, action: &str) -> Result<(), StoreError>;

    /// `name`'s warnings, newest first.
    ///
    /// # Errors
    /// A database failure.
    fn warnings(&self, name: &str) -> Result<Vec<Warning>, StoreError>;

    /// `name`'s chat channels, in order (channel 1 first).
    ///
    /// # Errors
    /// A database failure.
    fn channels(&self, name: &str) -> Result<Vec<String>, StoreError>;

    /// Sets `name`'s chat channels.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_channels(&self, name: &str, channels: &[String]) -> Result<(), StoreError>;

    /// Sets `name`'s password hash (argon2 PHC); with `must_change`, it is a
    /// one-time password to be changed at the next login. With `replacing`,
    /// only if the stored hash is still that one (a `?passwd` that checked
    /// it does not undo a reset made meanwhile). Adds `action` by `by` to
    /// the audit log (never the password), at once. `false` when nothing
    /// was written: no such account, or another hash than `replacing`.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_password(
        &self,
        name: &str,
        hash: &str,
        must_change: bool,
        replacing: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<bool, StoreError>;

    /// The names `name` ignores, in the order ignored.
    ///
    /// # Errors
    /// A database failure.
    fn ignores(&self, name: &str) -> Result<Vec<String>, StoreError>;

    /// Adds `other` to `name`'s ignore list (deleting the messages from
    /// `other` that wait for `name`), or with `ignore == false` takes them
    /// off it.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_ignore(&self, name: &str, other: &str, ignore: bool) -> Result<(), StoreError>;

    /// Stores `message` for its recipient, within `limits`, in one
    /// transaction: refused when the sender has sent their day's share or
    /// the recipient's box is full; counted but not stored when the
    /// recipient ignores the sender.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn add_message(&self, message: &Message, limits: MessageLimits) -> Result<Sent, StoreError>;

    /// How many messages wait for `name`.
    ///
    /// # Errors
    /// A database failure.
    fn message_count(&self, name: &str) -> Result<usize, StoreError>;

    /// The messages waiting for `name`, oldest first, deleted as they are
    /// read.
    ///
    /// # Errors
    /// A database failure; nothing is deleted then.
    fn take_messages(&self, name: &str) -> Result<Vec<Message>, StoreError>;

    /// Tells every zone sharing the store `event` (PostgreSQL: `NOTIFY`,
    /// delivered when committed); a store of one zone has nobody to tell.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn announce(&self, _event: &NetworkEvent) -> Result<(), StoreError> {
        Ok(())
    }

    /// The events the zones sharing the store announce (this one's too),
    /// from now on, with a [`NetworkEvent::Resync`] first and after every
    /// reconnection; `None` for a store of one zone. Listening ends when
    /// the receiver is dropped.
    fn subscribe(&self) -> Option<tokio::sync::mpsc::Receiver<NetworkEvent>> {
        None
    }

    /// Records that zone `instance`, named `zone`, is alive now.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn heartbeat(&self, _instance: &str, _zone: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Records `name` online in zone `instance`, in `realm` (or in none); or
    /// with `online == false`, no longer there (unless a newer login
    /// elsewhere took the row).
    ///
    /// # Errors
    /// The store cannot be reached.
    fn set_presence(
        &self,
        _instance: &str,
        _name: &str,
        _online: bool,
        _realm: Option<&str>,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    /// Whether other zones share this store (and its events).
    fn shared(&self) -> bool {
        false
    }

    /// The zone instance this store serves, named in the events the store
    /// announces itself (a password change).
    fn set_origin(&self, _instance: &str) {}

    /// Zone `instance`'s players' presence, all of it at once: `players`
    /// (name and realm) and nobody else.
    ///
    /// # Errors
    /// The store cannot be reached; nothing changed then.
    fn replace_presence(
        &self,
        _instance: &str,
        _players: &[(String, Option<String>)],
    ) -> Result<(), StoreError> {
        Ok(())
    }

    /// Zone `instance` stops: its row and its players' presence go.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn leave_network(&self, _instance: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Everyone online in a live zone of the network (one whose heartbeat
    /// is recent), in name order; none for a store of one zone.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn presences(&self) -> Result<Vec<Presence>, StoreError> {
        Ok(Vec::new())
    }

    /// Where `name` is online in a live zone of the network, if anywhere.
    ///
    /// # Errors
    /// The store cannot be reached.
    fn locate(&self, _name: &str) -> Result<Option<Presence>, StoreError> {
        Ok(None)
    }

    /// Deletes the oldest audit entries beyond the newest `keep`.
    ///
    /// # Errors
    /// A database failure.
    fn prune_audit(&self, keep: usize) -> Result<(), StoreError>;

    /// The newest `count` audit entries that `filter` keeps, newest first.
    ///
    /// # Errors
    /// A database failure.
    fn audit_search(&self, filter: &AuditFilter, count: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// The newest `count` audit entries, newest first.
    ///
    /// # Errors
    /// A database failure.
    fn audit_log(&self, count: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_search(&AuditFilter::default(), count)
    }
}

/// Which audit entries [`Store::audit_search`] returns: all, or those of
/// one actor and/or whose action contains some text (both without case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries by this name (`by`), compared without case.
    pub by: Option<String>,
    /// Only entries whose action contains this text, without case.
    pub contains: Option<String>,
}

/// The store as the running zone uses it: every call runs on Tokio's
/// blocking threads and is awaited, so no caller can block the async
/// threads by forgetting to move it off them. Cheap to clone.
#[derive(Clone)]
pub struct StoreHandle(Arc<dyn Store>, Arc<crate::ops::metrics::StoreMeter>);

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHandle")
    }
}

impl StoreHandle {
    /// A handle on `store`.
    pub fn new(store: Arc<dyn Store>) -> StoreHandle {
        StoreHandle(store, Arc::default())
    }

    /// Runs `work` on the store, off the async threads.
    ///
    /// # Errors
    /// The work's error, or [`StoreError::Unavailable`] if its task died.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.0.clone();
        let started = std::time::Instant::now();
        let result = match tokio::task::spawn_blocking(move || work(&*store)).await {
            Ok(result) => result,
            Err(error) => Err(StoreError::Unavailable(format!("the store's task failed: {error}"))),
        };
        self.1.record(started.elapsed(), result.is_err());
        result
    }

    /// The time and failures of its calls, for the metrics.
    pub fn meter(&self) -> Arc<crate::ops::metrics::StoreMeter> {
        self.1.clone()
    }

    /// Whether other zones share the store ([`Store::shared`]).
    pub fn shared(&self) -> bool {
        self.0.shared()
    }

    /// [`Store::set_origin`].
    pub fn set_origin(&self, instance: &str) {
        self.0.set_origin(instance);
    }

    /// [`Store::subscribe`].
    pub fn subscribe(&self) -> Option<tokio::sync::mpsc::Receiver<NetworkEvent>> {
        self.0.subscribe()
    }

    /// [`Store::credentials`].
    ///
    /// # Errors
    /// As it.
    pub async fn credentials(&self, name: &str) -> Result<Option<(Account, String)>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.credentials(&name)).await
    }

    /// [`Store::create_account`].
    ///
    /// # Errors
    /// As it.
    pub async fn create_account(&self, name: &str, hash: String) -> Result<Option<Account>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.create_account(&name, &hash)).await
    }

    /// [`Store::touch_login`].
    ///
    /// # Errors
    /// As it.
    pub async fn touch_login(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.touch_login(&name)).await
    }

    /// [`Store::account`].
    ///
    /// # Errors
    /// As it.
    pub async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.account(&name)).await
    }

    /// [`Store::rule_edits`] and [`Store::memberships`], read together.
    ///
    /// # Errors
    /// As they.
    pub async fn edits(&self) -> Result<(Rows<RuleEdit>, Rows<MembershipEdit>), StoreError> {
        self.run(|store| Ok((store.rule_edits()?, store.memberships()?))).await
    }

    /// [`Store::audit`].
    ///
    /// # Errors
    /// As it.
    pub async fn audit(&self, by: &str, action: String) -> Result<(), StoreError> {
        let by = by.to_owned();
        self.run(move |store| store.audit(&by, &action)).await
    }

    /// [`Store::audit_log`].
    ///
    /// # Errors
    /// As it.
    pub async fn audit_log(&self, count: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(move |store| store.audit_log(count)).await
    }

    /// [`Store::audit_search`].
    ///
    /// # Errors
    /// As it.
    pub async fn audit_search(
        &self,
        filter: AuditFilter,
        count: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(move |store| store.audit_search(&filter, count)).await
    }

    /// [`Store::sanctions`].
    ///
    /// # Errors
    /// As it.
    pub async fn sanctions(&self) -> Result<Vec<Sanction>, StoreError> {
        self.run(|store| store.sanctions()).await
    }

    /// [`Store::add_warning`].
    ///
    /// # Errors
    /// As it.
    pub async fn add_warning(&self, warning: Warning, action: String) -> Result<(), StoreError> {
        self.run(move |store| store.add_warning(&warning, &action)).await
    }

    /// [`Store::warnings`].
    ///
    /// # Errors
    /// As it.
    pub async fn warnings(&self, name: &str) -> Result<Vec<Warning>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.warnings(&name)).await
    }

    /// [`Store::channels`].
    ///
    /// # Errors
    /// As it.
    pub async fn channels(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.channels(&name)).await
    }

    /// [`Store::set_channels`].
    ///
    /// # Errors
    /// As it.
    pub async fn set_channels(&self, name: &str, channels: Vec<String>) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.set_channels(&name, &channels)).await
    }

    /// [`Store::set_password`].
    ///
    /// # Errors
    /// As it.
    pub async fn set_password(
        &self,
        name: &str,
        hash: String,
        must_change: bool,
        replacing: Option<String>,
        by: &str,
        action: String,
    ) -> Result<bool, StoreError> {
        let (name, by) = (name.to_owned(), by.to_owned());
        self.run(move |store| {
            store.set_password(&name, &hash, must_change, replacing.as_deref(), &by, &action)
        })
        .await
    }

    /// [`Store::ignores`].
    ///
    /// # Errors
    /// As it.
    pub async fn ignores(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.ignores(&name)).await
    }

    /// [`Store::set_ignore`].
    ///
    /// # Errors
    /// As it.
    pub async fn set_ignore(&self, name: &str, other: &str, ignore: bool) -> Result<(), StoreError> {
        let (name, other) = (name.to_owned(), other.to_owned());
        self.run(move |store| store.set_ignore(&name, &other, ignore)).await
    }

    /// [`Store::add_message`].
    ///
    /// # Errors
    /// As it.
    pub async fn add_message(&self, message: Message, limits: MessageLimits) -> Result<Sent, StoreError> {
        self.run(move |store| store.add_message(&message, limits)).await
    }

    /// [`Store::message_count`].
    ///
    /// # Errors
    /// As it.
    pub async fn message_count(&self, name: &str) -> Result<usize, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.message_count(&name)).await
    }

    /// [`Store::take_messages`].
    ///
    /// # Errors
    /// As it.
    pub async fn take_messages(&self, name: &str) -> Result<Vec<Message>, StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.take_messages(&name)).await
    }
}

/// A time the store wrote, UTC. Shown (and kept in the database) as
/// `YYYY-MM-DD HH:MM:SS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub jiff::Timestamp);

impl Time {
    /// Stands in for a stored time that does not decode, where the row is
    /// still worth reading (an account's first login): the Unix epoch,
    /// `1970-01-01 00:00:00`, plainly not a real one.
    pub const UNREADABLE: Time = Time(jiff::Timestamp::UNIX_EPOCH);

    /// The time now.
    pub fn now() -> Time {
        Time(jiff::Timestamp::now())
    }
}

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%d %H:%M:%S"))
    }
}

impl std::str::FromStr for Time {
    type Err = String;

    /// Parses `YYYY-MM-DD HH:MM:SS`, UTC.
    fn from_str(text: &str) -> Result<Time, String> {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text)
            .and_then(|civil| civil.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|zoned| Time(zoned.timestamp()))
            .map_err(|error| format!("'{text}' is not a time: {error}"))
    }
}

/// Rows read from the store: those that decode, and a description of each
/// that does not (reported by `?health` and the log; never dropped silently
/// or read as something else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows<T> {
    /// The rows that decode.
    pub rows: Vec<T>,
    /// One sentence per row that does not.
    pub bad: Vec<String>,
}

/// A rule set by a moderator, over the config's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEdit {
    /// The player group.
    pub group: String,
    /// The rule key (`usage:player`).
    pub key: RuleKey,
    /// Grant or deny; `None` for revoked.
    pub effect: Option<Effect>,
    /// Who.
    pub by: String,
    /// When.
    pub at: Time,
}

/// A membership set by a moderator or the `staff` command, over the config's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipEdit {
    /// The player's name as given.
    pub name: String,
    /// The realm (lower case), or `None` for zone-wide.
    pub realm: Option<String>,
    /// The group, or `None` for removed.
    pub group: Option<String>,
    /// Who.
    pub by: String,
    /// When.
    pub at: Time,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Time,
    /// Who.
    pub by: String,
    /// What, in words; never a password.
    pub action: String,
    /// How many times it happened in its window (1 for an edit).
    pub count: u32,
}

/// The store could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("cannot open the database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL store's URL is not valid, or the database cannot be
    /// reached.
    #[error("cannot reach the PostgreSQL store {0}")]
    Postgres(String),
    /// The store's schema cannot be brought to this server's version.
    #[error("cannot migrate the store {0}")]
    Migration(String),
    /// The file was written by a newer server.
    #[error("{path} has schema version {version}, newer than this server's; upgrade the server")]
    TooNew {
        /// The file.
        path: String,
        /// Its schema version.
        version: i64,
    },
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

/// A stored rule edit from its columns, or what is wrong with it (a key or
/// effect this server cannot read, a time that does not decode): both
/// backends read rule edits through it.
fn decode_rule_edit(
    group: &str,
    key_text: &str,
    effect_text: Option<&str>,
    by: &str,
    at: Result<Time, String>,
) -> Result<RuleEdit, String> {
    let key = key_text.parse::<RuleKey>().map_err(|error| format!("rule key '{key_text}': {error}"))?;
    let effect = match effect_text {
        None => None,
        Some("grant") => Some(Effect::Grant),
        Some("deny") => Some(Effect::Deny),
        Some(other) => return Err(format!("effect '{other}' is neither grant nor deny")),
    };
    Ok(RuleEdit { group: group.to_owned(), key, effect, by: by.to_owned(), at: at? })
}

/// Which store a zone runs on, and where.
///
/// # Errors
/// [`OpenError`] when it cannot be opened or reached, or its schema is newer
/// than this server's.
pub fn open(choice: &config::StoreConfig, data_dir: &Path) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match choice {
        config::StoreConfig::Sqlite => Arc::new(SqliteStore::open(data_dir)?),
        config::StoreConfig::Postgres { url } => Arc::new(PgStore::open(url)?),
    })
}
