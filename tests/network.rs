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

/// Set when the load is to stop.
type Stop = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// What one moderator's edits came to, in order: the audit text of each
/// acknowledged one, and how many the store refused.
#[derive(Default)]
struct Edits {
    acknowledged: Vec<String>,
    refused: usize,
}

/// Edits the rules of `default` for `commands` (grant, then revoke, in
/// turn) every 100 ms until `stop`, recording each answer in `edits`.
async fn keep_editing(
    mut moderator: Client,
    commands: &'static [&'static str],
    edits: std::sync::Arc<parking_lot::Mutex<Edits>>,
    stop: Stop,
) -> Client {
    const REFUSED: &str =
        "The zone could not store this (its database failed), so nothing was changed. Try again later.";
    for i in 0usize.. {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let command = commands[(i / 2) % commands.len()];
        let verb = if i % 2 == 0 { "grant" } else { "revoke" };
        let answer = ask(&mut moderator, &format!("SEND:CMD:?{verb} default {command}")).await;
        {
            let mut edits = edits.lock();
            if answer == REFUSED {
                edits.refused += 1;
            } else if answer.starts_with("Granted ") || answer.starts_with("Revoked ") {
                // The audit log's words: "granted lsmod to default".
                let mut text = answer.trim_end_matches('.').to_owned();
                text[..1].make_ascii_lowercase();
                edits.acknowledged.push(text);
            } else {
                // A revoke after a refused grant finds nothing to revoke.
                assert_eq!(answer, format!("default has no rule of its own for {command}."), "{i}");
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    moderator
}

/// Sends numbered public messages every 20 ms until `stop`; `listener`, in
/// the same realm, must get every one in order; `count` is how many so far.
async fn keep_chatting(mut talker: Client, mut listener: Client, count: Count, stop: Stop) {
    let mut sent = 0;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        talker.send(&format!("SEND:PUB:line {sent}")).await;
        listener.expect(&format!("MSG:PUB:{}:line {sent}", talker.name)).await;
        sent += 1;
        count.store(sent, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Chat lines delivered so far.
type Count = std::sync::Arc<std::sync::atomic::AtomicUsize>;

/// Waits until `done` holds of every moderator's edits.
async fn until_edits(all: &[&std::sync::Arc<parking_lot::Mutex<Edits>>], done: impl Fn(&Edits) -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !all.iter().all(|edits| done(&edits.lock())) {
        assert!(tokio::time::Instant::now() < deadline, "the edits never got there");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarting_under_load_loses_no_acknowledged_edit_and_applies_no_refused_one() {
    use std::sync::Arc;
    let database = Postgres::start();
    let alpha = zone_named("alpha", &database.url()).await;
    let beta = zone_named("beta", &database.url()).await;
    // One moderator editing in each zone; a pair chatting in each.
    let sam = alpha.login("Sam").await;
    let root = beta.login("Root").await;
    let (a1, a2) = (alpha.enter("Ann", "lobby").await, alpha.enter("Art", "lobby").await);
    let (b1, b2) = (beta.enter("Ben", "lobby").await, beta.enter("Bea", "lobby").await);
    let (mut a2, mut b2) = (a2, b2);
    a2.barrier().await;
    b2.barrier().await;
    let stop = Stop::default();
    let (in_alpha, in_beta) = (Arc::new(parking_lot::Mutex::new(Edits::default())), Arc::default());
    const ALPHA: &[&str] = &["lsmod", "health", "cmdstats"];
    const BETA: &[&str] = &["listmod", "bans", "warnings"];
    let sam = tokio::spawn(keep_editing(sam, ALPHA, in_alpha.clone(), stop.clone()));
    let root = tokio::spawn(keep_editing(root, BETA, Arc::clone(&in_beta), stop.clone()));
    let said = [Count::default(), Count::default()];
    let chat = [
        tokio::spawn(keep_chatting(a1, a2, Arc::clone(&said[0]), stop.clone())),
        tokio::spawn(keep_chatting(b1, b2, Arc::clone(&said[1]), stop.clone())),
    ];
    let lines = || said.each_ref().map(|count| count.load(std::sync::atomic::Ordering::SeqCst));

    until_edits(&[&in_alpha, &in_beta], |edits| edits.acknowledged.len() >= 3).await;
    tokio::task::block_in_place(|| database.stop());
    let at_stop = lines();
    until_edits(&[&in_alpha, &in_beta], |edits| edits.refused >= 3).await;
    let during = lines();
    assert!(during[0] > at_stop[0] && during[1] > at_stop[1], "chat goes on in both zones");
    let before: Vec<usize> =
        [&in_alpha, &in_beta].iter().map(|edits| edits.lock().acknowledged.len()).collect();
    tokio::task::block_in_place(|| database.start_again());
    let after = |edits: &Edits, before: usize| edits.acknowledged.len() >= before + 4;
    until_edits(&[&in_alpha], |edits| after(edits, before[0])).await;
    until_edits(&[&in_beta], |edits| after(edits, before[1])).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut sam, _root) = (sam.await.unwrap(), root.await.unwrap());
    for chat in chat {
        chat.await.unwrap();
    }

    // Exactly the acknowledged edits are in the audit log, each once.
    let log = sam.command("SEND:CMD:?auditlog 100").await;
    for (who, edits) in [("Sam", &in_alpha), ("Root", &in_beta)] {
        let mut logged: Vec<String> = log
            .iter()
            .filter_map(|line| line.split_once(&format!(" {who}: ")).map(|(_, action)| action.to_owned()))
            .filter(|action| action.starts_with("granted ") || action.starts_with("revoked "))
            .collect();
        logged.reverse();
        let edits = edits.lock();
        assert!(edits.acknowledged.len() < 50, "the audit log page holds them all");
        assert_eq!(logged, edits.acknowledged, "{who}'s edits, {} refused", edits.refused);
    }

    // Each zone applies the other's last acknowledged edits.
    for (zone, commands, edits) in [(&beta, ALPHA, &in_alpha), (&alpha, BETA, &in_beta)] {
        let mut pleb = zone.login("Pleb").await;
        for command in commands {
            let granted = edits.lock().acknowledged.iter().rev().find(|text| text.contains(command)).cloned();
            let granted = granted.is_some_and(|text| text.starts_with("granted "));
            let denied = format!("MSG:ARENA:You may not use ?{command}.");
            until(&mut pleb, &format!("SEND:CMD:?{command}"), |answer| {
                answer.starts_with(&denied) != granted
            })
            .await;
        }
    }
}
