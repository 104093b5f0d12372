//! Chat routing: public chat stays in its realm, team chat on its freq,
//! private messages reach any realm. Non-delivery is shown with a barrier: a
//! later private message from the same sender arrives first.

mod common;

use common::{Client, TestZone};

/// Asserts `to` received nothing from `from` before `from`'s next private
/// message: the server handles `from`'s lines in order and `to`'s queue is FIFO.
async fn assert_nothing_before_marker(from: &mut Client, to: &mut Client) {
    from.send(&format!("SEND:PRIV:{}:marker", to.name)).await;
    to.expect(&format!("MSG:PRIV:{}:marker", from.name)).await;
}

#[tokio::test]
async fn public_chat_reaches_the_realm_only_and_is_not_echoed() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    let mut carol = zone.enter("Carol", "duel").await;
    alice.expect("ENTERING:Bob:8:8025").await;

    alice.send("SEND:PUB:hello: world").await;
    bob.expect("MSG:PUB:Alice:hello: world").await;
    assert_nothing_before_marker(&mut alice, &mut carol).await;
    // Not echoed to the sender.
    assert_eq!(alice.barrier().await, Vec::<String>::new());

    alice.send("SEND:PUBM:macro").await;
    bob.expect("MSG:PUBM:Alice:macro").await;
}

#[tokio::test]
async fn team_chat_reaches_that_freq_in_that_realm() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    let mut carol = zone.enter("Carol", "lobby").await;
    let mut dave = zone.enter("Dave", "duel").await;
    for (player, freq) in [(&mut alice, 1), (&mut bob, 1), (&mut dave, 1)] {
        player.send(&format!("CHANGEFREQ:{freq}")).await;
    }
    alice.recv_until(|line| line == "SHIPFREQCHANGE:Bob:8:1").await;
    bob.recv_until(|line| line == "SHIPFREQCHANGE:Bob:8:1").await;
    carol.recv_until(|line| line == "SHIPFREQCHANGE:Bob:8:1").await;
    dave.recv_until(|line| line == "SHIPFREQCHANGE:Dave:8:1").await;

    alice.send("SEND:FREQ:1:team only").await;
    bob.expect("MSG:FREQ:Alice:team only").await;
    assert_nothing_before_marker(&mut alice, &mut carol).await;
    assert_nothing_before_marker(&mut alice, &mut dave).await;

    // A message to another freq reaches that freq.
    alice.send("SEND:FREQ:8025:to spectators").await;
    carol.expect("MSG:FREQ:Alice:to spectators").await;
    assert_nothing_before_marker(&mut alice, &mut bob).await;
}

#[tokio::test]
async fn private_messages_cross_realms_and_unknown_names_get_an_error() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "duel").await;
    alice.send("SEND:PRIV:bob:psst: hi").await;
    bob.expect("MSG:PRIV:Alice:psst: hi").await;
    // Someone not in any realm gets it too.
    let mut carol = zone.login("Carol").await;
    bob.send("SEND:PRIV:Carol:yo").await;
    carol.expect("MSG:PRIV:Bob:yo").await;

    assert_eq!(
        alice.command("SEND:PRIV:Nobody:hi").await,
        ["MSG:ARENA:error: no player named 'Nobody' is online"]
    );
}

#[tokio::test]
async fn chat_before_entering_a_realm_gets_an_error() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    assert_eq!(
        alice.command("SEND:PUB:hi").await,
        ["MSG:ARENA:error: enter a realm before chatting in public"]
    );
    assert_eq!(
        alice.command("SEND:FREQ:1:hi").await,
        ["MSG:ARENA:error: enter a realm before chatting to a team"]
    );
}
