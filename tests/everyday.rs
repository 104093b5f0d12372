//! Everyday commands over real TCP (issue 16): passwords and one-time
//! passwords, ignore lists, offline messages, the message of the day,
//! announcements, `?version` and `?zone`, realm locks, `?setfreq` and
//! `?specall`, and help topics; each staff command refused by group and by
//! rank.
#![allow(clippy::unwrap_used)]

mod common;

use common::{FaultyStore, PATIENCE, TestZone, ask, test_config, with_staff};

/// The staff of these tests: two mods, an smod and a sysop.
fn staffed(zone: config::ZoneConfig) -> config::Config {
    with_staff(
        zone,
        &[("Mod", "mod", None), ("Mo", "mod", None), ("Sam", "smod", None), ("Root", "sysop", None)],
    )
}

#[tokio::test]
async fn a_password_change_is_refused_in_chat_checks_the_old_one_and_holds_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let zone = TestZone::start_config(staffed(test_config()), data).await;
    let mut alice = zone.login("Alice").await;

    assert_eq!(
        ask(&mut alice, "SEND:PUB:?passwd pw s3cret").await,
        "?passwd works only as a command (SEND:CMD), not in chat. If that was your password, change it now."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?passwd nope s3cret").await, "Wrong password; nothing was changed.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?passwd pw pw").await,
        "The new password is the old one; choose another."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?passwd pw s3cret").await,
        "Your password is changed; log in with the new one from now on."
    );
    let (_, answer) = zone.login_as("Alice", "pw").await;
    assert_eq!(answer, "LOGINBAD:wrong password");
    // The newest login wins: the new password replaces the session.
    let (_again, answer) = zone.login_as("Alice", "s3cret").await;
    assert_eq!(answer, "LOGINOK:Alice");
    assert_eq!(
        alice.expect_closed().await,
        ["MSG:ARENA:Disconnected: you logged in from another connection."]
    );

    let mut root = zone.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 5").await;
    assert!(log.iter().any(|line| line.ends_with(" Alice: changed their password")), "{log:?}");
    assert!(log.iter().all(|line| !line.contains("s3cret")), "{log:?}");
    drop((root, _again));

    let data = zone.stop().await;
    let zone = TestZone::start_config(staffed(test_config()), data).await;
    assert_eq!(zone.login_as("Alice", "pw").await.1, "LOGINBAD:wrong password");
    assert_eq!(zone.login_as("Alice", "s3cret").await.1, "LOGINOK:Alice");
}

#[tokio::test]
async fn a_login_that_checked_the_old_password_while_it_changed_is_refused() {
    let store = FaultyStore::open(tempfile::tempdir().unwrap().path());
    let zone = TestZone::start_with_store(staffed(test_config()), store.clone()).await;
    let mut alice = zone.login("Alice").await;

    // Another connection has read Alice's old hash when the password changes.
    let (release, reached) = store.hold_next_credentials();
    let mut late = zone.connect().await;
    late.send("LOGIN:1;test:Alice:pw").await;
    let waited = tokio::task::spawn_blocking(move || reached.recv_timeout(PATIENCE)).await.unwrap();
    assert!(waited.is_ok(), "the login never read the store");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?passwd pw n3w-one").await,
        "Your password is changed; log in with the new one from now on."
    );
    let _ = release.send(());
    assert_eq!(
        late.expect_closed().await,
        ["LOGINBAD:the password of this account was just changed; log in with the new one"]
    );
    // Alice's session stays.
    assert!(ask(&mut alice, "SEND:CMD:?uptime").await.starts_with("Up "));
}

#[tokio::test]
async fn a_kick_stops_the_lines_the_player_sent_after_the_command_being_handled() {
    let store = FaultyStore::open(tempfile::tempdir().unwrap().path());
    let zone = TestZone::start_with_store(staffed(test_config()), store.clone()).await;
    let mut thief = zone.enter("Alice", "lobby").await;
    let mut sam = zone.enter("Sam", "lobby").await;
    thief.barrier().await;

    // Two lines in one write, read together; the first waits on the store
    // while Alice's password is reset, which kicks her.
    let (release, reached) = store.hold_next_credentials();
    thief.send_raw(b"SEND:CMD:?passwd pw stolen\r\nSEND:PUB:after the kick\r\n").await;
    let waited = tokio::task::spawn_blocking(move || reached.recv_timeout(PATIENCE)).await.unwrap();
    assert!(waited.is_ok(), "?passwd never read the store");
    let reply = ask(&mut sam, "SEND:PRIVCMD:Alice:?resetpw").await;
    assert!(reply.contains("one-time password is "), "{reply}");
    let _ = release.send(());
    let farewell = thief.expect_closed().await;
    assert!(
        farewell.last().unwrap().starts_with("MSG:ARENA:Disconnected: your password was reset"),
        "{farewell:?}"
    );
    // The line after the kick was not handled: nobody heard it.
    let heard = sam.barrier().await;
    assert!(!heard.iter().any(|line| line.contains("after the kick")), "{heard:?}");
}

