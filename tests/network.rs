//! Zones on the PostgreSQL store (DESIGN §11), over real TCP against a
//! throwaway PostgreSQL server: what a zone stores is in the database, not
//! in its data directory, and a database that goes away refuses edits
//! without stopping chat, then serves again once it is back.
#![allow(clippy::unwrap_used)]

mod common;

use common::postgres::Postgres;
use common::{Client, PATIENCE, TestZone, ask, test_config, with_staff};

/// The default config with a sysop and an smod, on the database at `url`.
fn on_postgres(url: &str) -> config::Config {
    let mut config = with_staff(test_config(), &[("Root", "sysop", None), ("Sam", "smod", None)]);
    config.zone.store = config::StoreConfig::Postgres { url: url.to_owned() };
    config
}

/// A zone named `name` on the database at `url`.
async fn zone_named(name: &str, url: &str) -> TestZone {
    let mut config = on_postgres(url);
    config.zone.name = name.to_owned();
    TestZone::start_config(config, tempfile::tempdir().unwrap()).await
}

/// Sends `line` until its one answer satisfies `done` (another zone's
/// change arrives a moment later); fails after [`PATIENCE`].
async fn until(client: &mut Client, line: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let answer = client.command(line).await.join("\n");
        if done(&answer) {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}: {line}: still {answer:?}", client.name);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
    drop(zone.login("Dora").await);

    database.stop();
    bob.send("SEND:PUB:still here").await;
    sam.expect("MSG:PUB:Bob:still here").await;
    assert_eq!(
        ask(&mut sam, "SEND:CMD:?grant default lsmod").await,
        "The zone could not store this (its database failed), so nothing was changed. Try again later."
    );
    assert!(ask(&mut bob, "SEND:CMD:?lsmod").await.starts_with("You may not use ?lsmod"), "not applied");
    // A player who logged in here since the zone started is checked against
    // the password the zone saw; players it does not know cannot be checked.
    assert_eq!(zone.login_as("Dora", "wrong").await.1, "LOGINBAD:wrong password");
    let (dora, answer) = zone.login_as("Dora", "pw").await;
    assert_eq!(answer, "LOGINOK:Dora");
    drop(dora);
    assert_eq!(
        zone.login_as("Carol", "pw").await.1,
        "LOGINBAD:the zone cannot log you in right now; try again later"
    );

    database.start_again();
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, "Granted lsmod to default.");
    assert!(bob.command("SEND:CMD:?lsmod").await[0].starts_with("MSG:ARENA:account: the zone"));
    assert_eq!(zone.login_as("Carol", "pw").await.1, "LOGINOK:Carol");
}

#[tokio::test]
async fn a_group_only_one_zone_has_is_reported_by_the_other() {
    let database = Postgres::start();
    let mut config = on_postgres(&database.url());
    config.zone.name = "alpha".to_owned();
    config.groups.groups.push(config::GroupConfig {
        name: "helper".to_owned(),
        inherits: vec!["default".to_owned()],
        command_groups: Vec::new(),
        grant: Vec::new(),
        deny: Vec::new(),
        all_access: false,
        rank: 5,
    });
    let alpha = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let beta = zone_named("beta", &database.url()).await;
    let mut sam = alpha.login("Sam").await;
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant helper lsmod").await, "Granted lsmod to helper.");
    let mut root = beta.login("Root").await;
    let line = "MSG:ARENA:Stored edits name player group 'helper', which groups.ron here lacks (another zone's?): they are not applied here.";
    until(&mut root, "SEND:CMD:?health", |answer| answer.contains(line)).await;
}

