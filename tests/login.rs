//! Logging in over ChatNet: new and returning accounts, wrong passwords, the
//! closed-registration switch, a second login of an online name, and limits.

mod common;

use common::{TestZone, test_config};

#[tokio::test]
async fn new_name_registers_and_returning_player_logs_in_with_the_same_password() {
    let zone = TestZone::start().await;
    let mut first = zone.connect().await;
    first.send("LOGIN:1;test client:Alice:secret").await;
    first.expect("LOGINOK:Alice").await;
    first
        .expect("MSG:ARENA:Welcome to zone-server, Alice. Type ?help for help, ?commands for commands.")
        .await;
    drop(first);

    // Names compare case-insensitively; the session keeps the capitalisation typed.
    let mut again = zone.connect().await;
    again.send("LOGIN:1;test:aLiCe:secret").await;
    again.expect("LOGINOK:aLiCe").await;
}

#[tokio::test]
async fn wrong_password_is_refused_and_closed() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    alice.send("NOOP").await;
    let mut impostor = zone.connect().await;
    impostor.send("LOGIN:1;test:alice:not-pw").await;
    assert_eq!(impostor.expect_closed().await, ["LOGINBAD:wrong password"]);
    // The real Alice is undisturbed.
    assert_eq!(alice.command("SEND:CMD:?find alice").await, ["MSG:ARENA:Alice is online, not in a realm."]);
}

#[tokio::test]
async fn closed_registration_refuses_unknown_names_but_not_known_ones() {
    let zone = TestZone::start().await;
    zone.login("Alice").await;
    let data = zone.stop().await;

    let mut config = test_config();
    config.accounts.allow_new = false;
    let zone = TestZone::start_with(config, data).await;
    let mut stranger = zone.connect().await;
    stranger.send("LOGIN:1;test:Mallory:pw").await;
    assert_eq!(
        stranger.expect_closed().await,
        ["LOGINBAD:unknown name; this zone does not create new accounts"]
    );
    zone.login("Alice").await;
}

#[tokio::test]
async fn second_login_of_an_online_name_replaces_the_first_session() {
    let zone = TestZone::start().await;
    let mut old = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    old.expect("ENTERING:Bob:8:8025").await;

    let mut new = zone.connect().await;
    new.send("LOGIN:1;test:Alice:pw").await;
    new.expect("LOGINOK:Alice").await;
    assert_eq!(old.expect_closed().await, ["MSG:ARENA:Disconnected: you logged in from another connection."]);
    bob.expect("LEAVING:Alice").await;
    // The zone knows only the new session.
    assert_eq!(bob.command("SEND:CMD:?find Alice").await, ["MSG:ARENA:Alice is online, not in a realm."]);
}

#[tokio::test]
async fn malformed_logins_get_loginbad_with_a_reason() {
    let zone = TestZone::start().await;
    for (line, answer) in [
        (
            "LOGIN:1;c::pw",
            "LOGINBAD:a name is 1 to 20 characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit",
        ),
        (
            "LOGIN:1;c:_x:pw",
            "LOGINBAD:a name is 1 to 20 characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit",
        ),
        (
            "LOGIN:1;c:ThisNameIsFarTooLongToUse:pw",
            "LOGINBAD:a name is 1 to 20 characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit",
        ),
        ("LOGIN:1;c:Alice:", "LOGINBAD:a password is required"),
        ("LOGIN:2;c:Alice:pw", "LOGINBAD:unsupported protocol version; this zone speaks ChatNet 1"),
    ] {
        let mut client = zone.connect().await;
        client.send(line).await;
        assert_eq!(client.expect_closed().await, [answer], "{line}");
    }
}

#[tokio::test]
async fn connection_that_never_logs_in_is_closed_after_the_timeout() {
    let mut config = test_config();
    config.limits.login_timeout = std::time::Duration::from_millis(300);
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut idle = zone.connect().await;
    assert_eq!(idle.expect_closed().await, ["LOGINBAD:login timed out"]);
}

#[tokio::test]
async fn logins_past_the_player_limit_are_refused() {
    let mut config = test_config();
    config.limits.connections = 1;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let _alice = zone.login("Alice").await;
    let mut extra = zone.connect().await;
    extra.send("LOGIN:1;test:Bob:pw").await;
    assert_eq!(extra.expect_closed().await, ["LOGINBAD:the zone is full; try again later"]);
}

#[tokio::test]
async fn an_idle_player_gets_keepalive_noops() {
    let mut config = common::test_config();
    config.limits.keepalive = std::time::Duration::from_millis(300);
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.login("Alice").await;
    // Nothing else is sent to an idle player: the next line is a NOOP.
    assert_eq!(alice.recv_raw().await, "NOOP");
    assert_eq!(alice.recv_raw().await, "NOOP");
}

#[tokio::test]
async fn a_player_who_is_sent_lines_gets_no_keepalive_until_silence() {
    let mut config = common::test_config();
    config.limits.keepalive = std::time::Duration::from_millis(300);
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.login("Alice").await;
    alice.drain().await;
    // An answer every 100 ms for five periods: never a whole period of
    // silence, so no NOOP among the answers.
    for _ in 0..15 {
        alice.send("SEND:CMD:?uptime").await;
        let line = alice.recv_raw().await;
        assert!(line.starts_with("MSG:ARENA:Up "), "a keepalive while lines were sent: {line:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Then silence: the keepalive comes.
    assert_eq!(alice.recv_raw().await, "NOOP");
}