#[tokio::test]
async fn a_password_change_that_checked_the_old_hash_does_not_undo_a_reset_made_meanwhile() {
    let store = FaultyStore::open(tempfile::tempdir().unwrap().path());
    let zone = TestZone::start_with_store(staffed(test_config()), store.clone()).await;
    let mut thief = zone.login("Alice").await;
    let mut sam = zone.login("Sam").await;

    let (release, reached) = store.hold_next_credentials();
    thief.send("SEND:CMD:?passwd pw stolen").await;
    let waited = tokio::task::spawn_blocking(move || reached.recv_timeout(PATIENCE)).await.unwrap();
    assert!(waited.is_ok(), "?passwd never read the store");
    let reply = ask(&mut sam, "SEND:PRIVCMD:Alice:?resetpw").await;
    let otp = reply.split("one-time password is ").nth(1).and_then(|rest| rest.split(':').next()).unwrap();
    let _ = release.send(());
    // The reset's kick wins: what the refused change answered is dropped
    // with the rest of the queue.
    let farewell = thief.expect_closed().await;
    assert_eq!(
        farewell.last().unwrap(),
        "MSG:ARENA:Disconnected: your password was reset by Sam; log in with the one-time password staff give you."
    );
    assert_eq!(zone.login_as("Alice", "stolen").await.1, "LOGINBAD:wrong password");
    assert_eq!(zone.login_as("Alice", otp).await.1, "LOGINOK:Alice");
}

#[tokio::test]
async fn a_reset_closes_the_players_session_and_the_one_time_password_must_be_changed_first() {
    let data = tempfile::tempdir().unwrap();
    let zone = TestZone::start_config(staffed(test_config()), data).await;
    let mut bob = zone.login("Bob").await;
    let mut sam = zone.login("Sam").await;
    let mut moderator = zone.login("Mod").await;

    // Group and rank refusals.
    assert_eq!(
        ask(&mut moderator, "SEND:PRIVCMD:Bob:?resetpw").await,
        "You may not use ?resetpw to a player."
    );
    let _root = zone.login("Root").await;
    assert_eq!(
        ask(&mut sam, "SEND:PRIVCMD:Root:?resetpw").await,
        "You may not reset the password of Root: their group sysop (rank 30) is not ranked below yours (smod, rank 20)."
    );

    let reply = ask(&mut sam, "SEND:PRIVCMD:Bob:?resetpw").await;
    let otp = reply
        .strip_prefix("Reset Bob's password. Their one-time password is ")
        .and_then(|rest| rest.split_once(':'))
        .map(|(otp, _)| otp.to_owned())
        .unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(otp.len(), 10, "{reply}");
    assert_eq!(
        bob.expect_closed().await,
        [
            "MSG:ARENA:Disconnected: your password was reset by Sam; log in with the one-time password staff give you."
        ]
    );
    assert_eq!(zone.login_as("Bob", "pw").await.1, "LOGINBAD:wrong password");

    let (mut bob, answer) = zone.login_as("Bob", &otp).await;
    assert_eq!(answer, "LOGINOK:Bob");
    bob.expect(
        "MSG:ARENA:Your password was reset by staff. Change it now with ?passwd <one-time password> <new password>; until then nothing else works.",
    )
    .await;
    // Nothing but ?passwd: chat, moving, other commands.
    let refused = "MSG:ARENA:error: your password was reset: change it first with ?passwd <one-time password> <new password>";
    for line in ["SEND:PUB:hello", "GO:lobby", "SEND:CMD:?arena", "SEND:PRIV:Sam:psst"] {
        bob.send(line).await;
        bob.expect(refused).await;
    }
    bob.send(&format!("SEND:CMD:?passwd {otp} b0b-new")).await;
    bob.expect("MSG:ARENA:Your password is changed; log in with the new one from now on.").await;
    // Free again.
    assert!(ask(&mut bob, "SEND:CMD:?uptime").await.starts_with("Up "));
    drop(bob);

    let data = zone.stop().await;
    let zone = TestZone::start_config(staffed(test_config()), data).await;
    assert_eq!(zone.login_as("Bob", &otp).await.1, "LOGINBAD:wrong password");
    let (mut bob, answer) = zone.login_as("Bob", "b0b-new").await;
    assert_eq!(answer, "LOGINOK:Bob");
    assert!(ask(&mut bob, "SEND:CMD:?uptime").await.starts_with("Up "), "no reset notice after the change");
    let mut root = zone.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 10").await;
    assert!(log.iter().any(|line| line.ends_with(" Sam: reset Bob's password")), "{log:?}");
    assert!(log.iter().all(|line| !line.contains(&otp)), "{log:?}");
}

