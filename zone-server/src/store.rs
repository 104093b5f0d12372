//! State the server owns (DESIGN §7): accounts with argon2id password hashes,
//! first login and total connected time; moderators' rule edits and
//! memberships, each with who and when; and the audit log. [`Store`] is the seam a shared
//! database can fill later; [`SqliteStore`] keeps it in `zone.db` in the data
//! directory.
//!
//! Every method blocks (SQLite, argon2): call them from `spawn_blocking`.

use std::path::Path;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use config::PasswordHashing;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as first registered.
    pub name: String,
    /// When the account was created, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub first_login: String,
    /// Time connected over all finished sessions.
    pub total: Duration,
}

/// Why a login was refused, or the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The password does not match the account's.
    #[error("wrong password")]
    WrongPassword,
    /// No account has this name and new accounts are closed.
    #[error("unknown name; this zone does not create new accounts")]
    UnknownName,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Hashing failed (bad parameters, or a stored hash that cannot be read).
    #[error("password hashing error: {0}")]
    Hash(String),
}

/// What a login may do to the account table.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Create an account for an unknown name.
    pub allow_new: bool,
    /// The cost of new hashes.
    pub hashing: PasswordHashing,
}

/// The server's own persistent state.
pub trait Store: Send + Sync + 'static {
    /// Checks `password` for `name` (compared case-insensitively), creating the
    /// account when it does not exist and `policy` allows it.
    ///
    /// # Errors
    /// [`StoreError::WrongPassword`], [`StoreError::UnknownName`], or a failure.
    fn login(&self, name: &str, password: &str, policy: LoginPolicy) -> Result<Account, StoreError>;

    /// Adds a finished session's length to the account's total.
    ///
    /// # Errors
    /// A database failure.
    fn add_session(&self, name: &str, length: Duration) -> Result<(), StoreError>;

    /// The account of `name`, if any.
    ///
    /// # Errors
    /// A database failure.
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError>;

    /// Every runtime rule edit, oldest first.
    ///
    /// # Errors
    /// A database failure.
    fn rule_edits(&self) -> Result<Vec<RuleEdit>, StoreError>;

    /// Records that `group`'s rule for `key` is now `effect` (`None`: revoked,
    /// hiding any rule the config has), and `action` in the audit log, at once.
    /// Returns the time written, UTC, `YYYY-MM-DD HH:MM:SS`.
    ///
    /// # Errors
    /// A database failure; nothing is written then.
    fn set_rule(
        &self,
        group: &str,
        key: &str,
        effect: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<String, StoreError>;

    /// Every runtime membership, oldest first.
    ///
    /// # Errors
    /// A database failure.
    fn memberships(&self) -> Result<Vec<MembershipEdit>, StoreError>;

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
    ) -> Result<String, StoreError>;

    /// Adds `action` by `by` to the audit log.
    ///
    /// # Errors
    /// A database failure.
    fn audit(&self, by: &str, action: &str) -> Result<(), StoreError>;

    /// The newest `count` audit entries, newest first.
    ///
    /// # Errors
    /// A database failure.
    fn audit_log(&self, count: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

/// A rule set by a moderator, over the config's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEdit {
    /// The player group.
    pub group: String,
    /// The rule key as written (`usage:player`).
    pub key: String,
    /// `grant`, `deny`, or `None` for revoked.
    pub effect: Option<String>,
    /// Who.
    pub by: String,
    /// When, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
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
    /// When, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    /// Who.
    pub by: String,
    /// What, in words; never a password.
    pub action: String,
}

/// [`Store`] on an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

