//! The store interface on both backends (DESIGN §7, §11): the same
//! scenario runs on SQLite and on a throwaway PostgreSQL server, and what it
//! wrote is read back after reopening.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use cmdman::{Effect, RuleKey};
use common::postgres::Postgres;
use zone_server::sanction::{Kind, Sanction, WARNINGS_KEPT, Warning};
use zone_server::store::{Message, MessageLimits, PgStore, Sent, SqliteStore, Store, Time};

/// Writes a bit of everything through `store`.
fn write_everything(store: &dyn Store) {
    // Accounts.
    let account = store.create_account("Alice", "$argon2id$hash").unwrap().unwrap();
    assert_eq!(
        (account.name.as_str(), account.total, account.must_change_password),
        ("Alice", Duration::ZERO, false)
    );
    assert!(store.create_account("ALICE", "other").unwrap().is_none(), "the name is taken");
    assert!(store.credentials("Bob").unwrap().is_none());
    store.touch_login("alice").unwrap();
    store.add_usage(&[("alice".to_owned(), Duration::from_millis(30_500))]).unwrap();
    store.add_usage(&[("Alice".to_owned(), Duration::from_millis(11_500))]).unwrap();
    store.touch_logouts(&[("Alice".to_owned(), Duration::ZERO)]).unwrap();

    // Rule edits and memberships: the last edit of a key counts.
    let usage: RuleKey = "usage".parse().unwrap();
    store.set_rule("default", &usage, Some(Effect::Grant), "Alice", "granted usage to default").unwrap();
    let at = store.set_rule("default", &usage, None, "Bob", "revoked usage for default").unwrap();
    assert_ne!(at, Time::UNREADABLE);
    store.set_rule("mod", &"*warn:player".parse().unwrap(), Some(Effect::Deny), "Sam", "denied").unwrap();
    store.set_membership("Carol", Some("Duel"), Some("mod"), "console", "set Carol's group in duel").unwrap();
    store.set_membership("carol", None, None, "Alice", "removed Carol's zone group").unwrap();

    // Sanctions and warnings.
    let ban = Sanction {
        name: "Bob".into(),
        kind: Kind::Ban,
        until: None,
        reason: "spamming".into(),
        by: "Mod".into(),
        at: 100,
    };
    store.set_sanction(&ban, "banned Bob for good: spamming").unwrap();
    store.set_sanction(&Sanction { kind: Kind::Mute, until: Some(50), ..ban.clone() }, "muted Bob").unwrap();
    store
        .set_sanction(&Sanction { kind: Kind::Kick, until: Some(5_000), ..ban.clone() }, "kicked Bob")
        .unwrap();
    store.purge_sanctions(60).unwrap();
    store.lift_sanction("bob", &[Kind::Kick], "Admin", "lifted Bob's kick").unwrap();
    for i in 0..(WARNINGS_KEPT + 5) {
        let warning =
            Warning { name: "Bob".into(), text: format!("warning {i}"), by: "Mod".into(), at: i as i64 };
        store.add_warning(&warning, "warned Bob").unwrap();
    }

    // Channels, ignores, passwords, messages.
    store.set_channels("bob", &["Alpha".to_owned(), "beta".to_owned()]).unwrap();
    store.set_channels("carol", &["x".to_owned()]).unwrap();
    store.set_channels("carol", &[]).unwrap();
    store.create_account("Bob", "old").unwrap();
    assert!(store.set_password("bob", "one-time", true, None, "Sam", "reset Bob's password").unwrap());
    assert!(!store.set_password("nobody", "x", false, None, "Sam", "reset").unwrap());
    assert!(
        !store.set_password("bob", "mine", false, Some("old"), "Bob", "changed").unwrap(),
        "checked a stale hash"
    );
    store.set_ignore("Bob", "Eve", true).unwrap();
    store.set_ignore("bob", "Mal", true).unwrap();
    store.set_ignore("bob", "mal", false).unwrap();
    let limits = MessageLimits { per_recipient: 2, per_day: 3 };
    let message = |from: &str, to: &str, text: &str| Message {
        to: to.into(),
        from: from.into(),
        text: text.into(),
        at: Time::UNREADABLE,
    };
    assert_eq!(store.add_message(&message("Eve", "Bob", "spam"), limits).unwrap(), Sent::Ignored);
    assert_eq!(store.add_message(&message("Al", "Bob", "hi"), limits).unwrap(), Sent::Stored);
    assert_eq!(store.add_message(&message("Al", "bob", "again"), limits).unwrap(), Sent::Stored);
    assert_eq!(store.add_message(&message("Al", "Bob", "third"), limits).unwrap(), Sent::RecipientFull);
    assert_eq!(store.add_message(&message("Al", "Cy", "hey"), limits).unwrap(), Sent::Stored);
    assert_eq!(store.add_message(&message("al", "Dee", "hey"), limits).unwrap(), Sent::SenderLimit);

    // The audit log: repeated failures are one row with a count.
    let hour = Duration::from_secs(3600);
    for _ in 0..50 {
        store.audit_repeated("Mallory", "wrong password for a group", hour).unwrap();
    }
    store.audit("Dan", "reloaded the config").unwrap();
}

