//! Moving a single zone into a network: a copy of its SQLite store (`zone.db`)
//! into a PostgreSQL store, in one transaction, refused whole when a name it
//! holds is in the network already (`zone-server store migrate`).

use std::fmt::Write as _;
use std::path::Path;

use ::postgres::NoTls;
use rusqlite::Connection;

use super::*;

/// What [`copy_to_postgres`] copied, by table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copied {
    /// Table name and rows, in the order copied.
    pub tables: Vec<(&'static str, usize)>,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.tables.iter().map(|(table, rows)| format!("{rows} {table}")).collect();
        write!(f, "copied {}", parts.join(", "))
    }
}

/// Why a copy was refused or failed; nothing was written then.
#[derive(Debug, Error)]
pub enum MigrateError {
    /// A store could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The network has some of the zone's names already: the report lists
    /// them, by kind.
    #[error("refused, nothing was copied: the network has these already:\n{0}")]
    Clash(String),
    /// Reading the SQLite file failed.
    #[error("reading zone.db: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Writing to PostgreSQL failed.
    #[error("writing to PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// A stored time does not decode.
    #[error("zone.db holds a time that does not decode: {0}")]
    BadTime(String),
}

/// A `YYYY-MM-DD HH:MM:SS` text as a timestamp.
fn time(text: &str) -> Result<jiff::Timestamp, MigrateError> {
    text.parse::<Time>().map(|time| time.0).map_err(MigrateError::BadTime)
}

/// An account as `zone.db` holds it: name key, name, hash, first login,
/// last login, last logout (times as text), total ms, must change.
type AccountRow = (String, String, String, String, String, Option<String>, i64, bool);

/// The names at most listed per kind in a clash report.
const REPORTED: usize = 20;