#[tokio::test]
async fn ignored_players_chat_does_not_arrive_across_a_reconnect_but_staff_chat_and_announcements_do() {
    let mut zone_config = test_config();
    zone_config.limits.ignores_per_player = 2;
    let config = with_staff(zone_config, &[("Alice", "mod", None), ("Bob", "mod", None)]);
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    drop(zone.login("Dave").await);
    drop(zone.login("Eve").await);
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    let mut carol = zone.enter("Carol", "lobby").await;
    for player in [&mut alice, &mut bob, &mut carol] {
        player.command("SEND:CMD:?chat=news").await;
    }
    alice.barrier().await;
    bob.barrier().await;

    assert_eq!(
        ask(&mut alice, "SEND:CMD:?ignore bob").await,
        "You ignore Bob now: their chat does not reach you. ?unignore Bob undoes it."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?ignore Alice").await, "You cannot ignore yourself.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?ignore Zed").await, "Nobody called 'Zed' has played here.");

    let chat = ["SEND:PUB:pub", "SEND:FREQ:8025:team", "SEND:PRIV:Alice:private", "SEND:CHAT:channel"];
    for line in chat.iter().chain(&["SEND:MOD:staff", "SEND:CMD:?a announced"]) {
        bob.send(line).await;
    }
    bob.barrier().await;
    assert_eq!(
        carol.barrier().await,
        ["MSG:PUB:Bob:pub", "MSG:FREQ:Bob:team", "MSG:CHAT:1:Bob> channel", "MSG:ARENA:Bob: announced"]
    );
    assert_eq!(alice.barrier().await, ["MSG:MOD:Bob:staff", "MSG:ARENA:Bob: announced"]);

    // A new session of Alice still ignores Bob.
    drop(alice);
    let mut alice = zone.enter("Alice", "lobby").await;
    alice.command("SEND:CMD:?chat=news").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?ignore").await, "You ignore Bob.");
    bob.barrier().await;
    for line in chat {
        bob.send(line).await;
    }
    bob.barrier().await;
    assert_eq!(alice.barrier().await, Vec::<String>::new());

    // Bounded.
    ask(&mut alice, "SEND:CMD:?ignore Dave").await;
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?ignore Eve").await,
        "You ignore 2 names already, the most you may; ?unignore one first."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?unignore BOB").await, "You no longer ignore Bob.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?unignore Bob").await,
        "You do not ignore 'Bob'. ?ignore lists whom you do."
    );
    bob.send("SEND:PRIV:Alice:back").await;
    alice.expect("MSG:PRIV:Bob:back").await;
}

#[tokio::test]
async fn offline_messages_wait_for_the_next_login_within_their_bounds() {
    let mut zone_config = test_config();
    zone_config.limits.messages_per_recipient = 2;
    zone_config.limits.messages_per_day = 3;
    let zone = TestZone::start_with(zone_config, tempfile::tempdir().unwrap()).await;
    drop(zone.login("Dave").await);
    drop(zone.login("Eve").await);
    let mut alice = zone.login("Alice").await;

    let kept = "Your message to Dave is kept until they read it.";
    assert_eq!(ask(&mut alice, "SEND:CMD:?message dave hello there").await, kept);
    assert_eq!(ask(&mut alice, "SEND:CMD:?message Dave second: with a colon").await, kept);
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?message Dave third").await,
        "Dave's message box is full (2 unread); try again when they have read them."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?message Zed hi").await, "Nobody called 'Zed' has played here.");
    assert_eq!(
        alice.command("SEND:CMD:?message Dave").await,
        ["MSG:ARENA:Say what the message is.", "MSG:ARENA:Usage: ?message <name> <text>"]
    );

    let mut dave = zone.login("Dave").await;
    dave.expect("MSG:ARENA:You have 2 messages (?messages).").await;
    let read = dave.command("SEND:CMD:?messages").await;
    assert_eq!(read.len(), 2, "{read:?}");
    assert!(read[0].starts_with("MSG:ARENA:20") && read[0].ends_with(" UTC Alice: hello there"), "{read:?}");
    assert!(read[1].ends_with(" UTC Alice: second: with a colon"), "{read:?}");
    assert_eq!(ask(&mut dave, "SEND:CMD:?messages").await, "You have no messages.");

    // The third sent today (the refused one did not count); then the day's
    // share is spent.
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?message Eve hi").await,
        "Your message to Eve is kept until they read it."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?message Eve again").await,
        "You have sent 3 messages today, the most a day (UTC); try again tomorrow."
    );

    // An online recipient is told at once; an ignored sender's messages
    // are dropped, those sent before the ignore too.
    let mut carol = zone.login("Carol").await;
    ask(&mut carol, "SEND:CMD:?message Dave first").await;
    dave.expect("MSG:ARENA:You have a new message from Carol (?messages).").await;
    ask(&mut dave, "SEND:CMD:?ignore Carol").await;
    assert_eq!(ask(&mut carol, "SEND:CMD:?message Dave second").await, kept);
    assert_eq!(dave.barrier().await, Vec::<String>::new(), "no notice from an ignored sender");
    assert_eq!(ask(&mut dave, "SEND:CMD:?messages").await, "You have no messages.");
}

