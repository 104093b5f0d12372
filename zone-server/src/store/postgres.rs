//! [`PgStore`]: the store in a PostgreSQL database, which several zones may
//! share (DESIGN §11). Its schema is versioned by refinery's migrations
//! (`zone-server/migrations/postgres/`), run at open. A lost connection is
//! dropped and made again at the next call, so the zone reconnects by
//! itself once the database is back; meanwhile every call fails with
//! [`StoreError::Unavailable`].

use std::time::Duration;

use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::{Client, NoTls};
use parking_lot::Mutex;

use super::*;

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// How long a connection attempt may take, unless the URL says
/// (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The advisory lock key migrations hold (any number no other user of the
/// database takes: "zone" in ASCII).
const MIGRATION_LOCK: i64 = 0x7a6f_6e65;

/// A time as the database writes it: now, to the second (as SQLite keeps
/// times), UTC.
const NOW: &str = "date_trunc('second', now())";

/// [`Store`] on a PostgreSQL database.
pub struct PgStore {
    config: ::postgres::Config,
    /// The connection and when it last served a call; `None` after it was
    /// lost, until the next call.
    client: Mutex<Option<(Client, std::time::Instant)>>,
    /// When a slow connection attempt last failed: calls within
    /// [`RETRY_AFTER`] of it fail at once instead of each waiting out a
    /// connection timeout in turn.
    failed: Mutex<Option<std::time::Instant>>,
    /// The zone instance this store serves ([`Store::set_origin`]).
    origin: std::sync::OnceLock<String>,
}

/// How long after a failed connection attempt calls fail at once.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The longest a statement may run before the database cancels it, so one
/// stuck query cannot hold the connection (and every call behind it).
const STATEMENT_TIMEOUT_MS: u64 = 5_000;

/// A connection idle this long is checked (one round trip) before it
/// serves a call: after a database restart the old one is dead, and a call
/// that failed half-way could not be safely retried.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("PgStore").field("at", &describe(&self.config)).finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    /// The client owns a small runtime of its own, which may not be dropped
    /// on an async thread (where a zone drops its store at shutdown): it is
    /// dropped on a thread of its own.
    fn drop(&mut self) {
        if let Some((client, _)) = self.client.get_mut().take() {
            let _ = std::thread::Builder::new().name("pg-close".into()).spawn(move || drop(client));
        }
    }
}

/// Where `config` points, without its password: `zone@127.0.0.1:5432/zones`.
fn describe(config: &::postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            ::postgres::config::Host::Tcp(name) => name.clone(),
            ::postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "{}@{}:{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        ports.join(","),
        config.get_dbname().unwrap_or("?")
    )
}

/// A failure of the connection, as the zone reports it.
fn unavailable(error: &::postgres::Error) -> StoreError {
    StoreError::Unavailable(format!("the network store (PostgreSQL): {error}"))
}

