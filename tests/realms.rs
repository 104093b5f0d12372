//! Entering and leaving realms: INARENA, PLAYER lists, ENTERING and LEAVING
//! (also on disconnect), freq changes, `?go` and `?arena`.

mod common;

use common::{TestZone, ask, test_config};

#[tokio::test]
async fn entering_lists_the_other_players_present_and_tells_them() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    alice.send("GO:").await;
    alice.expect("INARENA:lobby:8025").await;
    // No PLAYER line for oneself (ASSS): clients add themselves on INARENA.
    assert_eq!(alice.barrier().await, Vec::<String>::new());

    let mut bob = zone.login("Bob").await;
    bob.send("GO:lobby").await;
    bob.expect("INARENA:lobby:8025").await;
    bob.expect("PLAYER:Alice:8:8025").await;
    assert_eq!(bob.barrier().await, Vec::<String>::new());
    alice.expect("ENTERING:Bob:8:8025").await;
}

#[tokio::test]
async fn entering_a_realm_of_more_players_than_a_queue_holds_lists_them_all() {
    let mut config = test_config();
    config.limits.outbound_queue = 8;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut present: Vec<common::Client> = Vec::new();
    for n in 0..20 {
        let mut player = zone.enter(&format!("P{n:02}"), "crowd").await;
        // Read the arrivals so far, so no queue fills with them.
        for earlier in &mut present {
            earlier.expect(&format!("ENTERING:P{n:02}:8:8025")).await;
        }
        player.barrier().await;
        present.push(player);
    }
    // Twenty PLAYER lines are one item of the newcomer's queue of eight: not
    // a reason to call them a slow reader.
    let mut newcomer = zone.login("Late").await;
    newcomer.send("GO:crowd").await;
    newcomer.expect("INARENA:crowd:8025").await;
    let listed = newcomer.barrier().await;
    let expected: Vec<String> = (0..20).map(|n| format!("PLAYER:P{n:02}:8:8025")).collect();
    assert_eq!(listed, expected);
    // Still connected, and answered.
    assert!(ask(&mut newcomer, "SEND:CMD:?uptime").await.starts_with("Up "));
}

#[tokio::test]
async fn leaving_by_go_or_disconnect_tells_the_realm() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;

    // Realm names are case-insensitive and shown in lower case.
    bob.send("GO:Duel").await;
    bob.expect("INARENA:duel:8025").await;
    alice.expect("LEAVING:Bob").await;

    let mut carol = zone.enter("Carol", "duel").await;
    bob.expect("ENTERING:Carol:8:8025").await;
    drop(bob);
    carol.expect("LEAVING:Bob").await;
}

#[tokio::test]
async fn changefreq_is_announced_to_the_realm() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    bob.send("CHANGEFREQ:2").await;
    bob.expect("SHIPFREQCHANGE:Bob:8:2").await;
    alice.expect("SHIPFREQCHANGE:Bob:8:2").await;
    // A newcomer sees Bob on his freq.
    let mut carol = zone.login("Carol").await;
    let players = carol.go("lobby").await;
    assert_eq!(players, ["PLAYER:Alice:8:8025", "PLAYER:Bob:8:2"]);
    bob.expect("ENTERING:Carol:8:8025").await;

    assert_eq!(
        bob.command("CHANGEFREQ:10000").await,
        ["MSG:ARENA:error: '10000' is not a freq: use 0 to 9999"]
    );
    assert_eq!(bob.command("CHANGEFREQ:red").await, ["MSG:ARENA:error: 'red' is not a freq: use 0 to 9999"]);
    let mut dave = zone.login("Dave").await;
    assert_eq!(dave.command("CHANGEFREQ:1").await, ["MSG:ARENA:error: enter a realm before changing freq"]);
}

#[tokio::test]
async fn go_command_moves_the_player_and_arena_lists_counts() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;

    let lines = bob.command("SEND:CMD:?go duel").await;
    assert_eq!(lines, ["INARENA:duel:8025"]);
    alice.expect("LEAVING:Bob").await;

    assert_eq!(
        alice.command("SEND:CMD:?arena").await,
        ["MSG:ARENA:Realms (players):", "MSG:ARENA:  duel 1", "MSG:ARENA:  lobby 1 (you are here)"]
    );
    // A realm made on demand goes when its last player leaves; declared ones stay.
    bob.go("lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    assert_eq!(
        alice.command("SEND:CMD:?arena").await,
        ["MSG:ARENA:Realms (players):", "MSG:ARENA:  lobby 2 (you are here)"]
    );

    // Re-entering the realm one is alone in keeps it.
    bob.go("solo").await;
    alice.expect("LEAVING:Bob").await;
    assert_eq!(bob.go("solo").await, Vec::<String>::new());

    assert_eq!(
        alice.command("SEND:CMD:?go bad!name").await,
        ["MSG:ARENA:'bad!name' is not a realm name: use 1 to 15 letters, digits, '_' or '-'"]
    );
    assert_eq!(
        alice.command("SEND:CMD:?go no spaces").await,
        ["MSG:ARENA:Unexpected 'spaces'.", "MSG:ARENA:Usage: ?go [realm]"]
    );
}