#[tokio::test]
async fn the_message_of_the_day_follows_the_welcome_and_version_and_zone_describe_the_server() {
    let mut zone_config = test_config();
    zone_config.name = "Test Zone".to_owned();
    zone_config.motd = "Rules: ?help rules\nTournament tonight at 20:00 UTC.\n".to_owned();
    let zone = TestZone::start_with(zone_config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.login("Alice").await;
    alice.expect("MSG:ARENA:Rules: ?help rules").await;
    alice.expect("MSG:ARENA:Tournament tonight at 20:00 UTC.").await;
    alice.go("lobby").await;

    let version = ask(&mut alice, "SEND:CMD:?version").await;
    assert!(version.starts_with(&format!("zone-server {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(!version.contains("(commit )"), "{version}");
    let about = ask(&mut alice, "SEND:CMD:?zone").await;
    assert!(about.starts_with("Test Zone: up 0:00:"), "{about}");
    assert!(about.ends_with(", 1 player online, 1 realm."), "{about}");
}

#[tokio::test]
async fn announcements_reach_the_realm_or_the_whole_zone() {
    let zone = TestZone::start_config(staffed(test_config()), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    let mut far = zone.enter("Far", "duel").await;
    let mut root = zone.login("Root").await;
    moderator.barrier().await;

    assert_eq!(
        moderator.command("SEND:CMD:?a Restart in 5 minutes").await,
        ["MSG:ARENA:Mod: Restart in 5 minutes"]
    );
    pleb.expect("MSG:ARENA:Mod: Restart in 5 minutes").await;
    assert_eq!(far.barrier().await, Vec::<String>::new());
    assert_eq!(ask(&mut pleb, "SEND:CMD:?a hi").await, "You may not use ?a.");
    assert_eq!(ask(&mut moderator, "SEND:CMD:?az hi").await, "You may not use ?az. Did you mean ?a?");
    assert_eq!(
        ask(&mut root, "SEND:CMD:?a hi").await,
        "Enter a realm first: ?a announces to the realm you are in."
    );

    assert_eq!(root.command("SEND:CMD:?az Restarting now").await, ["MSG:ARENA:Root: Restarting now"]);
    for player in [&mut moderator, &mut pleb, &mut far] {
        player.expect("MSG:ARENA:Root: Restarting now").await;
    }
}

#[tokio::test]
async fn a_locked_realm_refuses_players_and_admits_staff() {
    let zone = TestZone::start_config(staffed(test_config()), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "duel").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    assert_eq!(ask(&mut pleb, "SEND:CMD:?lock").await, "You may not use ?lock.");

    assert_eq!(
        moderator.command("SEND:CMD:?lock").await,
        ["MSG:ARENA:Mod locked this realm: only staff may enter it now."]
    );
    assert_eq!(ask(&mut moderator, "SEND:CMD:?lock").await, "Realm duel is locked already.");
    assert_eq!(
        pleb.command("GO:duel").await,
        ["MSG:ARENA:error: realm duel is locked; only staff may enter it now"]
    );
    assert_eq!(
        ask(&mut pleb, "SEND:CMD:?go duel").await,
        "realm duel is locked; only staff may enter it now"
    );
    let arena = pleb.command("SEND:CMD:?arena").await;
    assert!(arena.contains(&"MSG:ARENA:  duel 1 (locked)".to_owned()), "{arena:?}");

    let mut mo = zone.enter("Mo", "duel").await;
    moderator.expect("ENTERING:Mo:8:8025").await;
    assert_eq!(moderator.command("SEND:CMD:?unlock").await, ["MSG:ARENA:Mod unlocked this realm."]);
    mo.expect("MSG:ARENA:Mod unlocked this realm.").await;
    pleb.go("duel").await;
    moderator.expect("ENTERING:Pleb:8:8025").await;
}

#[tokio::test]
async fn setfreq_and_specall_move_players_the_realm_sees_it_and_rank_is_checked() {
    let zone = TestZone::start_config(staffed(test_config()), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    let mut sam = zone.enter("Sam", "lobby").await;
    sam.send("CHANGEFREQ:5").await;
    for player in [&mut moderator, &mut pleb, &mut sam] {
        player.recv_until(|line| line == "SHIPFREQCHANGE:Sam:8:5").await;
    }

    assert_eq!(
        moderator.command("SEND:PRIVCMD:Pleb:?setfreq 3").await,
        ["SHIPFREQCHANGE:Pleb:8:3", "MSG:ARENA:Put Pleb on freq 3."]
    );
    pleb.expect("SHIPFREQCHANGE:Pleb:8:3").await;
    pleb.expect("MSG:ARENA:Mod put you on freq 3.").await;
    sam.expect("SHIPFREQCHANGE:Pleb:8:3").await;
    assert_eq!(
        ask(&mut moderator, "SEND:PRIVCMD:Sam:?setfreq 1").await,
        "You may not move Sam: their group smod (rank 20) is not ranked below yours (mod, rank 10)."
    );
    assert_eq!(ask(&mut pleb, "SEND:PRIVCMD:Mod:?setfreq 1").await, "You may not use ?setfreq to a player.");
    assert_eq!(
        moderator.command("SEND:PRIVCMD:Pleb:?setfreq 10000").await,
        ["MSG:ARENA:A freq is 0 to 9999.", "MSG:ARENA:Usage: ?setfreq <freq>"]
    );
    assert_eq!(ask(&mut pleb, "SEND:CMD:?specall").await, "You may not use ?specall.");

    assert_eq!(
        moderator.command("SEND:CMD:?specall").await,
        [
            "SHIPFREQCHANGE:Pleb:8:8025",
            "MSG:ARENA:Moved 1 player to the spectator freq.",
            "MSG:ARENA:Left where they are (not ranked below you): Sam."
        ]
    );
    assert_eq!(pleb.barrier().await, ["SHIPFREQCHANGE:Pleb:8:8025"]);
    assert_eq!(sam.barrier().await, ["SHIPFREQCHANGE:Pleb:8:8025"]);
}

#[tokio::test]
async fn help_topics_are_shown_listed_and_a_command_of_the_same_name_wins() {
    let dir = tempfile::tempdir().unwrap();
    let help = dir.path().join("help");
    std::fs::create_dir(&help).unwrap();
    std::fs::write(help.join("rules.txt"), "1. Be nice.\n\n2. No spam.\n").unwrap();
    std::fs::write(help.join("go.txt"), "Go away.\n").unwrap();
    let mut config = staffed(test_config());
    config.help = config::HelpTopics::load(dir.path()).unwrap();
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.login("Alice").await;

    assert_eq!(
        alice.command("SEND:CMD:?help rules").await,
        ["MSG:ARENA:1. Be nice.", "MSG:ARENA:", "MSG:ARENA:2. No spam."]
    );
    assert_eq!(alice.command("SEND:CMD:?help RULES").await.len(), 3, "any case");
    let index = alice.command("SEND:CMD:?help").await;
    assert_eq!(index.last().unwrap(), "MSG:ARENA:Help topics: go, rules. ?help <topic> shows one.");
    let go = alice.command("SEND:CMD:?help go").await;
    assert!(go[0].starts_with("MSG:ARENA:?go - Moves you"), "the command wins: {go:?}");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?help nonsense").await,
        "No command or help topic 'nonsense'. Type ?commands for commands, ?help for topics."
    );

    let mut moderator = zone.login("Mod").await;
    let health = moderator.command("SEND:CMD:?health").await;
    let clash = format!(
        "MSG:ARENA:Help topic 'go' ({}) is hidden: ?go has its name, and a command wins.",
        help.join("go.txt").display()
    );
    assert!(health.contains(&clash), "{health:?}");
}
