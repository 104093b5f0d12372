//! State the server owns (DESIGN §7): accounts with argon2id password hashes,
//! first login and total connected time. [`Store`] is the seam a shared
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
}

/// [`Store`] on an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

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
             PRAGMA user_version = 1;",
        )?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
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
    fn the_stored_hash_is_argon2id_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.login("Alice", "secret", cheap()).unwrap();
        let (_, hash) = store.hash_row("alice").unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("secret"));
    }
}