/// Copies the SQLite store in `data_dir` into the PostgreSQL store at `url`
/// (both brought to their current schema first): accounts, rule edits,
/// memberships, sanctions, warnings, channel and ignore lists, waiting
/// messages and the audit log. Refused whole when the network has an
/// account, a membership (name and realm) or a rule edit (group and rule)
/// of the zone's already; a sanction the network has for a name already
/// (of an account it does not have) is kept, not overwritten. Running zones
/// are told, and read the copied edits and sanctions.
///
/// # Errors
/// [`MigrateError::Clash`] with the report; others when a store cannot be
/// opened, read or written. Nothing is written unless all is.
pub fn copy_to_postgres(data_dir: &Path, url: &str) -> Result<Copied, MigrateError> {
    drop(SqliteStore::open(data_dir)?);
    drop(PgStore::open(url)?);
    let sqlite = Connection::open(data_dir.join("zone.db"))?;
    let mut config: ::postgres::Config = url.parse()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(5));
    }
    let mut client = config.connect(NoTls)?;
    let mut transaction = client.transaction()?;

    let mut report = String::new();
    let mut clashes = |kind: &str, found: Vec<String>| {
        if !found.is_empty() {
            let more = found.len().saturating_sub(REPORTED);
            let listed: Vec<&str> = found.iter().take(REPORTED).map(String::as_str).collect();
            let _ = write!(report, "  {} {kind}: {}", found.len(), listed.join(", "));
            if more > 0 {
                let _ = write!(report, " and {more} more");
            }
            report.push('\n');
        }
    };
    let accounts: Vec<AccountRow> = sqlite
        .prepare(
            "SELECT name_key, name, password_hash, first_login, last_login, last_logout, total_ms,
                    must_change_password FROM accounts ORDER BY name_key",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut taken = Vec::new();
    for (key, name, ..) in &accounts {
        if transaction.query_opt("SELECT 1 FROM accounts WHERE name_key = $1", &[key])?.is_some() {
            taken.push(name.clone());
        }
    }
    clashes("accounts", taken);
    let memberships: Vec<(String, String, String, Option<String>, String, String)> = sqlite
        .prepare(
            "SELECT name_key, name, realm, player_group, by_name, at FROM memberships ORDER BY at, rowid",
        )?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut taken = Vec::new();
    for (key, name, realm, ..) in &memberships {
        if transaction
            .query_opt("SELECT 1 FROM memberships WHERE name_key = $1 AND realm = $2", &[key, realm])?
            .is_some()
        {
            taken.push(if realm.is_empty() { name.clone() } else { format!("{name} in {realm}") });
        }
    }
    clashes("memberships", taken);
    let rules: Vec<(String, String, Option<String>, String, String)> = sqlite
        .prepare("SELECT player_group, rule_key, effect, by_name, at FROM rule_edits ORDER BY at, rowid")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let mut taken = Vec::new();
    for (group, key, ..) in &rules {
        let found = transaction
            .query_opt("SELECT 1 FROM rule_edits WHERE player_group = $1 AND rule_key = $2", &[group, key])?;
        if found.is_some() {
            taken.push(format!("{group} {key}"));
        }
    }
    clashes("rule edits", taken);
    if !report.is_empty() {
        return Err(MigrateError::Clash(report.trim_end().to_owned()));
    }

    let mut copied = Copied::default();
    for (key, name, hash, first, last, logout, total, must_change) in &accounts {
        let logout = logout.as_deref().filter(|text| !text.is_empty()).map(time).transpose()?;
        transaction.execute(
            "INSERT INTO accounts (name_key, name, password_hash, first_login, last_login, last_logout, total_ms,
                 must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[key, name, hash, &time(first)?, &time(last)?, &logout, total, must_change],
        )?;
    }
    copied.tables.push(("accounts", accounts.len()));
    for (group, key, effect, by, at) in &rules {
        transaction.execute(
            "INSERT INTO rule_edits (player_group, rule_key, effect, by_name, at) VALUES ($1, $2, $3, $4, $5)",
            &[group, key, effect, by, &time(at)?],
        )?;
    }
    copied.tables.push(("rule edits", rules.len()));
    for (key, name, realm, group, by, at) in &memberships {
        transaction.execute(
            "INSERT INTO memberships (name_key, name, realm, player_group, by_name, at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[key, name, realm, group, by, &time(at)?],
        )?;
    }
    copied.tables.push(("memberships", memberships.len()));

    let mut count =
        |table: &'static str, select: &str, insert: &str, columns: usize| -> Result<(), MigrateError> {
            let mut statement = sqlite.prepare(select)?;
            let mut rows = statement.query([])?;
            let mut n = 0;
            while let Some(row) = rows.next()? {
                let values: Vec<Value> =
                    (0..columns).map(|i| Value::read(row, i)).collect::<Result<_, _>>()?;
                let params: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
                    values.iter().map(|value| value as &(dyn ::postgres::types::ToSql + Sync)).collect();
                transaction.execute(insert, &params)?;
                n += 1;
            }
            copied.tables.push((table, n));
            Ok(())
        };
    // Sanctions and warnings keep their times as Unix seconds.
    count(
        "sanctions",
        "SELECT name_key, name, kind, until, reason, by_name, at FROM sanctions",
        "INSERT INTO sanctions (name_key, name, kind, until, reason, by_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name_key, kind) DO NOTHING",
        7,
    )?;
    count(
        "warnings",
        "SELECT name_key, name, text, by_name, at FROM warnings ORDER BY id",
        "INSERT INTO warnings (name_key, name, text, by_name, at) VALUES ($1, $2, $3, $4, $5)",
        5,
    )?;
    count(
        "channel lists",
        "SELECT name_key, list FROM channels",
        "INSERT INTO channels (name_key, list) VALUES ($1, $2) ON CONFLICT (name_key) DO NOTHING",
        2,
    )?;
    count(
        "ignores",
        "SELECT name_key, ignored_key, ignored FROM ignores ORDER BY rowid",
        "INSERT INTO ignores (name_key, ignored_key, ignored) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        3,
    )?;
    count(
        "messages",
        "SELECT to_key, from_name, text, at FROM messages ORDER BY id",
        "INSERT INTO messages (to_key, from_name, text, at) VALUES ($1, $2, $3, ($4::text || '+00')::timestamptz)",
        4,
    )?;
    count(
        "audit rows",
        "SELECT at, by_name, action, count FROM audit ORDER BY id",
        "INSERT INTO audit (at, by_name, action, count) VALUES (($1::text || '+00')::timestamptz, $2, $3, $4::bigint::integer)",
        4,
    )?;
    // Zones of the network that run now read the copied edits and
    // sanctions at once.
    for event in [NetworkEvent::Edits, NetworkEvent::Sanctions] {
        transaction.execute("SELECT pg_notify($1, $2)", &[&crate::network::CHANNEL, &event.encode()])?;
    }
    transaction.commit()?;
    Ok(copied)
}

/// One SQLite value, passed on to PostgreSQL as it is.
#[derive(Debug)]
enum Value {
    Null,
    Integer(i64),
    Text(String),
}

impl Value {
    fn read(row: &rusqlite::Row<'_>, index: usize) -> Result<Value, rusqlite::Error> {
        Ok(match row.get_ref(index)? {
            rusqlite::types::ValueRef::Null => Value::Null,
            rusqlite::types::ValueRef::Integer(n) => Value::Integer(n),
            rusqlite::types::ValueRef::Real(x) => Value::Text(x.to_string()),
            rusqlite::types::ValueRef::Text(text) | rusqlite::types::ValueRef::Blob(text) => {
                Value::Text(String::from_utf8_lossy(text).into_owned())
            }
        })
    }
}

impl ::postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &::postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<::postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(::postgres::types::IsNull::Yes),
            Value::Integer(n) => n.to_sql(ty, out),
            Value::Text(text) => text.to_sql(ty, out),
        }
    }

    fn accepts(ty: &::postgres::types::Type) -> bool {
        <i64 as ::postgres::types::ToSql>::accepts(ty) || <String as ::postgres::types::ToSql>::accepts(ty)
    }

    ::postgres::types::to_sql_checked!();
}
