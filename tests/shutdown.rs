//! Graceful shutdown: online players are told, their session time is saved,
//! `run` returns, and the time is there after a restart.

mod common;

use std::time::Duration;

use common::{TestZone, test_config};
use zone_server::store::Store as _;

#[tokio::test]
async fn shutdown_notifies_players_saves_session_time_and_returns() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.login("Bob").await;
    // Sessions of a few milliseconds: enough to show in a total kept in ms.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let data = zone.stop().await;
    assert_eq!(alice.expect_closed().await, ["MSG:ARENA:The zone is shutting down. Goodbye."]);
    assert_eq!(bob.expect_closed().await, ["MSG:ARENA:The zone is shutting down. Goodbye."]);

    // Both sessions' time was saved (to the millisecond), and a restart
    // reads it.
    let store = zone_server::store::SqliteStore::open(data.path()).unwrap();
    for name in ["Alice", "Bob"] {
        let total = store.account(name).unwrap().unwrap().total;
        assert!(total > Duration::ZERO, "{name}: {total:?}");
    }
    drop(store);
    let zone = TestZone::start_with(test_config(), data).await;
    let mut alice = zone.login("Alice").await;
    let reply = alice.command("SEND:CMD:?usage").await;
    assert_eq!(reply.len(), 1, "{reply:?}");
    assert!(reply[0].starts_with("MSG:ARENA:Alice: session "), "{reply:?}");
}
