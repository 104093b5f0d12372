//! Facing a hostile internet (issue 9, DESIGN §8): bounded password hashing,
//! a pre-login budget apart from the players', per-address limits, password
//! back-off that survives reconnects with aggregated audit rows, a store
//! that refuses writes, a reason for every disconnect, and no control
//! characters in anything other players see.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{FaultyStore, PATIENCE, TestZone, test_config, with_staff};
use config::{GroupPassword, PasswordHashing};
use zone_server::store::Store as _;

/// A `LOGINBAD` line and then a close: the whole answer to a refused login.
async fn refused(client: &mut common::Client) -> String {
    let lines = client.expect_closed().await;
    assert_eq!(lines.len(), 1, "one LOGINBAD line, then close: {lines:?}");
    assert!(lines[0].starts_with("LOGINBAD:"), "{lines:?}");
    lines[0].clone()
}

/// The seconds in `... try again in N s`.
fn wait_in(line: &str) -> u64 {
    let rest = line.rsplit_once("try again in ").unwrap_or_else(|| panic!("no wait in {line:?}")).1;
    rest.trim_end_matches(['.', 's', ' ']).parse().unwrap_or_else(|_| panic!("no wait in {line:?}"))
}

/// Waits until `name`'s total in the store is more than `above`; fails the
/// test after [`PATIENCE`].
async fn stored_total_passes(store: &FaultyStore, name: &str, above: Duration) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while store.inner.account(name).unwrap().unwrap().total <= above {
        assert!(tokio::time::Instant::now() < deadline, "{name}'s time never passed {above:?} in the store");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn logins_past_the_hashing_queue_are_told_the_zone_is_busy() {
    let mut config = test_config();
    // One hasher, no queue, and hashes that take a while: a burst of new
    // accounts cannot all be hashed at once.
    config.limits.password_hashers = 1;
    config.limits.password_queue = 0;
    config.limits.pre_login_per_address = 100;
    config.accounts.password_hashing =
        PasswordHashing { memory_kib: 16 * 1024, iterations: 8, parallelism: 1 };
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut clients = Vec::new();
    for i in 0..12 {
        let mut client = zone.connect().await;
        client.send(&format!("LOGIN:1;test:Player{i}:pw")).await;
        clients.push(client);
    }
    let (mut ok, mut busy) = (0, 0);
    for client in &mut clients {
        let line = client.recv().await;
        match line.as_str() {
            "LOGINBAD:the zone is busy; try again in a moment" => {
                busy += 1;
                assert_eq!(client.expect_closed().await, Vec::<String>::new());
            }
            line if line.starts_with("LOGINOK:") => ok += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(ok >= 1 && busy >= 1, "{ok} logged in, {busy} told busy");
    // The burst is over: a refused player gets in on the next try.
    let mut again = zone.connect().await;
    let name = format!("Player{}", 11);
    again.send(&format!("LOGIN:1;test:{name}:pw")).await;
    assert!(again.recv().await.starts_with("LOGINOK:"));
}

#[tokio::test]
async fn idle_sockets_from_one_address_do_not_lock_players_out() {
    let mut config = test_config();
    config.limits.pre_login_per_address = 3;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(zone.connect_from([127, 0, 0, 1]).await);
    }
    // Each idle socket was admitted: a line gets an answer.
    for client in &mut idle {
        client.send("SEND:PUB:hi").await;
        client.expect("MSG:ARENA:error: log in first: LOGIN:1;client name:name:password").await;
    }
    for _ in 0..5 {
        let mut more = zone.connect_from([127, 0, 0, 1]).await;
        assert_eq!(
            refused(&mut more).await,
            "LOGINBAD:too many connections from your address; try again later"
        );
    }
    // Another address gets in and is served.
    let mut player = zone.login_from("Player", [127, 0, 0, 2]).await;
    player.send("SEND:CMD:?uptime").await;
    player.expect_prefix("MSG:ARENA:Up ").await;
    // A socket that logs in leaves the pre-login budget...
    idle[0].send("LOGIN:1;test:Idler:pw").await;
    idle[0].expect("LOGINOK:Idler").await;
    let mut third = zone.connect_from([127, 0, 0, 1]).await;
    assert!(third.admitted().await);
    let mut fourth = zone.connect_from([127, 0, 0, 1]).await;
    assert!(!fourth.admitted().await, "three held again");
    // ...and one that closes gives its place back.
    drop(idle.pop());
    let mut admitted = false;
    for _ in 0..100 {
        if zone.connect_from([127, 0, 0, 1]).await.admitted().await {
            admitted = true;
            break;
        }
        // The zone may not have seen the close yet.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(admitted, "a place freed by a closed socket was never given back");
}

#[tokio::test]
async fn the_pre_login_budget_is_apart_from_the_players() {
    let mut config = test_config();
    config.limits.pre_login_connections = 2;
    config.limits.connections = 2;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    // Two players logged in take no pre-login place.
    let _alice = zone.login_from("Alice", [127, 0, 0, 1]).await;
    let _bob = zone.login_from("Bob", [127, 0, 0, 2]).await;
    let idle1 = zone.connect_from([127, 0, 0, 3]).await;
    let mut idle2 = zone.connect_from([127, 0, 0, 4]).await;
    idle2.send("SEND:PUB:x").await;
    idle2.expect_prefix("MSG:ARENA:error: log in first").await;
    let mut third = zone.connect_from([127, 0, 0, 5]).await;
    assert_eq!(refused(&mut third).await, "LOGINBAD:the zone is busy; try again in a moment");
    // The player limit: a third player is refused at login...
    idle2.send("LOGIN:1;test:Carol:pw").await;
    assert_eq!(refused(&mut idle2).await, "LOGINBAD:the zone is full; try again later");
    // ...but a player online may always log in again (the newest login wins),
    // once a pre-login place is free.
    drop(idle1);
    let mut alice_again = None;
    for _ in 0..100 {
        let mut client = zone.connect_from([127, 0, 0, 6]).await;
        if client.admitted().await {
            alice_again = Some(client);
            break;
        }
        // The zone may not have seen the close yet.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut alice_again = alice_again.expect("a place freed by a closed socket was never given back");
    alice_again.send("LOGIN:1;test:Alice:pw").await;
    alice_again.expect("LOGINOK:Alice").await;
    alice_again.expect_prefix("MSG:ARENA:Welcome to ").await;
    alice_again.send("SEND:CMD:?uptime").await;
    alice_again.expect_prefix("MSG:ARENA:Up ").await;
}

#[tokio::test]
async fn login_attempts_per_address_are_limited_per_minute() {
    let mut config = test_config();
    config.limits.login_attempts_per_minute = 3;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    for name in ["A1", "A2", "A3"] {
        zone.login_from(name, [127, 0, 0, 7]).await;
    }
    let mut fourth = zone.connect_from([127, 0, 0, 7]).await;
    fourth.send("LOGIN:1;test:A4:pw").await;
    let line = refused(&mut fourth).await;
    assert!(line.starts_with("LOGINBAD:too many login attempts from your address; try again in "), "{line}");
    assert!((1..=60).contains(&wait_in(&line)), "{line}");
    // Another address is not affected.
    zone.login_from("A4", [127, 0, 0, 8]).await;
}

#[tokio::test]
async fn wrong_passwords_back_off_across_reconnects_and_are_audited_once() {
    let mut config = test_config();
    config.limits.login_backoff.free_failures = 2;
    config.limits.login_backoff.base_secs = 30;
    let config = with_staff(config, &[("Admin", "smod", None)]);
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    drop(zone.login("Alice").await);
    for answer in ["wrong password", "wrong password", "wrong password; try again in 30 s"] {
        let mut guess = zone.connect_from([127, 0, 0, 9]).await;
        guess.send("LOGIN:1;test:Alice:guess").await;
        assert_eq!(refused(&mut guess).await, format!("LOGINBAD:{answer}"));
    }
    // Closed now, even with the right password and from another address.
    for from in [[127, 0, 0, 9], [127, 0, 0, 10]] {
        let mut right = zone.connect_from(from).await;
        right.send("LOGIN:1;test:Alice:pw").await;
        let line = refused(&mut right).await;
        assert!(line.starts_with("LOGINBAD:too many attempts; try again in "), "{line}");
        assert!((1..=30).contains(&wait_in(&line)), "{line}");
    }
    // And the guessing address is closed for other accounts too.
    let mut other = zone.connect_from([127, 0, 0, 9]).await;
    other.send("LOGIN:1;test:Bob:pw").await;
    assert!(refused(&mut other).await.starts_with("LOGINBAD:too many attempts"));

    let mut admin = zone.login_from("Admin", [127, 0, 0, 11]).await;
    let log = admin.command("SEND:CMD:?auditlog").await;
    let rows: Vec<&String> = log.iter().filter(|line| line.contains("wrong password")).collect();
    assert_eq!(rows.len(), 1, "one row for the account and window: {log:?}");
    assert!(rows[0].ends_with("Alice: wrong password at login (3 times since)"), "{rows:?}");
}

#[tokio::test]
async fn grplogin_answers_alike_and_backs_off_across_reconnects() {
    let mut config = test_config();
    config.limits.login_backoff.free_failures = 3;
    config.limits.login_backoff.base_secs = 60;
    let mut config = with_staff(config, &[("Admin", "smod", None)]);
    let hash = zone_server::password::hash("modpass", test_config().accounts.password_hashing).unwrap();
    config.staff.group_passwords.push(GroupPassword { group: "mod".to_owned(), hash });
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;

    let mut mallory = zone.login("Mallory").await;
    // No such group, a group without a password, a wrong password: one answer.
    for attempt in ["?grplogin nosuch x", "?grplogin smod x", "?grplogin mod wrong"] {
        assert_eq!(
            mallory.command(&format!("SEND:CMD:{attempt}")).await,
            ["MSG:ARENA:Wrong group or password."],
            "{attempt}"
        );
    }
    let fourth = mallory.command("SEND:CMD:?grplogin mod wrong").await;
    assert_eq!(fourth.len(), 1);
    assert!(fourth[0].starts_with("MSG:ARENA:Wrong group or password. Too many attempts; try again in "));
    // Reconnecting does not help, and the right password is not even tried.
    drop(mallory);
    let mut mallory = zone.login("Mallory").await;
    let closed = mallory.command("SEND:CMD:?grplogin mod modpass").await;
    assert_eq!(closed.len(), 1);
    assert!(closed[0].starts_with("MSG:ARENA:Too many attempts; try again in "), "{closed:?}");
    assert!((1..=60).contains(&wait_in(&closed[0])));
    assert_eq!(mallory.command("SEND:CMD:?getgroup").await, ["MSG:ARENA:You are in group default."]);

    // An honest player on another address logs in to the group.
    let mut helper = zone.login_from("Helper", [127, 0, 0, 12]).await;
    assert_eq!(
        helper.command("SEND:CMD:?grplogin mod modpass").await,
        ["MSG:ARENA:You are in group mod until you log out."]
    );

    let mut admin = zone.login("Admin").await;
    let log = admin.command("SEND:CMD:?auditlog").await;
    let failures: Vec<&String> = log.iter().filter(|line| line.contains("Mallory")).collect();
    assert_eq!(failures.len(), 1, "{log:?}");
    assert!(
        failures[0].ends_with("Mallory: wrong group or password at ?grplogin (4 times since)"),
        "{log:?}"
    );
    assert!(log.iter().any(|line| line.ends_with("Helper: logged in to group mod")), "{log:?}");
    assert!(!log.iter().any(|line| line.contains("modpass")), "{log:?}");
}

#[tokio::test]
async fn a_store_that_refuses_writes_degrades_without_locking_anyone_out() {
    let data = tempfile::tempdir().unwrap();
    let store = FaultyStore::open(data.path());
    let mut zone_config = test_config();
    zone_config.accounts.usage_checkpoint = Duration::from_millis(200);
    let config = with_staff(zone_config, &[("Root", "sysop", None)]);
    let zone = TestZone::start_with_store(config, store.clone()).await;
    drop(zone.login("Alice").await);
    let mut root = zone.login("Root").await;
    // Alice's first session is saved at logout (it may still be on its way).
    let before = store.inner.account("Alice").unwrap().unwrap().total;

    store.fail(true);
    // Existing players log in and chat.
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob_old = zone.connect().await;
    // New accounts are refused with a reason.
    bob_old.send("LOGIN:1;test:Newcomer:pw").await;
    assert_eq!(
        refused(&mut bob_old).await,
        "LOGINBAD:the zone cannot create new accounts right now; try again later"
    );
    root.go("lobby").await;
    alice.expect("ENTERING:Root:8:8025").await;
    root.send("SEND:PUB:still talking").await;
    alice.expect("MSG:PUB:Root:still talking").await;
    // An edit that cannot be stored is refused and not applied.
    assert_eq!(
        root.command("SEND:CMD:?grant default lsmod").await,
        [
            "MSG:ARENA:The zone could not store this (its database failed), so nothing was changed. Try again later."
        ]
    );
    assert_eq!(alice.command("SEND:CMD:?lsmod").await, ["MSG:ARENA:You may not use ?lsmod."]);

    // Alice's time cannot be saved while the store fails; it is kept and
    // written once the store takes writes again.
    drop(alice);
    root.expect("LEAVING:Alice").await;
    // The save at logout follows LEAVING; give it time to fail (if it ran
    // after the store recovered, the test would pass without a retry).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = store.inner.account("Alice").unwrap().unwrap().total;
    store.fail(false);
    stored_total_passes(&store, "Alice", during.max(before)).await;
    assert_eq!(root.command("SEND:CMD:?grant default lsmod").await, ["MSG:ARENA:Granted lsmod to default."]);
}

#[tokio::test]
async fn online_time_is_checkpointed_while_players_stay() {
    let data = tempfile::tempdir().unwrap();
    let store = FaultyStore::open(data.path());
    let mut zone_config = test_config();
    zone_config.accounts.usage_checkpoint = Duration::from_millis(200);
    let zone = TestZone::start_with_store(config::Config::from_zone(zone_config), store.clone()).await;
    let mut alice = zone.login("Alice").await;
    // Without logging out, Alice's time reaches the store (a whole second of
    // it takes two checkpoints).
    stored_total_passes(&store, "Alice", Duration::from_millis(999)).await;
    // ?usage does not count the checkpointed time twice: Alice has had no
    // other session, so the total is the session, give or take a second.
    let usage = alice.command("SEND:CMD:?usage").await;
    let fields: Vec<&str> = usage[0].split(", ").collect();
    let seconds = |field: &str| -> u64 {
        let hms = field.rsplit(' ').next().unwrap();
        hms.split(':').fold(0, |total, part| total * 60 + part.parse::<u64>().unwrap())
    };
    let (session, total) = (seconds(fields[0]), seconds(fields[1]));
    assert!(session >= 1 && total <= session && total + 1 >= session, "{usage:?}");
}

#[tokio::test]
async fn a_slow_reader_is_told_why_when_it_reads_again() {
    let mut config = test_config();
    config.limits.outbound_queue = 64;
    config.limits.lines_per_second = 1_000_000;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut talker = zone.enter("Talker", "lobby").await;
    let mut sleeper = zone.enter("Sleeper", "lobby").await;
    talker.expect("ENTERING:Sleeper:8:8025").await;
    // Sleeper stops reading; Talker talks until Sleeper is dropped.
    let text = "z".repeat(400);
    let burst: String = (0..100).map(|_| format!("SEND:PUB:{text}\n")).collect();
    let mut gone = false;
    for _ in 0..2000 {
        talker.send_raw(burst.as_bytes()).await;
        let lines = talker.barrier().await;
        if lines.iter().any(|line| line == "LEAVING:Sleeper") {
            gone = true;
            break;
        }
    }
    assert!(gone, "the sleeper was never disconnected");
    // Sleeper reads again: the chat that fitted in the buffers, then why.
    let lines = sleeper.expect_closed().await;
    let last = lines.last().map(String::as_str);
    assert_eq!(
        last,
        Some("MSG:ARENA:Disconnected: you were not reading fast enough."),
        "{} lines",
        lines.len()
    );
    let chat = format!("MSG:PUB:Talker:{text}");
    assert!(lines[..lines.len() - 1].iter().all(|line| *line == chat), "no line was cut short");
}

#[tokio::test]
async fn a_client_that_asks_but_never_reads_is_disconnected() {
    let mut config = test_config();
    config.limits.outbound_queue = 256;
    config.limits.lines_per_second = 1_000_000;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut watcher = zone.enter("Watcher", "lobby").await;
    // Two `?commands` answers must fit in what a connection takes from its
    // queue at a time (64 lines): more, and the queue would fill on its
    // own, whatever bounds the output buffer.
    let answer = watcher.command("SEND:CMD:?commands").await.len();
    assert!(2 * answer <= 64, "?commands answers {answer} lines: ask for fewer at a time");
    let mut asker = TestZone::log_in(zone.connect_with_receive_buffer(16 * 1024).await, "Asker").await;
    asker.go("lobby").await;
    watcher.expect("ENTERING:Asker:8:8025").await;
    // Asker asks for long answers and never reads them, two at a time,
    // each pair followed by a private message to Watcher that shows the
    // zone has handled it: so every read's replies fit in the queue, and
    // only the bound on what the connection holds besides it (its output
    // buffer) can stop it. Its small receive buffer fills at once; the
    // zone's send buffer within a few hundred KiB; past them, Asker is
    // dropped, not kept with ever more output (40 MB here at most).
    let mut gone = false;
    for round in 0..8_000 {
        let burst = format!("SEND:CMD:?commands\nSEND:CMD:?commands\nSEND:PRIV:Watcher:{round}\n");
        if asker.try_send_raw(burst.as_bytes()).await.is_err() {
            // The zone closed the socket: the others must see it leave.
            watcher.recv_until(|line| line == "LEAVING:Asker").await;
            gone = true;
            break;
        }
        let handled = format!("MSG:PRIV:Asker:{round}");
        let lines = watcher.recv_until(|line| line == handled || line == "LEAVING:Asker").await;
        if lines.last().is_some_and(|line| line == "LEAVING:Asker") {
            gone = true;
            break;
        }
    }
    assert!(gone, "a client that never read its replies was never disconnected");
    let farewell = asker.expect_closed().await;
    assert_eq!(
        farewell.last().map(String::as_str),
        Some("MSG:ARENA:Disconnected: you were not reading fast enough.")
    );
}

#[tokio::test]
async fn a_logout_stamp_written_late_keeps_its_time_and_counts_no_time_again() {
    let data = tempfile::tempdir().unwrap();
    let store = FaultyStore::open(data.path());
    let mut zone_config = test_config();
    zone_config.accounts.usage_checkpoint = Duration::from_millis(200);
    let zone = TestZone::start_with_store(config::Config::from_zone(zone_config), store.clone()).await;
    let mut watcher = zone.enter("Watcher", "lobby").await;
    let alice = zone.enter("Alice", "lobby").await;
    watcher.expect("ENTERING:Alice:8:8025").await;
    // Alice's session is written in two steps, her time then her logout;
    // the second fails, and is tried again at every checkpoint (0.2 s).
    store.failing_logouts.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let seen_at_login = store.inner.account("Alice").unwrap().unwrap().last_seen;
    drop(alice);
    watcher.expect("LEAVING:Alice").await;
    let left = zone_server::store::Time::now().0.as_second();
    stored_total_passes(&store, "Alice", Duration::from_secs(1)).await;
    // Ten checkpoints later the logout is still not stamped, and her time
    // was not added again with each try.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let account = store.inner.account("Alice").unwrap().unwrap();
    assert!(
        account.total < Duration::from_secs(2),
        "one session of 1.1 s was counted as {:?}",
        account.total
    );
    assert_eq!(account.last_seen, seen_at_login, "the logout was stamped while the store refused it");
    // Once the store takes it, the logout is stamped with the time she
    // left, not the time of the write two seconds later (`?seen`).
    store.failing_logouts.store(false, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while store.inner.account("Alice").unwrap().unwrap().last_seen == seen_at_login {
        assert!(tokio::time::Instant::now() < deadline, "the logout was never stamped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let account = store.inner.account("Alice").unwrap().unwrap();
    assert!(
        account.total < Duration::from_secs(2),
        "after the logout was stamped, the session counted {:?}",
        account.total
    );
    // Whole seconds, and a second for rounding at the edge of one.
    let late = account.last_seen.0.as_second() - left;
    assert!(late <= 1, "the logout was stamped {late} s after she left");
}

#[tokio::test]
async fn a_client_that_keeps_flooding_is_disconnected_with_the_reason() {
    let mut config = test_config();
    config.limits.lines_per_second = 5;
    config.limits.flood_disconnect_secs = 2;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut flooder = zone.enter("Flooder", "lobby").await;
    let burst: String = (0..20).map(|i| format!("SEND:PUB:{i}\n")).collect();
    let reason = "MSG:ARENA:Disconnected: you sent too many lines too fast.";
    let mut lines = Vec::new();
    for _ in 0..100 {
        // A write may fail once the zone has closed the connection.
        if flooder.try_send_raw(burst.as_bytes()).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        lines.extend(flooder.drain().await);
        if lines.iter().any(|line| line == reason) {
            break;
        }
    }
    lines.extend(flooder.expect_closed().await);
    assert_eq!(lines.last().map(String::as_str), Some(reason), "{lines:?}");
    let warnings = lines.iter().filter(|line| line.contains("lines are being dropped")).count();
    assert!(warnings >= 1, "warned before: {lines:?}");
}

#[tokio::test]
async fn control_characters_are_refused_in_every_message_type() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    for (line, code) in [
        ("SEND:PUB:clear\u{1b}[2Jscreen", "001B"),
        ("SEND:PUBM:nul\0here", "0000"),
        ("SEND:PRIV:Alice:next\u{85}line", "0085"),
        ("SEND:FREQ:8025:line\u{2028}separator", "2028"),
        ("SEND:PUB:para\u{2029}graph", "2029"),
        ("SEND:PUB:\u{202e}reversed", "202E"),
        ("SEND:CMD:?find Al\u{7}ice", "0007"),
        ("SEND:PRIVCMD:Alice:?usage\u{9}x", "0009"),
        ("GO:lob\u{1b}by", "001B"),
    ] {
        assert_eq!(
            bob.command(line).await,
            [format!("MSG:ARENA:error: line contains the control character U+{code}; dropped")],
            "{line:?}"
        );
    }
    // Alice saw none of it; ordinary non-ASCII text passes.
    bob.send("SEND:PUB:caf\u{e9} \u{2603}").await;
    alice.expect("MSG:PUB:Bob:caf\u{e9} \u{2603}").await;
    // A name with a control character never logs in.
    let mut eve = zone.connect().await;
    eve.send("LOGIN:1;test:Ev\u{1b}e:pw").await;
    eve.expect("MSG:ARENA:error: line contains the control character U+001B; dropped").await;
}

/// Issue 11: store work never runs on the async threads. A `?reloadconf`
/// whose database read is held (a slow disk) must not stop the zone: on the
/// test's one-thread runtime, a read on the async thread would stall every
/// connection until it ended, and Bob's chat would not arrive meanwhile.
#[tokio::test]
async fn a_slow_store_read_does_not_stall_the_zone() {
    let data = tempfile::tempdir().unwrap();
    let store = FaultyStore::open(data.path());
    let config = with_staff(test_config(), &[("Root", "sysop", None)]);
    let zone = TestZone::start_with_store(config, store.clone()).await;
    let mut root = zone.login("Root").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    let mut carol = zone.enter("Carol", "lobby").await;
    bob.barrier().await;

    let (release, reached) = store.hold_next_read();
    root.send("SEND:CMD:?reloadconf").await;
    let waited = tokio::task::spawn_blocking(move || reached.recv_timeout(PATIENCE)).await.unwrap();
    assert!(waited.is_ok(), "the reload never read the store");
    // The read is held; the zone goes on.
    bob.send("SEND:PUB:still here").await;
    carol.expect("MSG:PUB:Bob:still here").await;
    let _ = release.send(());
    root.expect("MSG:ARENA:The zone runs on its embedded config; memberships and rules reloaded.").await;
    assert!(!store.gate_gave_up.load(std::sync::atomic::Ordering::SeqCst), "the zone stalled on the read");
}
