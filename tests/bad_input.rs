//! Every kind of bad input has a defined answer and disturbs nobody else
//! (DESIGN §8): over-long lines, invalid UTF-8, unknown types, missing fields,
//! messages before login, a second LOGIN, floods and slow readers.

mod common;

use common::{TestZone, test_config};

#[tokio::test]
async fn each_bad_line_is_answered_and_the_connection_goes_on() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;

    let long = format!("SEND:PUB:{}", "x".repeat(600));
    for (input, answer) in [
        (long.as_bytes(), "MSG:ARENA:error: line longer than 512 bytes dropped"),
        (&b"SEND:PUB:caf\xe9\n"[..], "MSG:ARENA:error: line is not valid UTF-8; dropped"),
        (b"HELLO:there", "MSG:ARENA:error: unknown message type 'HELLO'"),
        (b"SEND:SHOUT:x", "MSG:ARENA:error: unknown message type 'SHOUT'"),
        (b"SEND:PRIV:Bob", "MSG:ARENA:error: malformed SEND:PRIV: expected SEND:PRIV:name:message"),
        (b"SEND:FREQ:1", "MSG:ARENA:error: malformed SEND:FREQ: expected SEND:FREQ:freq:message"),
        (b"SEND:PRIVCMD:Bob", "MSG:ARENA:error: malformed SEND:PRIVCMD: expected SEND:PRIVCMD:name:command"),
        (b"SEND:PUB", "MSG:ARENA:error: malformed SEND:PUB: expected SEND:PUB:message"),
        (b"GO", "MSG:ARENA:error: malformed GO: expected GO:realm (GO: for the default realm)"),
        (b"CHANGEFREQ", "MSG:ARENA:error: malformed CHANGEFREQ: expected CHANGEFREQ:freq"),
        (b"LOGIN:1;c:Alice:pw", "MSG:ARENA:error: already logged in as Bob"),
    ] {
        let mut line = input.to_vec();
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        bob.send_raw(&line).await;
        assert_eq!(bob.barrier().await, [answer], "{}", String::from_utf8_lossy(input));
    }
    // Bob is still in the realm and Alice saw none of it.
    bob.send("SEND:PUB:still here").await;
    alice.expect("MSG:PUB:Bob:still here").await;
}

#[tokio::test]
async fn messages_before_login_are_answered_then_login_still_works() {
    let zone = TestZone::start().await;
    let mut client = zone.connect().await;
    for line in ["SEND:PUB:hi", "GO:lobby", "CHANGEFREQ:1", "SEND:CMD:?usage"] {
        client.send(line).await;
        client.expect("MSG:ARENA:error: log in first: LOGIN:1;client name:name:password").await;
    }
    client.send("NOOP").await;
    client.send("LOGIN:1;test:Alice:pw").await;
    client.expect("LOGINOK:Alice").await;
}

#[tokio::test]
async fn line_endings_may_be_cr_lf_or_any_mix() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    bob.send_raw(b"SEND:PUB:one\rSEND:PUB:two\r\n\r\nSEND:PUB:three\n\r").await;
    alice.expect("MSG:PUB:Bob:one").await;
    alice.expect("MSG:PUB:Bob:two").await;
    alice.expect("MSG:PUB:Bob:three").await;
}

#[tokio::test]
async fn a_flood_is_dropped_with_one_warning() {
    let mut config = test_config();
    config.limits.lines_per_second = 3;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    let burst: String = (0..40).map(|i| format!("SEND:PUB:{i}\n")).collect();
    alice.send_raw(burst.as_bytes()).await;
    // Once a barrier gets through (a later second), the burst is handled.
    let warning = "MSG:ARENA:error: more than 3 lines a second; lines are being dropped";
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    loop {
        alice.send("SEND:PRIV:Alice:barrier").await;
        let got = alice.drain().await;
        let through = got.iter().any(|line| line == "MSG:PRIV:Alice:barrier");
        seen.extend(got.into_iter().filter(|line| line != "MSG:PRIV:Alice:barrier"));
        if through {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no line got through: {seen:?}");
    }
    // One warning for the second the burst came in (two if it straddled
    // a second), and nothing else.
    let warnings = seen.iter().filter(|line| *line == warning).count();
    assert!((1..=2).contains(&warnings) && seen.iter().all(|line| line == warning), "{seen:?}");
    // Bob got the lines handled, in order from the first: at most 3 a
    // second (fewer when Alice's login took part of it); the rest dropped.
    let delivered = bob.barrier().await;
    assert!(delivered.len() <= 3 * warnings, "{delivered:?}");
    let numbers: Vec<u32> =
        delivered.iter().map(|line| line.rsplit(':').next().unwrap().parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "in order: {delivered:?}");
}

#[tokio::test]
async fn a_player_who_stops_reading_is_disconnected_and_the_realm_goes_on() {
    let mut config = test_config();
    config.limits.outbound_queue = 256;
    config.limits.lines_per_second = 1_000_000;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut talker = zone.enter("Talker", "lobby").await;
    let mut watcher = zone.enter("Watcher", "lobby").await;
    let _sleeper = zone.enter("Sleeper", "lobby").await; // never reads again
    talker.recv_until(|line| line == "ENTERING:Sleeper:8:8025").await;
    watcher.expect("ENTERING:Sleeper:8:8025").await;

    // Far more than socket buffers hold, in bursts the watcher keeps up with:
    // the sleeper's queue fills and the sleeper is dropped; the watcher is not.
    let text = "y".repeat(500);
    let burst: String = (0..100).map(|_| format!("SEND:PUB:{text}\n")).collect();
    let mut sleeper_left = false;
    'bursts: for _ in 0..1000 {
        talker.send_raw(burst.as_bytes()).await;
        for _ in 0..100 {
            let line = watcher.recv().await;
            if line == "LEAVING:Sleeper" {
                sleeper_left = true;
                break 'bursts;
            }
            assert_eq!(line, format!("MSG:PUB:Talker:{text}"));
        }
    }
    assert!(sleeper_left, "the sleeper was never disconnected");
    talker.send("SEND:PUB:after").await;
    watcher.recv_until(|line| line == "MSG:PUB:Talker:after").await;
}
