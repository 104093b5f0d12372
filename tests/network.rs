//! Zones on the PostgreSQL store (DESIGN §11), over real TCP against a
//! throwaway PostgreSQL server: what a zone stores is in the database, not
//! in its data directory, and a database that goes away refuses edits
//! without stopping chat, then serves again once it is back.
#![allow(clippy::unwrap_used)]

mod common;

use common::postgres::Postgres;
use common::{TestZone, ask, test_config, with_staff};

/// The default config with a sysop and an smod, on the database at `url`.
fn on_postgres(url: &str) -> config::Config {
    let mut config = with_staff(test_config(), &[("Root", "sysop", None), ("Sam", "smod", None)]);
    config.zone.store = config::StoreConfig::Postgres { url: url.to_owned() };
    config
}

#[tokio::test]
async fn accounts_edits_and_bans_live_in_the_database_not_the_data_directory() {
    let database = Postgres::start();
    let zone = TestZone::start_config(on_postgres(&database.url()), tempfile::tempdir().unwrap()).await;
    let mut sam = zone.login("Sam").await;
    let mut pleb = zone.login("Pleb").await;
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, "Granted lsmod to default.");
    assert!(pleb.command("SEND:CMD:?lsmod").await[0].starts_with("MSG:ARENA:account: the zone"));
    let banned = sam.command("SEND:CMD:?ban Pleb perm cheating").await;
    assert!(banned.contains(&"MSG:ARENA:Banned Pleb for good: cheating.".to_owned()), "{banned:?}");
    assert_eq!(pleb.expect_closed().await, ["MSG:ARENA:Disconnected: banned by Sam: cheating."]);
    let mut alice = zone.login("Alice").await;
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?passwd pw n3w").await,
        "Your password is changed; log in with the new one from now on."
    );
    drop((sam, alice));
    let data = zone.stop().await;
    assert!(!data.path().join("zone.db").exists(), "nothing was kept in the data directory");

    // Another zone process, another (empty) data directory, the same database.
    let zone = TestZone::start_config(on_postgres(&database.url()), tempfile::tempdir().unwrap()).await;
    assert_eq!(zone.login_as("Pleb", "pw").await.1, "LOGINBAD:banned: cheating");
    assert_eq!(zone.login_as("Alice", "pw").await.1, "LOGINBAD:wrong password");
    let (mut alice, answer) = zone.login_as("Alice", "n3w").await;
    assert_eq!(answer, "LOGINOK:Alice");
    assert!(
        alice.command("SEND:CMD:?lsmod").await[0].starts_with("MSG:ARENA:account: the zone"),
        "the grant holds"
    );
    let mut root = zone.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 3").await;
    assert!(log[0].ends_with(" Alice: wrong password at login"), "{log:?}");
    assert!(log[1].ends_with(" Alice: changed their password"), "{log:?}");
    assert!(log[2].ends_with(" Sam: banned Pleb for good: cheating"), "{log:?}");
}

#[tokio::test]
async fn with_the_database_down_chat_goes_on_edits_are_refused_and_it_serves_again_when_back() {
    let database = Postgres::start();
    let zone = TestZone::start_config(on_postgres(&database.url()), tempfile::tempdir().unwrap()).await;
    let mut sam = zone.enter("Sam", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    sam.barrier().await;

    database.stop();
    bob.send("SEND:PUB:still here").await;
    sam.expect("MSG:PUB:Bob:still here").await;
    assert_eq!(
        ask(&mut sam, "SEND:CMD:?grant default lsmod").await,
        "The zone could not store this (its database failed), so nothing was changed. Try again later."
    );
    assert!(ask(&mut bob, "SEND:CMD:?lsmod").await.starts_with("You may not use ?lsmod"), "not applied");
    // Players the zone does not know cannot be checked meanwhile.
    assert_eq!(
        zone.login_as("Carol", "pw").await.1,
        "LOGINBAD:the zone cannot log you in right now; try again later"
    );

    database.start_again();
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, "Granted lsmod to default.");
    assert!(bob.command("SEND:CMD:?lsmod").await[0].starts_with("MSG:ARENA:account: the zone"));
    assert_eq!(zone.login_as("Carol", "pw").await.1, "LOGINOK:Carol");
}