impl PgStore {
    /// Connects to the database at `url` (a libpq URL or key=value string)
    /// and brings its schema to this server's version. It blocks: call it
    /// off the async threads, as every [`Store`] method.
    ///
    /// # Errors
    /// [`OpenError::Postgres`] when the URL is not valid or the database
    /// cannot be reached; [`OpenError::Migration`] when its schema cannot be
    /// brought up to date, or was written by a newer server.
    pub fn open(url: &str) -> Result<PgStore, OpenError> {
        let mut config: ::postgres::Config = url
            .parse()
            .map_err(|error| OpenError::Postgres(format!("the store URL is not valid: {error}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A half-open socket is noticed, and no statement runs for ever.
        config.keepalives(true).keepalives_idle(Duration::from_secs(10));
        let options = config.get_options().map(str::to_owned).unwrap_or_default();
        config.options(&format!("{options} -c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        let at = describe(&config);
        let mut client =
            config.connect(NoTls).map_err(|error| OpenError::Postgres(format!("{at}: {error}")))?;
        // Zones starting together migrate one at a time.
        let lock = |client: &mut Client, sql: &str| {
            client.batch_execute(sql).map_err(|error| OpenError::Migration(format!("{at}: {error}")))
        };
        lock(&mut client, &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        let migrated = embedded::migrations::runner().run(&mut client);
        lock(&mut client, &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
        migrated.map_err(|error| OpenError::Migration(format!("{at}: {error}")))?;
        tracing::info!("store: PostgreSQL at {at}");
        Ok(PgStore {
            config,
            client: Mutex::new(Some((client, std::time::Instant::now()))),
            failed: Mutex::new(None),
            origin: std::sync::OnceLock::new(),
        })
    }

    /// Runs `work` on the connection, connecting first when there is none. A
    /// failure that lost the connection drops it (the next call connects
    /// again) and is [`StoreError::Unavailable`].
    fn with<T>(
        &self,
        work: impl FnOnce(&mut Client) -> Result<T, ::postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.client.lock();
        let usable = |(client, used): &mut (Client, std::time::Instant)| {
            !client.is_closed()
                && (used.elapsed() < CHECK_IDLE_AFTER || client.is_valid(CONNECT_TIMEOUT).is_ok())
        };
        if !slot.as_mut().is_some_and(usable) {
            *slot = None;
            if self.failed.lock().is_some_and(|failed| failed.elapsed() < RETRY_AFTER) {
                return Err(StoreError::Unavailable(
                    "the network store (PostgreSQL): cannot be reached; trying again shortly".into(),
                ));
            }
            let trying = std::time::Instant::now();
            let client = self.config.connect(NoTls).map_err(|error| {
                // Only a slow failure (an unreachable host, not a refused
                // connection) makes the calls behind it fail at once.
                if trying.elapsed() >= RETRY_AFTER {
                    *self.failed.lock() = Some(std::time::Instant::now());
                }
                unavailable(&error)
            })?;
            *self.failed.lock() = None;
            *slot = Some((client, std::time::Instant::now()));
        }
        let Some((client, used)) = slot.as_mut() else {
            return Err(StoreError::Unavailable("the network store (PostgreSQL): not connected".into()));
        };
        *used = std::time::Instant::now();
        match work(client) {
            Ok(value) => Ok(value),
            Err(error) if error.is_closed() || client.is_closed() || error.as_db_error().is_none() => {
                *slot = None;
                Err(unavailable(&error))
            }
            Err(error) => Err(StoreError::Postgres(error)),
        }
    }
}

fn insert_audit(
    transaction: &mut impl ::postgres::GenericClient,
    by: &str,
    action: &str,
) -> Result<(), ::postgres::Error> {
    transaction.execute(
        &format!("INSERT INTO audit (at, by_name, action) VALUES ({NOW}, $1, $2)"),
        &[&by, &action],
    )?;
    Ok(())
}

/// Announces `event` when `transaction` commits.
fn notify(
    transaction: &mut impl ::postgres::GenericClient,
    event: &NetworkEvent,
) -> Result<(), ::postgres::Error> {
    transaction.execute("SELECT pg_notify($1, $2)", &[&crate::network::CHANNEL, &event.encode()])?;
    Ok(())
}

/// Listens for the network's events on a connection of its own until `tx`
/// is dropped: a [`NetworkEvent::Resync`] after every (re)connection, and
/// back-off from 250 ms doubling to 5 s while the database cannot be
/// reached.
fn listen(config: &::postgres::Config, tx: &tokio::sync::mpsc::Sender<NetworkEvent>) {
    let mut wait = Duration::from_millis(250);
    while !tx.is_closed() {
        let mut client = match config.connect(NoTls) {
            Ok(client) => client,
            Err(error) => {
                tracing::debug!("store: the network listener cannot connect: {error}");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(error) = client.batch_execute(&format!("LISTEN {}", crate::network::CHANNEL)) {
            tracing::debug!("store: LISTEN failed: {error}");
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(5));
            continue;
        }
        wait = Duration::from_millis(250);
        if tx.blocking_send(NetworkEvent::Resync).is_err() {
            return;
        }
        // A connection the server dropped is not always noticed while only
        // waiting for notifications: it is asked every second when quiet.
        let mut checked = std::time::Instant::now();
        loop {
            let next = client.notifications().timeout_iter(Duration::from_millis(500)).next();
            if checked.elapsed() >= Duration::from_secs(1) {
                checked = std::time::Instant::now();
                if client.is_valid(Duration::from_secs(2)).is_err() {
                    break;
                }
            }
            match next {
                Ok(Some(notification)) => {
                    let Some(event) = NetworkEvent::decode(notification.payload()) else { continue };
                    if tx.blocking_send(event).is_err() {
                        return;
                    }
                }
                Err(_) => break,
                Ok(None) if client.is_closed() => break,
                Ok(None) if tx.is_closed() => return,
                Ok(None) => {}
            }
        }
        tracing::warn!("store: the network listener lost its connection; reconnecting");
    }
}

/// Presence in zones whose heartbeat is within `$1` seconds, with `filter`.
fn live_presence(filter: &str) -> String {
    format!(
        "SELECT p.name, z.name, p.instance, p.realm FROM presence p JOIN zones z ON z.instance = p.instance
         WHERE z.heartbeat > now() - $1::bigint * interval '1 second' {filter} ORDER BY p.name_key"
    )
}

/// [`crate::network::GONE_AFTER`] in whole seconds.
fn gone_after() -> i64 {
    i64::try_from(crate::network::GONE_AFTER.as_secs()).unwrap_or(i64::MAX)
}

fn presence_row(row: &::postgres::Row) -> Presence {
    Presence { name: row.get(0), zone: row.get(1), instance: row.get(2), realm: row.get(3) }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An account from a row of (name, first login, total ms, hash, last seen,
/// must change).
fn account_row(row: &::postgres::Row) -> (Account, String) {
    let total: i64 = row.get(2);
    (
        Account {
            name: row.get(0),
            first_login: Time(row.get(1)),
            total: Duration::from_millis(total.max(0) as u64),
            last_seen: Time(row.get(4)),
            must_change_password: row.get(5),
        },
        row.get(3),
    )
}

impl Store for PgStore {
    fn credentials(&self, name: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.with(|client| {
            let row = client.query_opt(
                "SELECT name, first_login, total_ms, password_hash,
                        GREATEST(last_login, last_logout), must_change_password
                 FROM accounts WHERE name_key = $1",
                &[&key(name)],
            )?;
            Ok(row.as_ref().map(account_row))
        })
    }

    fn create_account(&self, name: &str, hash: &str) -> Result<Option<Account>, StoreError> {
        let inserted = self.with(|client| {
            client.execute(
                &format!(
                    "INSERT INTO accounts (name_key, name, password_hash, first_login, last_login)
                     VALUES ($1, $2, $3, {NOW}, {NOW}) ON CONFLICT (name_key) DO NOTHING"
                ),
                &[&key(name), &name, &hash],
            )
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        self.account(name)
    }

    fn touch_login(&self, name: &str) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                &format!("UPDATE accounts SET last_login = {NOW} WHERE name_key = $1"),
                &[&key(name)],
            )
        })?;
        Ok(())
    }

    fn add_usage(&self, usage: &[(String, Duration)]) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let update =
                transaction.prepare("UPDATE accounts SET total_ms = total_ms + $2 WHERE name_key = $1")?;
            for (name, length) in usage {
                let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
                transaction.execute(&update, &[&key(name), &ms])?;
            }
            transaction.commit()
        })
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.credentials(name)?.map(|(account, _)| account))
    }

    fn rule_edits(&self) -> Result<Rows<RuleEdit>, StoreError> {
        let rows = self.with(|client| {
            client.query(
                "SELECT player_group, rule_key, effect, by_name, at FROM rule_edits ORDER BY at, seq",
                &[],
            )
        })?;
        let mut read = Rows { rows: Vec::new(), bad: Vec::new() };
        for row in rows {
            let (group, key_text, effect, by): (String, String, Option<String>, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            match decode_rule_edit(&group, &key_text, effect.as_deref(), &by, Ok(Time(row.get(4)))) {
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
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let at: jiff::Timestamp = transaction.query_one(&format!("SELECT {NOW}"), &[])?.get(0);
            transaction.execute(
                "INSERT INTO rule_edits (player_group, rule_key, effect, by_name, at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (player_group, rule_key) DO UPDATE SET effect = EXCLUDED.effect,
                     by_name = EXCLUDED.by_name, at = EXCLUDED.at, seq = nextval('edit_seq')",
                &[&group, &key.to_string(), &effect, &by, &at],
            )?;
            insert_audit(&mut transaction, by, action)?;
            notify(&mut transaction, &NetworkEvent::Edits)?;
            transaction.commit()?;
            Ok(Time(at))
        })
    }

    fn memberships(&self) -> Result<Rows<MembershipEdit>, StoreError> {
        let rows = self.with(|client| {
            client
                .query("SELECT name, realm, player_group, by_name, at FROM memberships ORDER BY at, seq", &[])
        })?;
        let rows = rows
            .iter()
            .map(|row| {
                let realm: String = row.get(1);
                MembershipEdit {
                    name: row.get(0),
                    realm: (!realm.is_empty()).then_some(realm),
                    group: row.get(2),
                    by: row.get(3),
                    at: Time(row.get(4)),
                }
            })
            .collect();
        Ok(Rows { rows, bad: Vec::new() })
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
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let at: jiff::Timestamp = transaction.query_one(&format!("SELECT {NOW}"), &[])?.get(0);
            transaction.execute(
                "INSERT INTO memberships (name_key, name, realm, player_group, by_name, at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name_key, realm) DO UPDATE SET name = EXCLUDED.name,
                     player_group = EXCLUDED.player_group, by_name = EXCLUDED.by_name, at = EXCLUDED.at,
                     seq = nextval('edit_seq')",
                &[&key(name), &name, &realm, &group, &by, &at],
            )?;
            insert_audit(&mut transaction, by, action)?;
            notify(&mut transaction, &NetworkEvent::Edits)?;
            transaction.commit()?;
            Ok(Time(at))
        })
    }

    fn audit(&self, by: &str, action: &str) -> Result<(), StoreError> {
        self.with(|client| insert_audit(client, by, action))
    }

    fn audit_repeated(&self, by: &str, action: &str, window: Duration) -> Result<(), StoreError> {
        let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let counted = transaction.execute(
                "UPDATE audit SET count = count + 1 WHERE id = (
                     SELECT id FROM audit WHERE by_name = $1 AND action = $2
                         AND at >= now() - $3::bigint * interval '1 second'
                     ORDER BY id DESC LIMIT 1)",
                &[&by, &action, &secs],
            )?;
            if counted == 0 {
                insert_audit(&mut transaction, by, action)?;
            }
            transaction.commit()
        })
    }