#[tokio::test]
async fn a_grant_and_a_ban_in_one_zone_apply_in_the_other() {
    let database = Postgres::start();
    let alpha = zone_named("alpha", &database.url()).await;
    let beta = zone_named("beta", &database.url()).await;
    let mut sam = alpha.login("Sam").await;
    let mut pleb = beta.login("Pleb").await;
    assert_eq!(ask(&mut pleb, "SEND:CMD:?lsmod").await, "You may not use ?lsmod.");

    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, "Granted lsmod to default.");
    until(&mut pleb, "SEND:CMD:?lsmod", |answer| answer.starts_with("MSG:ARENA:account: the zone")).await;
    assert_eq!(ask(&mut sam, "SEND:CMD:?revoke default lsmod").await, "Revoked default's rule for lsmod.");
    until(&mut pleb, "SEND:CMD:?lsmod", |answer| answer == "MSG:ARENA:You may not use ?lsmod.").await;

    // Pleb is online in the other zone: banned here, disconnected there.
    let banned = sam.command("SEND:CMD:?ban Pleb perm cheating").await;
    assert!(banned.contains(&"MSG:ARENA:Banned Pleb for good: cheating.".to_owned()), "{banned:?}");
    assert_eq!(pleb.expect_closed().await, ["MSG:ARENA:Disconnected: banned by Sam: cheating."]);
    assert_eq!(beta.login_as("Pleb", "pw").await.1, "LOGINBAD:banned: cheating");
}

#[tokio::test]
async fn players_find_message_and_chat_across_zones_and_the_newest_login_wins() {
    let database = Postgres::start();
    let alpha = zone_named("alpha", &database.url()).await;
    let beta = zone_named("beta", &database.url()).await;
    let mut alice = alpha.enter("Alice", "lobby").await;
    let mut bob = beta.enter("Bob", "duel").await;

    until(&mut alice, "SEND:CMD:?find Bob", |answer| answer == "MSG:ARENA:Bob is in zone beta, realm duel.")
        .await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?seen bob").await, "Bob is online in zone beta.");
    let who = alice.command("SEND:CMD:?who").await;
    assert_eq!(who, ["MSG:ARENA:lobby (1): Alice", "MSG:ARENA:zone beta (1): Bob"]);

    alice.send("SEND:PRIV:bob:hello across").await;
    bob.expect("MSG:PRIV:Alice:hello across").await;
    bob.send("SEND:PRIV:Alice:back").await;
    alice.expect("MSG:PRIV:Bob:back").await;
    assert_eq!(
        alice.command("SEND:PRIV:Zed:anyone?").await,
        ["MSG:ARENA:error: no player named 'Zed' is online"],
        "online nowhere"
    );

    alice.command("SEND:CMD:?chat=news").await;
    bob.command("SEND:CMD:?chat=gossip,news").await;
    alice.send("SEND:CHAT:extra").await;
    alice.expect("MSG:CHAT:1:Alice> extra").await;
    bob.expect("MSG:CHAT:2:Alice> extra").await;

    // Bob logs in to alpha: his session in beta is closed.
    let _bob_here = alpha.login("Bob").await;
    assert_eq!(bob.expect_closed().await, ["MSG:ARENA:Disconnected: you logged in from another connection."]);
    until(&mut alice, "SEND:CMD:?find Bob", |answer| answer == "MSG:ARENA:Bob is online, not in a realm.")
        .await;
}