/// Reads back what [`write_everything`] wrote, as a freshly opened store.
fn read_everything(store: &dyn Store) {
    let (account, hash) = store.credentials("aLiCe").unwrap().unwrap();
    assert_eq!((account.name.as_str(), hash.as_str()), ("Alice", "$argon2id$hash"));
    assert_eq!(account.total, Duration::from_secs(42));
    assert!(account.last_seen >= account.first_login, "{account:?}");

    let rules = store.rule_edits().unwrap();
    assert!(rules.bad.is_empty(), "{:?}", rules.bad);
    let rules: Vec<(String, String, Option<Effect>, String)> =
        rules.rows.into_iter().map(|edit| (edit.group, edit.key.to_string(), edit.effect, edit.by)).collect();
    assert_eq!(
        rules,
        [
            ("default".to_owned(), "usage".to_owned(), None, "Bob".to_owned()),
            ("mod".to_owned(), "*warn:player".to_owned(), Some(Effect::Deny), "Sam".to_owned()),
        ]
    );
    let members = store.memberships().unwrap().rows;
    let places: Vec<(&str, Option<&str>, Option<&str>)> =
        members.iter().map(|m| (m.name.as_str(), m.realm.as_deref(), m.group.as_deref())).collect();
    assert_eq!(places, [("Carol", Some("duel"), Some("mod")), ("carol", None, None)]);

    let sanctions = store.sanctions().unwrap();
    let kinds: Vec<(&str, Kind, Option<i64>)> =
        sanctions.iter().map(|s| (s.name.as_str(), s.kind, s.until)).collect();
    assert_eq!(kinds, [("Bob", Kind::Ban, None)], "the ended mute purged, the kick lifted");
    let warnings = store.warnings("BOB").unwrap();
    assert_eq!(warnings.len(), WARNINGS_KEPT);
    assert_eq!(warnings[0].text, format!("warning {}", WARNINGS_KEPT + 4));

    assert_eq!(store.channels("Bob").unwrap(), ["Alpha", "beta"]);
    assert!(store.channels("Carol").unwrap().is_empty());
    let (bob, hash) = store.credentials("bob").unwrap().unwrap();
    assert_eq!((hash.as_str(), bob.must_change_password), ("one-time", true));
    assert_eq!(store.ignores("BOB").unwrap(), ["Eve"]);
    assert_eq!(store.message_count("Bob").unwrap(), 2);
    let read = store.take_messages("bob").unwrap();
    let texts: Vec<(&str, &str)> = read.iter().map(|m| (m.from.as_str(), m.text.as_str())).collect();
    assert_eq!(texts, [("Al", "hi"), ("Al", "again")]);
    assert_ne!(read[0].at, Time::UNREADABLE, "the store's clock stamps a message");
    assert_eq!(store.message_count("Bob").unwrap(), 0);
    // Ignoring a sender drops what they left.
    store.set_ignore("Cy", "Al", true).unwrap();
    assert_eq!(store.message_count("Cy").unwrap(), 0);

    let log = store.audit_log(3).unwrap();
    let rows: Vec<(&str, &str, u32)> =
        log.iter().map(|entry| (entry.by.as_str(), entry.action.as_str(), entry.count)).collect();
    assert_eq!(
        rows,
        [
            ("Dan", "reloaded the config", 1),
            ("Mallory", "wrong password for a group", 50),
            ("Sam", "reset Bob's password", 1)
        ]
    );
    store.prune_audit(1).unwrap();
    assert_eq!(store.audit_log(10).unwrap().len(), 1);
}