impl SqliteStore {
    /// Opens (creating if needed) `zone.db` in `data_dir`, which is created too.
    ///
    /// # Errors
    /// The directory or database cannot be created or opened, or it was written
    /// by a newer version of the server.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, OpenError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| OpenError::Dir { path: data_dir.display().to_string(), source })?;
        let path = data_dir.join("zone.db");
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(OpenError::TooNew { path: path.display().to_string(), version });
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS accounts (
                 name_key      TEXT PRIMARY KEY,  -- the name in lower case
                 name          TEXT NOT NULL,     -- as first registered
                 password_hash TEXT NOT NULL,     -- argon2id PHC string
                 first_login   TEXT NOT NULL,     -- UTC, YYYY-MM-DD HH:MM:SS
                 last_login    TEXT NOT NULL,
                 total_ms      INTEGER NOT NULL DEFAULT 0  -- finished sessions, milliseconds
             );
             CREATE TABLE IF NOT EXISTS rule_edits (
                 player_group TEXT NOT NULL,
                 rule_key     TEXT NOT NULL,     -- usage, usage:player, *warn
                 effect       TEXT,              -- grant, deny, or NULL for revoked
                 by_name      TEXT NOT NULL,
                 at           TEXT NOT NULL,     -- UTC, YYYY-MM-DD HH:MM:SS
                 PRIMARY KEY (player_group, rule_key)
             );
             CREATE TABLE IF NOT EXISTS memberships (
                 name_key     TEXT NOT NULL,     -- the player's name in lower case
                 name         TEXT NOT NULL,
                 realm        TEXT NOT NULL,     -- lower case; '' for zone-wide
                 player_group TEXT,              -- NULL for removed
                 by_name      TEXT NOT NULL,
                 at           TEXT NOT NULL,
                 PRIMARY KEY (name_key, realm)
             );
             CREATE TABLE IF NOT EXISTS audit (
                 id      INTEGER PRIMARY KEY AUTOINCREMENT,
                 at      TEXT NOT NULL,
                 by_name TEXT NOT NULL,
                 action  TEXT NOT NULL
             );
             PRAGMA user_version = 2;",
        )?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// Runs `write` with the time now and adds `action` to the audit log, in
    /// one transaction; returns the time.
    fn write_edit(
        &self,
        by: &str,
        action: &str,
        write: impl FnOnce(&rusqlite::Transaction<'_>, &str) -> rusqlite::Result<usize>,
    ) -> Result<String, StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let at = now(&transaction)?;
        write(&transaction, &at)?;
        insert_audit(&transaction, by, action)?;
        transaction.commit()?;
        Ok(at)
    }

    fn hash_row(&self, key: &str) -> Result<Option<(Account, String)>, StoreError> {
        let conn = self.conn.lock();
        let row = conn
            .query_row(
                "SELECT name, first_login, total_ms, password_hash FROM accounts WHERE name_key = ?1",
                params![key],
                |row| {
                    Ok((
                        Account {
                            name: row.get(0)?,
                            first_login: row.get(1)?,
                            total: Duration::from_millis(row.get::<_, i64>(2)?.max(0) as u64),
                        },
                        row.get(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row)
    }
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

impl Store for SqliteStore {
    fn login(&self, name: &str, password: &str, policy: LoginPolicy) -> Result<Account, StoreError> {
        let key = key(name);
        if let Some((account, hash)) = self.hash_row(&key)? {
            // Verify without holding the connection: hashing takes milliseconds.
            let parsed = PasswordHash::new(&hash).map_err(|e| StoreError::Hash(e.to_string()))?;
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .map_err(|_| StoreError::WrongPassword)?;
            self.conn.lock().execute(
                "UPDATE accounts SET last_login = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE name_key = ?1",
                params![key],
            )?;
            return Ok(account);
        }
        if !policy.allow_new {
            return Err(StoreError::UnknownName);
        }
        let hashing = policy.hashing;
        let params = Params::new(hashing.memory_kib, hashing.iterations, hashing.parallelism, None)
            .map_err(|e| StoreError::Hash(e.to_string()))?;
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::Hash(e.to_string()))?
            .to_string();
        let inserted = self.conn.lock().execute(
            "INSERT OR IGNORE INTO accounts (name_key, name, password_hash, first_login, last_login)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%d %H:%M:%S', 'now'), strftime('%Y-%m-%d %H:%M:%S', 'now'))",
            params![key, name, hash],
        )?;
        if inserted == 0 {
            // Another connection registered the name meanwhile: check against theirs.
            return self.login(name, password, LoginPolicy { allow_new: false, ..policy });
        }
        self.account(name)?.ok_or(StoreError::Database(rusqlite::Error::QueryReturnedNoRows))
    }

    fn add_session(&self, name: &str, length: Duration) -> Result<(), StoreError> {
        let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
        self.conn.lock().execute(
            "UPDATE accounts SET total_ms = total_ms + ?2 WHERE name_key = ?1",
            params![key(name), ms],
        )?;
        Ok(())
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.hash_row(&key(name))?.map(|(account, _)| account))
    }

    fn rule_edits(&self) -> Result<Vec<RuleEdit>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn.prepare(
            "SELECT player_group, rule_key, effect, by_name, at FROM rule_edits ORDER BY at, rowid",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(RuleEdit {
                group: row.get(0)?,
                key: row.get(1)?,
                effect: row.get(2)?,
                by: row.get(3)?,
                at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_rule(
        &self,
        group: &str,
        key: &str,
        effect: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<String, StoreError> {
        self.write_edit(by, action, |transaction, at| {
            transaction.execute(
                "INSERT OR REPLACE INTO rule_edits (player_group, rule_key, effect, by_name, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![group, key, effect, by, at],
            )
        })
    }

    fn memberships(&self) -> Result<Vec<MembershipEdit>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn
            .prepare("SELECT name, realm, player_group, by_name, at FROM memberships ORDER BY at, rowid")?;
        let rows = statement.query_map([], |row| {
            let realm: String = row.get(1)?;
            Ok(MembershipEdit {
                name: row.get(0)?,
                realm: (!realm.is_empty()).then_some(realm),
                group: row.get(2)?,
                by: row.get(3)?,
                at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_membership(
        &self,
        name: &str,
        realm: Option<&str>,
        group: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<String, StoreError> {
        let realm = realm.map(str::to_ascii_lowercase).unwrap_or_default();
        self.write_edit(by, action, |transaction, at| {
            transaction.execute(
                "INSERT OR REPLACE INTO memberships (name_key, name, realm, player_group, by_name, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key(name), name, realm, group, by, at],
            )
        })
    }

    fn audit(&self, by: &str, action: &str) -> Result<(), StoreError> {
        insert_audit(&self.conn.lock(), by, action)
    }

    fn audit_log(&self, count: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn.lock();
        let mut statement =
            conn.prepare("SELECT at, by_name, action FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = statement.query_map(params![i64::try_from(count).unwrap_or(i64::MAX)], |row| {
            Ok(AuditEntry { at: row.get(0)?, by: row.get(1)?, action: row.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The time now, UTC, as the database writes it.
fn now(conn: &Connection) -> Result<String, StoreError> {
    Ok(conn.query_row("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now')", [], |row| row.get(0))?)
}

fn insert_audit(conn: &Connection, by: &str, action: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit (at, by_name, action) VALUES (strftime('%Y-%m-%d %H:%M:%S', 'now'), ?1, ?2)",
        params![by, action],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> LoginPolicy {
        LoginPolicy {
            allow_new: true,
            hashing: PasswordHashing { memory_kib: 64, iterations: 1, parallelism: 1 },
        }
    }

    #[test]
    fn new_name_registers_and_returning_login_checks_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let account = store.login("Alice", "pw", cheap()).unwrap();
        assert_eq!(account.name, "Alice");
        assert_eq!(account.total, Duration::ZERO);
        assert!(matches!(store.login("alice", "nope", cheap()), Err(StoreError::WrongPassword)));
        assert_eq!(store.login("ALICE", "pw", cheap()).unwrap().name, "Alice");
        let closed = LoginPolicy { allow_new: false, ..cheap() };
        assert!(matches!(store.login("Bob", "pw", closed), Err(StoreError::UnknownName)));
    }

    #[test]
    fn session_time_adds_up_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.login("Alice", "pw", cheap()).unwrap();
            store.add_session("alice", Duration::from_millis(30_500)).unwrap();
            store.add_session("Alice", Duration::from_millis(11_500)).unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let account = store.account("ALICE").unwrap().unwrap();
        assert_eq!(account.total, Duration::from_secs(42));
        assert_eq!(account.first_login.len(), "2026-11-23 18:00:00".len());
    }

    #[test]
    fn edits_and_the_audit_log_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.set_rule("default", "usage", Some("grant"), "Alice", "granted usage to default").unwrap();
            store.set_rule("default", "usage", None, "Bob", "revoked usage for default").unwrap();
            store
                .set_membership(
                    "Carol",
                    Some("Duel"),
                    Some("mod"),
                    "console",
                    "set Carol's group in duel to mod",
                )
                .unwrap();
            store.set_membership("carol", None, None, "Alice", "removed Carol's zone group").unwrap();
            store.audit("Dan", "logged in to group mod").unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let rules = store.rule_edits().unwrap();
        assert_eq!(rules.len(), 1, "one row per group and key");
        assert_eq!((rules[0].effect.as_deref(), rules[0].by.as_str()), (None, "Bob"));
        let members = store.memberships().unwrap();
        let places: Vec<(Option<&str>, Option<&str>)> =
            members.iter().map(|m| (m.realm.as_deref(), m.group.as_deref())).collect();
        assert_eq!(places, [(Some("duel"), Some("mod")), (None, None)]);
        let log = store.audit_log(2).unwrap();
        let actions: Vec<&str> = log.iter().map(|entry| entry.action.as_str()).collect();
        assert_eq!(actions, ["logged in to group mod", "removed Carol's zone group"]);
    }

    #[test]
    fn the_stored_hash_is_argon2id_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.login("Alice", "secret", cheap()).unwrap();
        let (_, hash) = store.hash_row("alice").unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("secret"));
    }
}
