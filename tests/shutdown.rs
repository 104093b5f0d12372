//! Graceful shutdown: online players are told, their session time is saved,
//! `run` returns, and the time is there after a restart.

mod common;

use std::time::Duration;

use common::{TestZone, test_config};

#[tokio::test]
async fn shutdown_notifies_players_saves_session_time_and_returns() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.login("Bob").await;
    // Let a whole second of session pass so the saved total is visible in ?usage.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let data = zone.stop().await;
    assert_eq!(alice.expect_closed().await, ["MSG:ARENA:The zone is shutting down. Goodbye."]);
    assert_eq!(bob.expect_closed().await, ["MSG:ARENA:The zone is shutting down. Goodbye."]);

    let zone = TestZone::start_with(test_config(), data).await;
    let mut alice = zone.login("Alice").await;
    let reply = alice.command("SEND:CMD:?usage").await;
    assert_eq!(reply.len(), 1, "{reply:?}");
    let total = reply[0].split(", ").nth(1).unwrap();
    assert!(total >= "total 0:00:01" && total.len() == "total 0:00:01".len(), "{reply:?}");
}