#[tokio::test]
async fn the_database_restarting_under_two_zones_loses_no_acknowledged_edit_and_applies_no_refused_one() {
    let database = Postgres::start();
    let alpha = zone_named("alpha", &database.url()).await;
    let beta = zone_named("beta", &database.url()).await;
    let mut sam = alpha.login("Sam").await;
    let mut pleb = beta.enter("Pleb", "lobby").await;
    let mut carol = beta.enter("Carol", "lobby").await;
    pleb.barrier().await;

    database.stop();
    let refused =
        "The zone could not store this (its database failed), so nothing was changed. Try again later.";
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, refused);
    carol.send("SEND:PUB:the database is down").await;
    pleb.expect("MSG:PUB:Carol:the database is down").await;
    assert_eq!(ask(&mut pleb, "SEND:CMD:?lsmod").await, "You may not use ?lsmod.");

    // Back: alpha's next edit reconnects at once; beta's listener comes back
    // after its back-off, so it may miss the announcement and must catch up
    // by reading the edits again.
    database.start_again();
    assert_eq!(ask(&mut sam, "SEND:CMD:?grant default lsmod").await, "Granted lsmod to default.");
    until(&mut pleb, "SEND:CMD:?lsmod", |answer| answer.starts_with("MSG:ARENA:account: the zone")).await;
    let banned = sam.command("SEND:CMD:?ban Pleb perm cheating").await;
    assert!(banned.contains(&"MSG:ARENA:Banned Pleb for good: cheating.".to_owned()), "{banned:?}");
    assert_eq!(pleb.expect_closed().await, ["MSG:ARENA:Disconnected: banned by Sam: cheating."]);

    let mut root = alpha.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 10").await;
    let grants = log.iter().filter(|line| line.ends_with(" Sam: granted lsmod to default")).count();
    assert_eq!(grants, 1, "the refused grant was not written: {log:?}");
}

#[tokio::test]
async fn a_private_command_to_a_player_in_another_zone_runs_there() {
    let database = Postgres::start();
    let alpha = zone_named("alpha", &database.url()).await;
    let beta = zone_named("beta", &database.url()).await;
    let mut sam = alpha.enter("Sam", "lobby").await;
    let mut pleb = alpha.enter("Pleb", "lobby").await;
    let mut bob = beta.enter("Bob", "duel").await;
    let mut carol = beta.enter("Carol", "duel").await;
    bob.barrier().await;
    until(&mut sam, "SEND:CMD:?find Bob", |answer| answer == "MSG:ARENA:Bob is in zone beta, realm duel.")
        .await;
    until(&mut pleb, "SEND:CMD:?find Bob", |answer| answer.ends_with("zone beta, realm duel.")).await;

    // Bob's session is in beta: only beta can answer this.
    let usage = ask(&mut sam, "SEND:PRIVCMD:Bob:?usage").await;
    assert!(usage.starts_with("Bob: session "), "{usage}");
    // The ladder in beta knows the sender by their membership there.
    assert_eq!(ask(&mut pleb, "SEND:PRIVCMD:Bob:?usage").await, "You may not use ?usage to a player.");
    assert_eq!(ask(&mut pleb, "SEND:PRIVCMD:Bob:?setfreq 5").await, "You may not use ?setfreq to a player.");
    assert_eq!(ask(&mut sam, "SEND:PRIV:Bob:?getgroup").await, "Bob is in group default in realm duel.");

    // Both lines to the target arrive in beta; the realm sees the move.
    assert_eq!(ask(&mut sam, "SEND:PRIVCMD:Bob:?setfreq 5").await, "Put Bob on freq 5.");
    bob.expect("SHIPFREQCHANGE:Bob:8:5").await;
    bob.expect("MSG:ARENA:Sam put you on freq 5.").await;
    carol.expect("SHIPFREQCHANGE:Bob:8:5").await;

    // The rank check compares Sam's group (smod, by name) with Bob's in duel.
    let kicked = sam.command("SEND:PRIVCMD:Bob:?kick spamming").await;
    assert!(kicked.iter().any(|line| line.starts_with("MSG:ARENA:Kicked Bob")), "{kicked:?}");
    assert_eq!(bob.expect_closed().await, ["MSG:ARENA:Disconnected: kicked by Sam: spamming."]);
    let mut root = beta.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 1").await;
    assert!(log[0].ends_with(" Sam: kicked Bob: spamming"), "audited in beta: {log:?}");

    // Offline everywhere: the command runs here, on the account.
    until(&mut sam, "SEND:CMD:?find Bob", |answer| answer == "MSG:ARENA:Nobody called 'Bob' is online.")
        .await;
    assert_eq!(
        ask(&mut sam, "SEND:PRIV:Bob:?getgroup").await,
        "Bob (not online) is in group default zone-wide."
    );
}
