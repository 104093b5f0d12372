//! [`SqliteStore`]: the embedded store, `zone.db` in the data directory, its
//! schema migrated in place by refinery (`zone-server/migrations/sqlite/`).

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};

use super::*;

/// A time column as read: the time, or what is wrong with the value (not
/// text, or text that is not `YYYY-MM-DD HH:MM:SS`). Decoding never fails,
/// so one bad value costs its row at most, never the whole read.
struct StoredTime(Result<Time, String>);

impl rusqlite::types::FromSql for StoredTime {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<StoredTime> {
        Ok(StoredTime(match value.as_str() {
            Ok(text) => text.parse(),
            Err(_) => Err(format!("a {} where a time belongs", value.data_type())),
        }))
    }
}

impl StoredTime {
    /// The time, or [`Time::UNREADABLE`] with a warning naming `what`.
    fn or_unreadable(self, what: &dyn std::fmt::Display) -> Time {
        self.0.unwrap_or_else(|problem| {
            tracing::warn!("the store's {what} is unreadable ({problem}); shown as {}", Time::UNREADABLE);
            Time::UNREADABLE
        })
    }
}

impl rusqlite::types::ToSql for Time {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

/// [`Store`] on an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

/// The schema version of databases from before refinery kept the history:
/// their `PRAGMA user_version`, which matched migrations 1 to 5.
const LEGACY_VERSIONS: i64 = 5;

/// SQLite's page cache for the zone's connection, in KiB (SQLite's default
/// is 2 MiB). The file's pages stay in the system's cache, a `pread` away;
/// a cache filled by a crowd of new accounts no longer keeps the zone's
/// memory up after they leave (BENCHMARKS.md, "Connection scale"). A
/// constant, not in `zone.ron`: SQLite bounds it whatever clients do, and
/// it only trades a little memory against `pread` calls.
const PAGE_CACHE_KIB: i64 = 512;

impl SqliteStore {
    /// Opens (creating if needed) `zone.db` in `data_dir`, which is created
    /// too, and brings its schema to this server's version with refinery's
    /// migrations (`zone-server/migrations/sqlite/`, each in a transaction).
    /// A database written before refinery kept its history (schema versions
    /// 1 to 5 in `PRAGMA user_version`) has the migrations up to its version
    /// recorded as applied, then gets the rest. `user_version` is kept equal
    /// to the schema version, so an older server refuses a newer file.
    ///
    /// # Errors
    /// The directory or database cannot be created or opened, a migration
    /// fails, or the file was written by a newer version of the server.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, OpenError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| OpenError::Dir { path: data_dir.display().to_string(), source })?;
        let path = data_dir.join("zone.db");
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Negative: KiB, not pages.
        conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
        let at = path.display().to_string();
        let failed = |error: refinery::Error| OpenError::Migration(format!("{at}: {error}"));
        let runner = embedded::migrations::runner;
        let newest = runner().get_migrations().iter().map(|migration| i64::from(migration.version())).max();
        let newest = newest.unwrap_or_default();
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > newest {
            return Err(OpenError::TooNew { path: at, version });
        }
        let history: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'refinery_schema_history'",
            [],
            |row| row.get(0),
        )?;
        if history {
            let applied = runner().get_last_applied_migration(&mut conn).map_err(failed)?;
            let version = applied.map_or(0, |migration| i64::from(migration.version()));
            if version > newest {
                return Err(OpenError::TooNew { path: at, version });
            }
        } else if (1..=LEGACY_VERSIONS).contains(&version) {
            let legacy = i32::try_from(version).unwrap_or_default();
            runner().set_target(refinery::Target::FakeVersion(legacy)).run(&mut conn).map_err(failed)?;
        }
        let report = runner().run(&mut conn).map_err(failed)?;
        for migration in report.applied_migrations() {
            tracing::info!("store: {at} migrated to schema version {}", migration.version());
        }
        conn.pragma_update(None, "user_version", newest)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// Runs `write` with the time now and adds `action` to the audit log, in
    /// one transaction; returns the time.
    fn write_edit(
        &self,
        by: &str,
        action: &str,
        write: impl FnOnce(&rusqlite::Transaction<'_>, &Time) -> rusqlite::Result<usize>,
    ) -> Result<Time, StoreError> {
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
                "SELECT name, first_login, total_ms, password_hash,
                        max(last_login, coalesce(last_logout, '')), must_change_password
                 FROM accounts WHERE name_key = ?1",
                params![key],
                |row| {
                    let name: String = row.get(0)?;
                    let first_login =
                        row.get::<_, StoredTime>(1)?.or_unreadable(&format_args!("first login of {name}"));
                    let last_seen =
                        row.get::<_, StoredTime>(4)?.or_unreadable(&format_args!("last login of {name}"));
                    Ok((
                        Account {
                            name,
                            first_login,
                            total: Duration::from_millis(row.get::<_, i64>(2)?.max(0) as u64),
                            last_seen,
                            must_change_password: row.get(5)?,
                        },
                        row.get(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row)
    }
}

impl Store for SqliteStore {
    fn credentials(&self, name: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.hash_row(&key(name))
    }

    fn create_account(&self, name: &str, hash: &str) -> Result<Option<Account>, StoreError> {
        let inserted = self.conn.lock().execute(
            "INSERT OR IGNORE INTO accounts (name_key, name, password_hash, first_login, last_login)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%d %H:%M:%S', 'now'), strftime('%Y-%m-%d %H:%M:%S', 'now'))",
            params![key(name), name, hash],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        self.account(name)
    }

    fn touch_login(&self, name: &str) -> Result<(), StoreError> {
        self.conn.lock().execute(
            "UPDATE accounts SET last_login = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE name_key = ?1",
            params![key(name)],
        )?;
        Ok(())
    }

    fn add_usage(&self, usage: &[(String, Duration)]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        {
            let mut update = transaction
                .prepare_cached("UPDATE accounts SET total_ms = total_ms + ?2 WHERE name_key = ?1")?;
            for (name, length) in usage {
                let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
                update.execute(params![key(name), ms])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.hash_row(&key(name))?.map(|(account, _)| account))
    }

    fn rule_edits(&self) -> Result<Rows<RuleEdit>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn.prepare(
            "SELECT player_group, rule_key, effect, by_name, at FROM rule_edits ORDER BY at, rowid",
        )?;
        let rows = statement.query_map([], |row| {
            let raw: (String, String, Option<String>, String, StoredTime) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?);
            Ok(raw)
        })?;
        let mut read = Rows { rows: Vec::new(), bad: Vec::new() };
        for row in rows {
            let (group, key_text, effect_text, by, at) = row?;
            match decode_rule_edit(&group, &key_text, effect_text.as_deref(), &by, at.0) {
                Ok(edit) => read.rows.push(edit),
                Err(problem) => read.bad.push(format!("rule edit of {group} by {by}: {problem}")),
            }
        }
        Ok(read)
    }

    fn set_rule(
        &self,
        group: &str,
        key: &RuleKey,
        effect: Option<Effect>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError> {
        let effect = effect.map(|effect| effect.to_string());
        self.write_edit(by, action, |transaction, at| {
            transaction.execute(
                "INSERT OR REPLACE INTO rule_edits (player_group, rule_key, effect, by_name, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![group, key.to_string(), effect, by, at],
            )
        })
    }

    fn memberships(&self) -> Result<Rows<MembershipEdit>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn
            .prepare("SELECT name, realm, player_group, by_name, at FROM memberships ORDER BY at, rowid")?;
        let rows = statement.query_map([], |row| {
            let raw: (String, String, Option<String>, String, StoredTime) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?);
            Ok(raw)
        })?;
        let mut read = Rows { rows: Vec::new(), bad: Vec::new() };
        for row in rows {
            let (name, realm, group, by, at) = row?;
            match at.0 {
                Ok(at) => read.rows.push(MembershipEdit {
                    name,
                    realm: (!realm.is_empty()).then_some(realm),
                    group,
                    by,
                    at,
                }),
                Err(problem) => read.bad.push(format!("membership of {name} by {by}: {problem}")),
            }
        }
        Ok(read)
    }

    fn set_membership(
        &self,
        name: &str,
        realm: Option<&str>,
        group: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError> {
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

    fn touch_logouts(&self, logouts: &[(String, Duration)]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        {
            let mut update = transaction.prepare_cached(
                "UPDATE accounts SET last_logout = strftime('%Y-%m-%d %H:%M:%S', 'now', ?2) WHERE name_key = ?1",
            )?;
            for (name, age) in logouts {
                // A modifier of `strftime`: `-2.500 seconds`.
                update.execute(params![key(name), format!("-{:.3} seconds", age.as_secs_f64())])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    fn sanctions(&self) -> Result<Vec<Sanction>, StoreError> {
        let conn = self.conn.lock();
        let mut statement =
            conn.prepare("SELECT name, kind, until, reason, by_name, at FROM sanctions ORDER BY at, rowid")?;
        let rows = statement.query_map([], |row| {
            let kind: String = row.get(1)?;
            Ok((
                kind,
                Sanction {
                    name: row.get(0)?,
                    kind: SanctionKind::Ban,
                    until: row.get(2)?,
                    reason: row.get(3)?,
                    by: row.get(4)?,
                    at: row.get(5)?,
                },
            ))
        })?;
        let mut sanctions = Vec::new();
        for row in rows {
            let (kind, mut sanction) = row?;
            match SanctionKind::parse(&kind) {
                Some(kind) => {
                    sanction.kind = kind;
                    sanctions.push(sanction);
                }
                None => tracing::warn!(
                    name = sanction.name,
                    "store: a sanction of unknown kind '{kind}' is ignored"
                ),
            }
        }
        Ok(sanctions)
    }

    fn set_sanction(&self, sanction: &Sanction, action: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        transaction.execute(
            "INSERT OR REPLACE INTO sanctions (name_key, name, kind, until, reason, by_name, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                key(&sanction.name),
                sanction.name,
                sanction.kind.as_str(),
                sanction.until,
                sanction.reason,
                sanction.by,
                sanction.at
            ],
        )?;
        insert_audit(&transaction, &sanction.by, action)?;
        transaction.commit()?;
        Ok(())
    }

    fn lift_sanction(
        &self,
        name: &str,
        kinds: &[SanctionKind],
        by: &str,
        action: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        for kind in kinds {
            transaction.execute(
                "DELETE FROM sanctions WHERE name_key = ?1 AND kind = ?2",
                params![key(name), kind.as_str()],
            )?;
        }
        insert_audit(&transaction, by, action)?;
        transaction.commit()?;
        Ok(())
    }

    fn purge_sanctions(&self, now: i64) -> Result<(), StoreError> {
        self.conn
            .lock()
            .execute("DELETE FROM sanctions WHERE until IS NOT NULL AND until <= ?1", params![now])?;
        Ok(())
    }

    fn add_warning(&self, warning: &Warning, action: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let name_key = key(&warning.name);
        transaction.execute(
            "INSERT INTO warnings (name_key, name, text, by_name, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name_key, warning.name, warning.text, warning.by, warning.at],
        )?;
        transaction.execute(
            "DELETE FROM warnings WHERE name_key = ?1 AND id NOT IN
                 (SELECT id FROM warnings WHERE name_key = ?1 ORDER BY id DESC LIMIT ?2)",
            params![name_key, WARNINGS_KEPT as i64],
        )?;
        insert_audit(&transaction, &warning.by, action)?;
        transaction.commit()?;
        Ok(())
    }

    fn warnings(&self, name: &str) -> Result<Vec<Warning>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn
            .prepare("SELECT name, text, by_name, at FROM warnings WHERE name_key = ?1 ORDER BY id DESC")?;
        let rows = statement.query_map(params![key(name)], |row| {
            Ok(Warning { name: row.get(0)?, text: row.get(1)?, by: row.get(2)?, at: row.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn channels(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let list: Option<String> = self
            .conn
            .lock()
            .query_row("SELECT list FROM channels WHERE name_key = ?1", params![key(name)], |row| row.get(0))
            .optional()?;
        Ok(list
            .map(|list| list.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default())
    }

    fn set_channels(&self, name: &str, channels: &[String]) -> Result<(), StoreError> {
        let conn = self.conn.lock();
        if channels.is_empty() {
            conn.execute("DELETE FROM channels WHERE name_key = ?1", params![key(name)])?;
        } else {
            conn.execute(
                "INSERT OR REPLACE INTO channels (name_key, list) VALUES (?1, ?2)",
                params![key(name), channels.join(",")],
            )?;
        }
        Ok(())
    }

    fn set_password(
        &self,
        name: &str,
        hash: &str,
        must_change: bool,
        replacing: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let changed = transaction.execute(
            "UPDATE accounts SET password_hash = ?2, must_change_password = ?3
             WHERE name_key = ?1 AND (?4 IS NULL OR password_hash = ?4)",
            params![key(name), hash, must_change, replacing],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        insert_audit(&transaction, by, action)?;
        transaction.commit()?;
        Ok(true)
    }

    fn ignores(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn.lock();
        let mut statement = conn.prepare("SELECT ignored FROM ignores WHERE name_key = ?1 ORDER BY rowid")?;
        let rows = statement.query_map(params![key(name)], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_ignore(&self, name: &str, other: &str, ignore: bool) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        if ignore {
            let transaction = conn.transaction()?;
            transaction.execute(
                "INSERT OR REPLACE INTO ignores (name_key, ignored_key, ignored) VALUES (?1, ?2, ?3)",
                params![key(name), key(other), other],
            )?;
            // Names are ASCII: SQLite's lower() is the key.
            transaction.execute(
                "DELETE FROM messages WHERE to_key = ?1 AND lower(from_name) = ?2",
                params![key(name), key(other)],
            )?;
            transaction.commit()?;
        } else {
            conn.execute(
                "DELETE FROM ignores WHERE name_key = ?1 AND ignored_key = ?2",
                params![key(name), key(other)],
            )?;
        }
        Ok(())
    }

    fn add_message(&self, message: &Message, limits: MessageLimits) -> Result<Sent, StoreError> {
        let (to, from) = (key(&message.to), key(&message.from));
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let today: i64 =
            transaction
                .query_row("SELECT CAST(strftime('%s', 'now') AS INTEGER) / 86400", [], |row| row.get(0))?;
        transaction.execute("DELETE FROM message_quota WHERE day < ?1", params![today])?;
        let sent: i64 = transaction
            .query_row(
                "SELECT count FROM message_quota WHERE from_key = ?1 AND day = ?2",
                params![from, today],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0);
        if sent >= count(limits.per_day) {
            return Ok(Sent::SenderLimit);
        }
        let waiting: i64 =
            transaction.query_row("SELECT count(*) FROM messages WHERE to_key = ?1", params![to], |row| {
                row.get(0)
            })?;
        if waiting >= count(limits.per_recipient) {
            return Ok(Sent::RecipientFull);
        }
        transaction.execute(
            "INSERT INTO message_quota (from_key, day, count) VALUES (?1, ?2, 1)
             ON CONFLICT (from_key, day) DO UPDATE SET count = count + 1",
            params![from, today],
        )?;
        let ignored: bool = transaction.query_row(
            "SELECT count(*) > 0 FROM ignores WHERE name_key = ?1 AND ignored_key = ?2",
            params![to, from],
            |row| row.get(0),
        )?;
        let outcome = if ignored {
            Sent::Ignored
        } else {
            let at = now(&transaction)?;
            transaction.execute(
                "INSERT INTO messages (to_key, from_name, text, at) VALUES (?1, ?2, ?3, ?4)",
                params![to, message.from, message.text, at],
            )?;
            Sent::Stored
        };
        transaction.commit()?;
        Ok(outcome)
    }

    fn message_count(&self, name: &str) -> Result<usize, StoreError> {
        let count: i64 = self.conn.lock().query_row(
            "SELECT count(*) FROM messages WHERE to_key = ?1",
            params![key(name)],
            |row| row.get(0),
        )?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn take_messages(&self, name: &str) -> Result<Vec<Message>, StoreError> {
        let to = key(name);
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let messages = {
            let mut statement = transaction
                .prepare("SELECT from_name, text, at FROM messages WHERE to_key = ?1 ORDER BY id")?;
            let rows = statement.query_map(params![to], |row| {
                let from: String = row.get(0)?;
                let at = row
                    .get::<_, StoredTime>(2)?
                    .or_unreadable(&format_args!("time of a message from {from}"));
                Ok(Message { to: name.to_owned(), from, text: row.get(1)?, at })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        transaction.execute("DELETE FROM messages WHERE to_key = ?1", params![to])?;
        transaction.commit()?;
        Ok(messages)
    }

    fn audit_repeated(&self, by: &str, action: &str, window: Duration) -> Result<(), StoreError> {
        let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let mut conn = self.conn.lock();
        let transaction = conn.transaction()?;
        let counted = transaction.execute(
            "UPDATE audit SET count = count + 1 WHERE id = (
                 SELECT id FROM audit WHERE by_name = ?1 AND action = ?2
                     AND at >= strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || ?3 || ' seconds')
                 ORDER BY id DESC LIMIT 1)",
            params![by, action, secs],
        )?;
        if counted == 0 {
            insert_audit(&transaction, by, action)?;
        }
        transaction.commit()?;
        Ok(())
    }

    fn prune_audit(&self, keep: usize) -> Result<(), StoreError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.conn
            .lock()
            .execute("DELETE FROM audit WHERE id <= (SELECT max(id) FROM audit) - ?1", params![keep])?;
        Ok(())
    }

    fn audit_search(&self, filter: &AuditFilter, count: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn.lock();
        // instr on lower(): LIKE would read % and _ in the text as wildcards.
        let mut statement = conn.prepare(
            "SELECT at, by_name, action, count FROM audit \
             WHERE (?2 IS NULL OR lower(by_name) = lower(?2)) \
               AND (?3 IS NULL OR instr(lower(action), lower(?3)) > 0) \
             ORDER BY id DESC LIMIT ?1",
        )?;
        let limit = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![limit, filter.by, filter.contains], |row| {
            let at = row.get::<_, StoredTime>(0)?.or_unreadable(&"time of an audit row");
            Ok(AuditEntry { at, by: row.get(1)?, action: row.get(2)?, count: row.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The time now, UTC, as the database writes it.
fn now(conn: &Connection) -> Result<Time, StoreError> {
    let text: String = conn.query_row("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now')", [], |row| row.get(0))?;
    text.parse()
        .map_err(|problem: String| StoreError::Unavailable(format!("the database's clock: {problem}")))
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

    #[test]
    fn accounts_are_created_once_and_found_in_any_case() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let account = store.create_account("Alice", "$argon2id$hash").unwrap().unwrap();
        assert_eq!(account.name, "Alice");
        assert_eq!(account.total, Duration::ZERO);
        assert!(store.create_account("ALICE", "other").unwrap().is_none(), "the name is taken");
        let (found, hash) = store.credentials("aLiCe").unwrap().unwrap();
        assert_eq!((found.name.as_str(), hash.as_str()), ("Alice", "$argon2id$hash"));
        assert!(store.credentials("Bob").unwrap().is_none());
        store.touch_login("alice").unwrap();
    }

    #[test]
    fn usage_adds_up_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.create_account("Alice", "h").unwrap();
            store.add_usage(&[("alice".to_owned(), Duration::from_millis(30_500))]).unwrap();
            store.add_usage(&[("Alice".to_owned(), Duration::from_millis(11_500))]).unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let account = store.account("ALICE").unwrap().unwrap();
        assert_eq!(account.total, Duration::from_secs(42));
        assert_eq!(account.first_login.to_string().len(), "2026-11-23 18:00:00".len());
    }

    #[test]
    fn edits_and_the_audit_log_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            let usage: RuleKey = "usage".parse().unwrap();
            store
                .set_rule("default", &usage, Some(Effect::Grant), "Alice", "granted usage to default")
                .unwrap();
            store.set_rule("default", &usage, None, "Bob", "revoked usage for default").unwrap();
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
        let rules = store.rule_edits().unwrap().rows;
        assert_eq!(rules.len(), 1, "one row per group and key");
        assert_eq!((rules[0].effect, rules[0].by.as_str()), (None, "Bob"));
        let members = store.memberships().unwrap().rows;
        let places: Vec<(Option<&str>, Option<&str>)> =
            members.iter().map(|m| (m.realm.as_deref(), m.group.as_deref())).collect();
        assert_eq!(places, [(Some("duel"), Some("mod")), (None, None)]);
        let log = store.audit_log(2).unwrap();
        let actions: Vec<&str> = log.iter().map(|entry| entry.action.as_str()).collect();
        assert_eq!(actions, ["logged in to group mod", "removed Carol's zone group"]);
    }

    #[test]
    fn rows_that_do_not_decode_are_reported_not_dropped_or_reinterpreted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.set_rule("mod", &"usage:player".parse().unwrap(), Some(Effect::Deny), "Sam", "denied").unwrap();
        {
            let conn = store.conn.lock();
            conn.execute_batch(
                "INSERT INTO rule_edits VALUES ('default', 'usage:sideways', 'grant', 'Eve', '2026-11-27 10:00:00');
                 INSERT INTO rule_edits VALUES ('default', 'uptime', 'allow', 'Eve', '2026-11-27 10:00:00');
                 INSERT INTO rule_edits VALUES ('default', 'find', 'deny', 'Eve', 'yesterday');
                 INSERT INTO rule_edits VALUES ('default', 'kick', 'deny', 'Eve', x'00');
                 INSERT INTO memberships VALUES ('bob', 'Bob', '', 'mod', 'Eve', 'not a time');",
            )
            .unwrap();
        }
        let rules = store.rule_edits().unwrap();
        assert_eq!(rules.rows.len(), 1);
        assert_eq!(
            (rules.rows[0].key.to_string(), rules.rows[0].effect),
            ("usage:player".to_owned(), Some(Effect::Deny))
        );
        assert_eq!(rules.bad.len(), 4, "{:?}", rules.bad);
        assert!(rules.bad[0].contains("usage:sideways"), "{:?}", rules.bad);
        assert!(
            rules.bad.iter().any(|bad| bad.contains("effect 'allow' is neither grant nor deny")),
            "{:?}",
            rules.bad
        );
        assert!(rules.bad.iter().any(|bad| bad.contains("'yesterday' is not a time")), "{:?}", rules.bad);
        assert!(rules.bad.iter().any(|bad| bad.contains("where a time belongs")), "{:?}", rules.bad);
        let members = store.memberships().unwrap();
        assert!(members.rows.is_empty());
        assert_eq!(members.bad.len(), 1);
        assert!(
            members.bad[0].starts_with("membership of Bob by Eve: 'not a time' is not a time"),
            "{:?}",
            members.bad
        );
        // An account or audit row with a bad time still reads: the player
        // can log in, `?auditlog` still shows the log.
        store.create_account("Al", "hash").unwrap().unwrap();
        store
            .conn
            .lock()
            .execute_batch("UPDATE accounts SET first_login = 'garbage'; UPDATE audit SET at = x'00';")
            .unwrap();
        let (account, hash) = store.credentials("al").unwrap().unwrap();
        assert_eq!((account.first_login, hash.as_str()), (Time::UNREADABLE, "hash"));
        let log = store.audit_log(10).unwrap();
        assert!(!log.is_empty() && log.iter().all(|entry| entry.at == Time::UNREADABLE), "{log:?}");
    }

    #[test]
    fn times_read_and_write_as_utc_text() {
        let time: Time = "2026-12-01 20:00:00".parse().unwrap();
        assert_eq!(time.to_string(), "2026-12-01 20:00:00");
        assert_eq!(time.0.as_second(), 1_796_155_200);
        assert!("2026-13-01 20:00:00".parse::<Time>().is_err());
    }

    #[test]
    fn repeated_failures_are_one_audit_row_with_a_count() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let hour = Duration::from_secs(3600);
        for _ in 0..50 {
            store.audit_repeated("Mallory", "wrong password for a group", hour).unwrap();
        }
        store.audit_repeated("Eve", "wrong password for a group", hour).unwrap();
        let log = store.audit_log(10).unwrap();
        let rows: Vec<(&str, u32)> = log.iter().map(|entry| (entry.by.as_str(), entry.count)).collect();
        assert_eq!(rows, [("Eve", 1), ("Mallory", 50)]);
        store.audit("Dan", "reloaded the config").unwrap();
        store.prune_audit(1).unwrap();
        let log = store.audit_log(10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "reloaded the config");
    }

    #[test]
    fn sanctions_warnings_and_channels_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let ban = Sanction {
            name: "Bob".into(),
            kind: SanctionKind::Ban,
            until: None,
            reason: "spamming".into(),
            by: "Mod".into(),
            at: 100,
        };
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.set_sanction(&ban, "banned Bob for good: spamming").unwrap();
            let mute = Sanction { kind: SanctionKind::Mute, until: Some(50), ..ban.clone() };
            store.set_sanction(&mute, "muted Bob").unwrap();
            for i in 0..(WARNINGS_KEPT + 5) {
                let warning =
                    Warning { name: "Bob".into(), text: format!("warning {i}"), by: "Mod".into(), at: 0 };
                store.add_warning(&warning, "warned Bob").unwrap();
            }
            store.set_channels("bob", &["Alpha".to_owned(), "beta".to_owned()]).unwrap();
            store.purge_sanctions(60).unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.sanctions().unwrap(), std::slice::from_ref(&ban), "the ended mute was purged");
        let warnings = store.warnings("BOB").unwrap();
        assert_eq!(warnings.len(), WARNINGS_KEPT);
        assert_eq!(warnings[0].text, format!("warning {}", WARNINGS_KEPT + 4));
        assert_eq!(store.channels("Bob").unwrap(), ["Alpha", "beta"]);
        store.lift_sanction("bob", &[SanctionKind::Ban], "Admin", "unbanned Bob").unwrap();
        assert!(store.sanctions().unwrap().is_empty());
        assert_eq!(store.audit_log(1).unwrap()[0].action, "unbanned Bob");
    }

    #[test]
    fn passwords_ignores_and_messages_survive_reopening_within_their_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let limits = MessageLimits { per_recipient: 2, per_day: 3 };
        let message = |from: &str, to: &str, text: &str| Message {
            to: to.into(),
            from: from.into(),
            text: text.into(),
            at: Time::UNREADABLE,
        };
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.create_account("Bob", "old").unwrap();
            assert!(
                store.set_password("bob", "one-time", true, None, "Sam", "reset Bob's password").unwrap()
            );
            assert!(
                !store.set_password("nobody", "x", false, None, "Sam", "reset nobody's password").unwrap()
            );
            // A change that checked a hash replaced meanwhile writes nothing.
            assert!(!store.set_password("bob", "mine", false, Some("old"), "Bob", "changed").unwrap());
            store.set_ignore("Bob", "Eve", true).unwrap();
            store.set_ignore("bob", "Mal", true).unwrap();
            store.set_ignore("bob", "mal", false).unwrap();
            assert_eq!(store.add_message(&message("Eve", "Bob", "spam"), limits).unwrap(), Sent::Ignored);
            assert_eq!(store.add_message(&message("Al", "Bob", "hi"), limits).unwrap(), Sent::Stored);
            assert_eq!(store.add_message(&message("Al", "bob", "again"), limits).unwrap(), Sent::Stored);
            assert_eq!(
                store.add_message(&message("Al", "Bob", "third"), limits).unwrap(),
                Sent::RecipientFull
            );
            assert_eq!(store.add_message(&message("Al", "Cy", "hey"), limits).unwrap(), Sent::Stored);
            // Three sent today (the refused one not counted): the day's share.
            assert_eq!(store.add_message(&message("al", "Dee", "hey"), limits).unwrap(), Sent::SenderLimit);
            // The ignored sender's try counted against their day too.
            assert_eq!(store.add_message(&message("Eve", "Cy", "1"), limits).unwrap(), Sent::Stored);
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let (account, hash) = store.credentials("BOB").unwrap().unwrap();
        assert_eq!((hash.as_str(), account.must_change_password), ("one-time", true));
        assert_eq!(store.ignores("bob").unwrap(), ["Eve"]);
        assert_eq!(store.message_count("Bob").unwrap(), 2);
        let read = store.take_messages("bob").unwrap();
        let texts: Vec<(&str, &str)> = read.iter().map(|m| (m.from.as_str(), m.text.as_str())).collect();
        assert_eq!(texts, [("Al", "hi"), ("Al", "again")]);
        assert_ne!(read[0].at, Time::UNREADABLE, "the store's clock stamps a message");
        assert_eq!(store.message_count("Bob").unwrap(), 0, "read messages are gone");
        // A sender ignored after sending: their message is dropped unread.
        assert_eq!(store.message_count("Cy").unwrap(), 2);
        store.set_ignore("Cy", "Eve", true).unwrap();
        assert_eq!(store.message_count("Cy").unwrap(), 1);
        let read = store.take_messages("cy").unwrap();
        assert_eq!(read.iter().map(|m| m.from.as_str()).collect::<Vec<_>>(), ["Al"]);
        assert_eq!(store.message_count("Cy").unwrap(), 0);
        let log = store.audit_log(1).unwrap();
        assert_eq!(log[0].action, "reset Bob's password");
    }

    /// The schema as the server before refinery wrote it at `version`
    /// (each version's statements are the migration of that number).
    const LEGACY: [&str; 5] = [
        include_str!("../../migrations/sqlite/V1__accounts.sql"),
        include_str!("../../migrations/sqlite/V2__access.sql"),
        include_str!("../../migrations/sqlite/V3__audit_count.sql"),
        include_str!("../../migrations/sqlite/V4__moderation.sql"),
        include_str!("../../migrations/sqlite/V5__everyday.sql"),
    ];

    #[test]
    fn databases_of_every_earlier_schema_version_keep_their_data_and_gain_the_rest() {
        for version in 1..=LEGACY.len() {
            let dir = tempfile::tempdir().unwrap();
            {
                let conn = Connection::open(dir.path().join("zone.db")).unwrap();
                for step in &LEGACY[..version] {
                    conn.execute_batch(step).unwrap();
                }
                conn.execute_batch(&format!(
                    "INSERT INTO accounts (name_key, name, password_hash, first_login, last_login, total_ms)
                         VALUES ('old', 'Old', 'hash', '2026-11-01 10:00:00', '2026-11-02 10:00:00', 5000);
                     PRAGMA user_version = {version};"
                ))
                .unwrap();
                if version >= 2 {
                    conn.execute_batch(
                        "INSERT INTO audit (at, by_name, action) VALUES ('2026-11-01 10:00:00', 'Old', 'an old edit')",
                    )
                    .unwrap();
                }
            }
            let store = SqliteStore::open(dir.path()).unwrap();
            let old = store.account("old").unwrap().unwrap();
            assert_eq!((old.name.as_str(), old.total.as_millis()), ("Old", 5000), "version {version}");
            if version >= 2 {
                let log = store.audit_log(1).unwrap();
                assert_eq!((log[0].action.as_str(), log[0].count), ("an old edit", 1), "version {version}");
            }
            // What the newest version added works.
            store.set_ignore("Old", "Eve", true).unwrap();
            assert_eq!(store.ignores("old").unwrap(), ["Eve"], "version {version}");
            drop(store);
            // Opened again: nothing more to do.
            let store = SqliteStore::open(dir.path()).unwrap();
            assert_eq!(store.ignores("old").unwrap(), ["Eve"], "version {version}");
        }
    }

    #[test]
    fn a_database_of_a_newer_server_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join("zone.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
                 VALUES (99, 'from_the_future', '2027-01-01T00:00:00Z', '1')",
        )
        .unwrap();
        drop(conn);
        let refused = SqliteStore::open(dir.path()).unwrap_err().to_string();
        assert!(
            refused.ends_with("has schema version 99, newer than this server's; upgrade the server"),
            "{refused}"
        );

        let dir = tempfile::tempdir().unwrap();
        Connection::open(dir.path().join("zone.db"))
            .unwrap()
            .execute_batch("PRAGMA user_version = 7")
            .unwrap();
        let refused = SqliteStore::open(dir.path()).unwrap_err().to_string();
        assert!(
            refused.ends_with("has schema version 7, newer than this server's; upgrade the server"),
            "{refused}"
        );
    }
}