    fn touch_logouts(&self, logouts: &[(String, Duration)]) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            // `NOW` less the age, in milliseconds.
            let update = transaction.prepare(
                "UPDATE accounts SET last_logout = date_trunc('second', now() - $2::bigint * interval '1 millisecond')
                     WHERE name_key = $1",
            )?;
            for (name, age) in logouts {
                let millis = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
                transaction.execute(&update, &[&key(name), &millis])?;
            }
            transaction.commit()
        })
    }

    fn sanctions(&self) -> Result<Vec<Sanction>, StoreError> {
        let rows = self.with(|client| {
            client.query(
                "SELECT name, kind, until, reason, by_name, at FROM sanctions ORDER BY at, name_key",
                &[],
            )
        })?;
        let mut sanctions = Vec::new();
        for row in rows {
            let (name, kind): (String, String) = (row.get(0), row.get(1));
            match SanctionKind::parse(&kind) {
                Some(kind) => sanctions.push(Sanction {
                    name,
                    kind,
                    until: row.get(2),
                    reason: row.get(3),
                    by: row.get(4),
                    at: row.get(5),
                }),
                None => tracing::warn!(name, "store: a sanction of unknown kind '{kind}' is ignored"),
            }
        }
        Ok(sanctions)
    }

    fn set_sanction(&self, sanction: &Sanction, action: &str) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            transaction.execute(
                "INSERT INTO sanctions (name_key, name, kind, until, reason, by_name, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (name_key, kind) DO UPDATE SET name = EXCLUDED.name, until = EXCLUDED.until,
                     reason = EXCLUDED.reason, by_name = EXCLUDED.by_name, at = EXCLUDED.at",
                &[
                    &key(&sanction.name),
                    &sanction.name,
                    &sanction.kind.as_str(),
                    &sanction.until,
                    &sanction.reason,
                    &sanction.by,
                    &sanction.at,
                ],
            )?;
            insert_audit(&mut transaction, &sanction.by, action)?;
            notify(&mut transaction, &NetworkEvent::Sanctions)?;
            transaction.commit()
        })
    }

    fn lift_sanction(
        &self,
        name: &str,
        kinds: &[SanctionKind],
        by: &str,
        action: &str,
    ) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            for kind in kinds {
                transaction.execute(
                    "DELETE FROM sanctions WHERE name_key = $1 AND kind = $2",
                    &[&key(name), &kind.as_str()],
                )?;
            }
            insert_audit(&mut transaction, by, action)?;
            notify(&mut transaction, &NetworkEvent::Sanctions)?;
            transaction.commit()
        })
    }

    fn purge_sanctions(&self, now: i64) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute("DELETE FROM sanctions WHERE until IS NOT NULL AND until <= $1", &[&now])
        })?;
        Ok(())
    }

    fn add_warning(&self, warning: &Warning, action: &str) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let name_key = key(&warning.name);
            transaction.execute(
                "INSERT INTO warnings (name_key, name, text, by_name, at) VALUES ($1, $2, $3, $4, $5)",
                &[&name_key, &warning.name, &warning.text, &warning.by, &warning.at],
            )?;
            transaction.execute(
                "DELETE FROM warnings WHERE name_key = $1 AND id NOT IN
                     (SELECT id FROM warnings WHERE name_key = $1 ORDER BY id DESC LIMIT $2)",
                &[&name_key, &count(WARNINGS_KEPT)],
            )?;
            insert_audit(&mut transaction, &warning.by, action)?;
            transaction.commit()
        })
    }

    fn warnings(&self, name: &str) -> Result<Vec<Warning>, StoreError> {
        let rows = self.with(|client| {
            client.query(
                "SELECT name, text, by_name, at FROM warnings WHERE name_key = $1 ORDER BY id DESC",
                &[&key(name)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|row| Warning { name: row.get(0), text: row.get(1), by: row.get(2), at: row.get(3) })
            .collect())
    }

    fn channels(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let row = self.with(|client| {
            client.query_opt("SELECT list FROM channels WHERE name_key = $1", &[&key(name)])
        })?;
        Ok(row
            .map(|row| {
                row.get::<_, String>(0).split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
            })
            .unwrap_or_default())
    }

    fn set_channels(&self, name: &str, channels: &[String]) -> Result<(), StoreError> {
        self.with(|client| {
            if channels.is_empty() {
                client.execute("DELETE FROM channels WHERE name_key = $1", &[&key(name)])?;
            } else {
                client.execute(
                    "INSERT INTO channels (name_key, list) VALUES ($1, $2)
                     ON CONFLICT (name_key) DO UPDATE SET list = EXCLUDED.list",
                    &[&key(name), &channels.join(",")],
                )?;
            }
            Ok(())
        })
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
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let changed = transaction.execute(
                "UPDATE accounts SET password_hash = $2, must_change_password = $3
                 WHERE name_key = $1 AND ($4::text IS NULL OR password_hash = $4)",
                &[&key(name), &hash, &must_change, &replacing],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            insert_audit(&mut transaction, by, action)?;
            let origin = self.origin.get().cloned().unwrap_or_default();
            notify(&mut transaction, &NetworkEvent::PasswordChanged { origin, name: name.to_owned() })?;
            transaction.commit()?;
            Ok(true)
        })
    }

    fn ignores(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let rows = self.with(|client| {
            client.query("SELECT ignored FROM ignores WHERE name_key = $1 ORDER BY seq", &[&key(name)])
        })?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn set_ignore(&self, name: &str, other: &str, ignore: bool) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            if ignore {
                transaction.execute(
                    "INSERT INTO ignores (name_key, ignored_key, ignored) VALUES ($1, $2, $3)
                     ON CONFLICT (name_key, ignored_key) DO UPDATE SET ignored = EXCLUDED.ignored,
                         seq = nextval(pg_get_serial_sequence('ignores', 'seq'))",
                    &[&key(name), &key(other), &other],
                )?;
                transaction.execute(
                    "DELETE FROM messages WHERE to_key = $1 AND lower(from_name) = $2",
                    &[&key(name), &key(other)],
                )?;
            } else {
                transaction.execute(
                    "DELETE FROM ignores WHERE name_key = $1 AND ignored_key = $2",
                    &[&key(name), &key(other)],
                )?;
            }
            transaction.commit()
        })
    }

    fn add_message(&self, message: &Message, limits: MessageLimits) -> Result<Sent, StoreError> {
        let (to, from) = (key(&message.to), key(&message.from));
        self.with(|client| {
            let mut transaction = client.transaction()?;
            // One message to a recipient at a time, from any zone: the box
            // bound holds under concurrent senders.
            transaction.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&to])?;
            let today: i64 =
                transaction.query_one("SELECT floor(extract(epoch FROM now()) / 86400)::bigint", &[])?.get(0);
            transaction.execute("DELETE FROM message_quota WHERE day < $1", &[&today])?;
            // Counted first, undone (rolled back) when refused: atomic across zones.
            let sent: i32 = transaction
                .query_one(
                    "INSERT INTO message_quota (from_key, day, count) VALUES ($1, $2, 1)
                     ON CONFLICT (from_key, day) DO UPDATE SET count = message_quota.count + 1
                     RETURNING count",
                    &[&from, &today],
                )?
                .get(0);
            if i64::from(sent) > count(limits.per_day) {
                return Ok(Sent::SenderLimit);
            }
            let waiting: i64 =
                transaction.query_one("SELECT count(*) FROM messages WHERE to_key = $1", &[&to])?.get(0);
            if waiting >= count(limits.per_recipient) {
                return Ok(Sent::RecipientFull);
            }
            let ignored: bool = transaction
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM ignores WHERE name_key = $1 AND ignored_key = $2)",
                    &[&to, &from],
                )?
                .get(0);
            let outcome = if ignored {
                Sent::Ignored
            } else {
                transaction.execute(
                    &format!("INSERT INTO messages (to_key, from_name, text, at) VALUES ($1, $2, $3, {NOW})"),
                    &[&to, &message.from, &message.text],
                )?;
                Sent::Stored
            };
            transaction.commit()?;
            Ok(outcome)
        })
    }

    fn message_count(&self, name: &str) -> Result<usize, StoreError> {
        let waiting: i64 = self.with(|client| {
            Ok(client.query_one("SELECT count(*) FROM messages WHERE to_key = $1", &[&key(name)])?.get(0))
        })?;
        Ok(usize::try_from(waiting).unwrap_or(0))
    }

    fn take_messages(&self, name: &str) -> Result<Vec<Message>, StoreError> {
        let mut rows = self.with(|client| {
            let rows = client.query(
                "DELETE FROM messages WHERE to_key = $1 RETURNING id, from_name, text, at",
                &[&key(name)],
            )?;
            Ok(rows
                .iter()
                .map(|row| {
                    let id: i64 = row.get(0);
                    (
                        id,
                        Message {
                            to: name.to_owned(),
                            from: row.get(1),
                            text: row.get(2),
                            at: Time(row.get(3)),
                        },
                    )
                })
                .collect::<Vec<_>>())
        })?;
        rows.sort_by_key(|(id, _)| *id);
        Ok(rows.into_iter().map(|(_, message)| message).collect())
    }

    fn announce(&self, event: &NetworkEvent) -> Result<(), StoreError> {
        self.with(|client| notify(client, event))
    }

    fn subscribe(&self) -> Option<tokio::sync::mpsc::Receiver<NetworkEvent>> {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let config = self.config.clone();
        std::thread::Builder::new().name("pg-listen".into()).spawn(move || listen(&config, &tx)).ok()?;
        Some(rx)
    }

    fn heartbeat(&self, instance: &str, zone: &str) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO zones (instance, name, heartbeat) VALUES ($1, $2, now())
                 ON CONFLICT (instance) DO UPDATE SET heartbeat = now()",
                &[&instance, &zone],
            )?;
            // Zones killed long ago (every run has a new instance) go, with
            // the presence rows they left.
            client.batch_execute(
                "DELETE FROM presence WHERE instance IN
                     (SELECT instance FROM zones WHERE heartbeat < now() - interval '1 hour');
                 DELETE FROM zones WHERE heartbeat < now() - interval '1 hour';",
            )?;
            Ok(())
        })
    }

    fn set_presence(
        &self,
        instance: &str,
        name: &str,
        online: bool,
        realm: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|client| {
            if online {
                client.execute(
                    "INSERT INTO presence (name_key, name, instance, realm, since) VALUES ($1, $2, $3, $4, now())
                     ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, instance = EXCLUDED.instance,
                         realm = EXCLUDED.realm, since = EXCLUDED.since",
                    &[&key(name), &name, &instance, &realm],
                )?;
            } else {
                client.execute(
                    "DELETE FROM presence WHERE name_key = $1 AND instance = $2",
                    &[&key(name), &instance],
                )?;
            }
            Ok(())
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn set_origin(&self, instance: &str) {
        let _ = self.origin.set(instance.to_owned());
    }

    fn replace_presence(
        &self,
        instance: &str,
        players: &[(String, Option<String>)],
    ) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            transaction.execute("DELETE FROM presence WHERE instance = $1", &[&instance])?;
            let upsert = transaction.prepare(
                "INSERT INTO presence (name_key, name, instance, realm, since) VALUES ($1, $2, $3, $4, now())
                 ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, instance = EXCLUDED.instance,
                     realm = EXCLUDED.realm, since = EXCLUDED.since",
            )?;
            for (name, realm) in players {
                transaction.execute(&upsert, &[&key(name), name, &instance, realm])?;
            }
            transaction.commit()
        })
    }

    fn leave_network(&self, instance: &str) -> Result<(), StoreError> {
        self.with(|client| {
            let mut transaction = client.transaction()?;
            transaction.execute("DELETE FROM presence WHERE instance = $1", &[&instance])?;
            transaction.execute("DELETE FROM zones WHERE instance = $1", &[&instance])?;
            transaction.commit()
        })
    }

    fn presences(&self) -> Result<Vec<Presence>, StoreError> {
        self.with(|client| {
            Ok(client.query(&live_presence(""), &[&gone_after()])?.iter().map(presence_row).collect())
        })
    }

    fn locate(&self, name: &str) -> Result<Option<Presence>, StoreError> {
        self.with(|client| {
            Ok(client
                .query_opt(&live_presence("AND p.name_key = $2"), &[&gone_after(), &key(name)])?
                .as_ref()
                .map(presence_row))
        })
    }

    fn prune_audit(&self, keep: usize) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute("DELETE FROM audit WHERE id <= (SELECT max(id) FROM audit) - $1", &[&count(keep)])
        })?;
        Ok(())
    }

    fn audit_search(&self, filter: &AuditFilter, entries: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.with(|client| {
            client.query(
                "SELECT at, by_name, action, count FROM audit \
                 WHERE ($2::text IS NULL OR lower(by_name) = lower($2)) \
                   AND ($3::text IS NULL OR strpos(lower(action), lower($3)) > 0) \
                 ORDER BY id DESC LIMIT $1",
                &[&count(entries), &filter.by, &filter.contains],
            )
        })?;
        Ok(rows
            .iter()
            .map(|row| {
                let times: i32 = row.get(3);
                AuditEntry {
                    at: Time(row.get(0)),
                    by: row.get(1),
                    action: row.get(2),
                    count: u32::try_from(times).unwrap_or(1),
                }
            })
            .collect())
    }
}