#[test]
fn sqlite_keeps_everything_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    write_everything(&SqliteStore::open(dir.path()).unwrap());
    read_everything(&SqliteStore::open(dir.path()).unwrap());
}

#[test]
fn postgres_keeps_everything_across_reopening() {
    let server = Postgres::start();
    write_everything(&PgStore::open(&server.url()).unwrap());
    // Opening again finds the schema current: the migrations run once.
    read_everything(&PgStore::open(&server.url()).unwrap());
}

/// A logout written late (the store was away) is stamped with its own time,
/// its age before the database's clock: `?seen` then shows when the player
/// left, not when the store came back. `backdate_login` moves Alice's last
/// login a long way back, so her last seen time is her logout's.
fn a_late_logout_keeps_its_own_time(store: &dyn Store, backdate_login: impl FnOnce()) {
    store.create_account("Alice", "hash").unwrap();
    store.create_account("Bob", "hash").unwrap();
    backdate_login();
    store
        .touch_logouts(&[
            ("alice".to_owned(), Duration::from_secs(3_600)),
            ("Bob".to_owned(), Duration::ZERO),
        ])
        .unwrap();
    let now = Time::now().0.as_second();
    let seen = |name| store.account(name).unwrap().unwrap().last_seen.0.as_second();
    // Stamps are whole seconds; a few more for a slow machine.
    let alice_off = (seen("Alice") - (now - 3_600)).abs();
    assert!(alice_off <= 5, "Alice's logout an hour ago was stamped {alice_off} s away from it");
    assert!(
        (seen("Bob") - now).abs() <= 5,
        "Bob's logout just now was stamped {} s from now",
        seen("Bob") - now
    );
}

#[test]
fn sqlite_stamps_a_late_logout_with_its_own_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    a_late_logout_keeps_its_own_time(&store, || {
        let db = rusqlite::Connection::open(dir.path().join("zone.db")).unwrap();
        db.execute("UPDATE accounts SET last_login = '2000-01-01 00:00:00'", []).unwrap();
    });
}

#[test]
fn postgres_stamps_a_late_logout_with_its_own_time() {
    let server = Postgres::start();
    let store = PgStore::open(&server.url()).unwrap();
    a_late_logout_keeps_its_own_time(&store, || {
        server.sql("UPDATE accounts SET last_login = '2000-01-01 00:00:00+00'");
    });
}

#[test]
fn postgres_calls_fail_while_the_database_is_down_and_work_again_after() {
    let server = Postgres::start();
    let store = PgStore::open(&server.url()).unwrap();
    store.create_account("Alice", "hash").unwrap();
    server.stop();
    let error = store.audit("Alice", "an edit while the database is down").unwrap_err();
    assert!(
        error.to_string().starts_with("the store is unavailable: the network store (PostgreSQL)"),
        "{error}"
    );
    assert!(store.credentials("Alice").is_err());
    server.start_again();
    // The store connects again by itself.
    assert_eq!(store.credentials("alice").unwrap().unwrap().0.name, "Alice");
    store.audit("Alice", "an edit after").unwrap();
    let actions: Vec<String> = store.audit_log(5).unwrap().into_iter().map(|entry| entry.action).collect();
    assert_eq!(actions, ["an edit after"], "the refused edit was not written");
}

#[test]
fn a_bad_url_or_an_absent_server_is_an_error_that_names_it_without_the_password() {
    let error = PgStore::open("postgres://zone:hunter2@127.0.0.1:1/zones").unwrap_err().to_string();
    assert!(error.starts_with("cannot reach the PostgreSQL store zone@127.0.0.1:1/zones: "), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
    let error = PgStore::open("postgres://[oops").unwrap_err().to_string();
    assert!(error.contains("not valid"), "{error}");
}
