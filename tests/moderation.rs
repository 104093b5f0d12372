//! DESIGN §10 over real TCP: kicks, bans, mutes and warnings (stored,
//! audited, expiring, rank-checked), staff chat and alerts, chat channels,
//! `?who`/`?info`/`?seen`, and the automatic mute of a flooder.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Client, PATIENCE, TestZone, ask, test_config, with_staff};
use zone_server::store::Time;

/// The staff of these tests: two mods, an smod and a sysop.
fn staffed() -> config::Config {
    with_staff(
        test_config(),
        &[("Mod", "mod", None), ("Mo", "mod", None), ("Sam", "smod", None), ("Root", "sysop", None)],
    )
}

/// Lines that arrive after `line` up to a command round trip: the usual
/// barrier is a private message to oneself, which a muted player's is not
/// let through.
async fn muted_command(client: &mut Client, line: &str) -> Vec<String> {
    client.send(line).await;
    client.send("SEND:CMD:?uptime").await;
    let mut lines = client.recv_until(|line| line.starts_with("MSG:ARENA:Up ")).await;
    lines.pop();
    lines
}

/// `lines` (a command's answer) without `LEAVING:name`, which the kicked
/// player's leaving may put among them; waits for it if it is not there.
async fn without_leaving(client: &mut Client, mut lines: Vec<String>, name: &str) -> Vec<String> {
    let leaving = format!("LEAVING:{name}");
    match lines.iter().position(|line| *line == leaving) {
        Some(at) => {
            lines.remove(at);
        }
        None => client.expect(&leaving).await,
    }
    lines
}

/// Logs in as `name`; the first answer line (`LOGINOK:…` or `LOGINBAD:…`).
async fn try_login(zone: &TestZone, name: &str) -> (Client, String) {
    let mut client = zone.connect().await;
    client.send(&format!("LOGIN:1;test:{name}:pw")).await;
    let answer = client.recv().await;
    if answer.starts_with("LOGINOK:") {
        client.expect_prefix("MSG:ARENA:Welcome to ").await;
        client.name = name.to_owned();
    }
    (client, answer)
}

/// Waits until `name` may log in again; fails after [`PATIENCE`].
async fn login_when_allowed(zone: &TestZone, name: &str) -> Client {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (client, answer) = try_login(zone, name).await;
        if answer.starts_with("LOGINOK:") {
            return client;
        }
        assert!(tokio::time::Instant::now() < deadline, "{name} was never let back in: {answer}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_kick_disconnects_with_the_reason_and_a_timed_kick_keeps_the_player_out_until_it_ends() {
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    moderator.barrier().await;

    let answer = moderator.command("SEND:PRIVCMD:Pleb:?kick spamming").await;
    assert_eq!(without_leaving(&mut moderator, answer, "Pleb").await, ["MSG:ARENA:Kicked Pleb: spamming."]);
    assert_eq!(pleb.expect_closed().await, ["MSG:ARENA:Disconnected: kicked by Mod: spamming."]);
    // A kick without -t: back at once.
    let mut pleb = zone.enter("Pleb", "lobby").await;
    moderator.expect("ENTERING:Pleb:8:8025").await;

    let answer = moderator.command("SEND:PRIVCMD:Pleb:?kick -t 4s flooding.").await;
    assert_eq!(
        without_leaving(&mut moderator, answer, "Pleb").await,
        ["MSG:ARENA:Kicked Pleb for 4s: flooding."]
    );
    let farewell = pleb.expect_closed().await;
    assert_eq!(farewell.len(), 1, "{farewell:?}");
    assert!(farewell[0].starts_with("MSG:ARENA:Disconnected: kicked by Mod until "), "{farewell:?}");
    assert!(farewell[0].ends_with(" UTC: flooding."), "one full stop: {farewell:?}");
    let (_, answer) = try_login(&zone, "Pleb").await;
    assert!(answer.starts_with("LOGINBAD:kicked until ") && answer.ends_with(" UTC: flooding"), "{answer}");
    // When the time is up, the player is let in.
    let _pleb = login_when_allowed(&zone, "Pleb").await;

    assert_eq!(
        moderator.command("SEND:PRIVCMD:Pleb:?kick -t 10x").await,
        [
            "MSG:ARENA:'10x' is not a duration: write 30s, 10m, 2h, 7d (or 1h30m), or perm.",
            "MSG:ARENA:Usage: ?kick [-t duration] [reason]"
        ]
    );
    let mut root = zone.login("Root").await;
    let log = root.command("SEND:CMD:?auditlog 2").await;
    assert!(log[0].ends_with(" Mod: kicked Pleb for 4s: flooding"), "{log:?}");
    assert!(log[1].ends_with(" Mod: kicked Pleb: spamming"), "{log:?}");
}

#[tokio::test]
async fn bans_hold_across_a_restart_until_lifted_and_alert_staff() {
    let data = tempfile::tempdir().unwrap();
    let zone = TestZone::start_config(staffed(), data).await;
    let mut sam = zone.enter("Sam", "lobby").await;
    let mut mo = zone.enter("Mo", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    sam.barrier().await;
    mo.barrier().await;

    // Online, privately: disconnected with the reason; staff alerted.
    // Sam is staff too: the alert, then the answer.
    let answer = sam.command("SEND:PRIVCMD:Pleb:?ban 1d cheating").await;
    assert_eq!(
        without_leaving(&mut sam, answer, "Pleb").await,
        ["MSG:SYSOP:Sam banned Pleb for 1d: cheating.", "MSG:ARENA:Banned Pleb for 1d: cheating."]
    );
    let farewell = pleb.expect_closed().await;
    assert_eq!(farewell.len(), 1, "{farewell:?}");
    assert!(farewell[0].starts_with("MSG:ARENA:Disconnected: banned by Sam until "), "{farewell:?}");
    assert!(farewell[0].ends_with(" UTC: cheating."), "{farewell:?}");
    let alert = mo.recv_until(|line| line.starts_with("MSG:SYSOP:")).await;
    assert_eq!(alert.last().unwrap(), "MSG:SYSOP:Sam banned Pleb for 1d: cheating.");
    // Offline, in public, for good (an account that exists).
    drop(zone.login("Ghost").await);
    assert_eq!(
        sam.command("SEND:CMD:?ban Ghost perm botting").await,
        ["MSG:SYSOP:Sam banned Ghost for good: botting.", "MSG:ARENA:Banned Ghost for good: botting."]
    );
    let refused = sam.command("SEND:CMD:?ban Ghost 5m").await;
    assert_eq!(refused[0], "MSG:ARENA:Say why: the player is shown the reason.");

    // A name in any case bans the player online under it.
    let mut cheater = zone.enter("Cheater", "lobby").await;
    sam.barrier().await;
    mo.barrier().await;
    let answer = sam.command("SEND:CMD:?ban cheater 1h aimbot").await;
    let answer = without_leaving(&mut sam, answer, "Cheater").await;
    assert_eq!(answer.last().unwrap(), "MSG:ARENA:Banned Cheater for 1h: aimbot.");
    let farewell = cheater.expect_closed().await;
    assert!(farewell[0].starts_with("MSG:ARENA:Disconnected: banned by Sam until "), "{farewell:?}");

    // A restart keeps both.
    let data = zone.stop().await;
    let zone = TestZone::start_config(staffed(), data).await;
    let (_, answer) = try_login(&zone, "Pleb").await;
    assert!(answer.starts_with("LOGINBAD:banned until ") && answer.ends_with(" UTC: cheating"), "{answer}");
    assert_eq!(try_login(&zone, "ghost").await.1, "LOGINBAD:banned: botting");
    let mut sam = zone.login("Sam").await;
    let bans = sam.command("SEND:CMD:?bans").await;
    assert_eq!(bans.len(), 3, "{bans:?}");
    assert!(bans[0].starts_with("MSG:ARENA:  Cheater: banned until "), "{bans:?}");
    assert!(bans[1].starts_with("MSG:ARENA:  Pleb: banned until "), "{bans:?}");
    assert!(bans[2].starts_with("MSG:ARENA:  Ghost: banned: botting (by Sam at "), "{bans:?}");

    assert_eq!(ask(&mut sam, "SEND:CMD:?unban Pleb").await, "Unbanned Pleb.");
    assert_eq!(ask(&mut sam, "SEND:CMD:?unban Pleb").await, "Pleb is not banned.");
    let (_, answer) = try_login(&zone, "Pleb").await;
    assert_eq!(answer, "LOGINOK:Pleb");
    // One audit row for one `?unban` (it lifts a timed kick and a ban).
    let log = sam.command("SEND:CMD:?auditlog 2").await;
    assert!(log[0].ends_with(" Sam: unbanned Pleb"), "{log:?}");
    assert!(!log[1].ends_with("unbanned Pleb"), "{log:?}");
}

#[tokio::test]
async fn a_mute_silences_every_kind_of_chat_survives_a_reconnect_and_ends() {
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut other = zone.enter("Other", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    moderator.barrier().await;
    other.barrier().await;
    assert_eq!(other.command("SEND:CMD:?chat=town").await, ["MSG:ARENA:Your channels: 1 town."]);
    assert_eq!(pleb.command("SEND:CMD:?chat=town").await, ["MSG:ARENA:Your channels: 1 town."]);

    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?mute -t 1h noise").await, "Muted Pleb for 1h: noise.");
    pleb.expect("MSG:ARENA:Mod muted you for 1h: noise: your chat is not delivered; commands still work.")
        .await;
    // Told once, then silently dropped; nothing reaches Other.
    let told = muted_command(&mut pleb, "SEND:PUB:hello").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("MSG:ARENA:You are muted until ") && told[0].contains("UTC: noise."),
        "{told:?}"
    );
    for line in
        ["SEND:PUB:again", "SEND:PUBM:macro", "SEND:PRIV:Other:psst", "SEND:FREQ:8025:team", "SEND:CHAT:chan"]
    {
        assert_eq!(muted_command(&mut pleb, line).await, Vec::<String>::new(), "{line}");
    }
    // Commands still work.
    assert_eq!(
        muted_command(&mut pleb, "SEND:CMD:?find Other").await,
        ["MSG:ARENA:Other is in realm lobby."]
    );
    // Reconnecting does not lift it.
    drop(pleb);
    other.expect("LEAVING:Pleb").await;
    moderator.expect("LEAVING:Pleb").await;
    // (The harness's barrier is a private message: not for a muted player.)
    let mut pleb = zone.login("Pleb").await;
    pleb.send("GO:lobby").await;
    pleb.expect("INARENA:lobby:8025").await;
    muted_command(&mut pleb, "NOOP").await;
    other.expect("ENTERING:Pleb:8:8025").await;
    moderator.expect("ENTERING:Pleb:8:8025").await;
    let told = muted_command(&mut pleb, "SEND:PUB:back").await;
    assert!(told[0].starts_with("MSG:ARENA:You are muted until "), "{told:?}");
    assert_eq!(other.barrier().await, Vec::<String>::new(), "nothing delivered");

    // Flooding while muted for an hour does not shorten it to the flood
    // mute's minute: no automatic mute, no alert.
    let burst: String = (0..80).map(|i| format!("SEND:PUB:{i}\n")).collect();
    for _ in 0..3 {
        pleb.send_raw(burst.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let flooded = muted_command(&mut pleb, "NOOP").await;
    assert!(!flooded.iter().any(|line| line.contains("for flooding")), "{flooded:?}");
    assert!(!moderator.barrier().await.iter().any(|line| line.starts_with("MSG:SYSOP:")));

    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?unmute").await, "Unmuted Pleb.");
    pleb.expect("MSG:ARENA:Mod unmuted you.").await;
    pleb.send("SEND:PUB:thanks").await;
    other.expect("MSG:PUB:Pleb:thanks").await;
    moderator.expect("MSG:PUB:Pleb:thanks").await;
    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?unmute").await, "Pleb is not muted.");

    // A short mute ends by itself.
    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?mute -t 1s").await, "Muted Pleb for 1s.");
    pleb.expect("MSG:ARENA:Mod muted you for 1s: your chat is not delivered; commands still work.").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        muted_command(&mut pleb, "SEND:PUB:free?").await;
        let seen = other.barrier().await;
        if seen == ["MSG:PUB:Pleb:free?"] {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the mute never ended");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // ?mute without -t lasts until ?unmute; an offline name needs an account.
    moderator.barrier().await;
    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?mute").await, "Muted Pleb until unmuted.");
    pleb.expect("MSG:ARENA:Mod muted you until unmuted: your chat is not delivered; commands still work.")
        .await;
    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Pleb:?unmute").await, "Unmuted Pleb.");
    pleb.expect("MSG:ARENA:Mod unmuted you.").await;
    assert_eq!(ask(&mut moderator, "SEND:PRIVCMD:Zed:?mute").await, "Nobody called 'Zed' has played here.");
}

#[tokio::test]
async fn staff_cannot_act_against_a_player_ranked_at_or_above_them() {
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut mo = zone.enter("Mo", "lobby").await;
    let mut sam = zone.enter("Sam", "lobby").await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    mo.barrier().await;
    sam.barrier().await;
    let refusal = |verb: &str, name: &str, group: &str, rank: u32| {
        format!(
            "You may not {verb} {name}: their group {group} (rank {rank}) is not ranked below yours (mod, rank 10)."
        )
    };
    assert_eq!(ask(&mut mo, "SEND:PRIVCMD:Sam:?kick bye").await, refusal("kick", "Sam", "smod", 20));
    assert_eq!(ask(&mut mo, "SEND:PRIVCMD:Sam:?mute").await, refusal("mute", "Sam", "smod", 20));
    assert_eq!(ask(&mut mo, "SEND:PRIVCMD:Mod:?warn behave").await, refusal("warn", "Mod", "mod", 10));
    // A mod may not ban at all; an smod may not ban a sysop, even offline.
    drop(zone.login("Root").await);
    assert!(ask(&mut mo, "SEND:CMD:?ban Pleb 1d x").await.starts_with("You may not use ?ban."));
    assert_eq!(
        ask(&mut sam, "SEND:CMD:?ban Root perm x").await,
        "You may not ban Root: their group sysop (rank 30) is not ranked below yours (smod, rank 20)."
    );
    sam.barrier().await;
    moderator.barrier().await;
}

#[tokio::test]
async fn warnings_are_shown_and_kept() {
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    moderator.barrier().await;
    assert_eq!(
        ask(&mut moderator, "SEND:PRIVCMD:Pleb:?warn mind your language").await,
        "Warned Pleb: mind your language."
    );
    pleb.expect("MSG:ARENA:Staff warning from Mod: mind your language").await;
    let warnings = moderator.command("SEND:CMD:?warnings pleb").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].ends_with(" UTC by Mod: mind your language"), "{warnings:?}");
    assert_eq!(ask(&mut moderator, "SEND:CMD:?warnings Nobody").await, "Nobody has no warnings.");
    assert!(ask(&mut pleb, "SEND:CMD:?warnings Mod").await.starts_with("You may not use ?warnings."));
}

#[tokio::test]
async fn staff_chat_reaches_staff_only_and_alerts_go_to_staff() {
    let mut config = test_config();
    config.limits.lines_per_second = 10;
    let config = with_staff(config, &[("Mod", "mod", None), ("Sam", "smod", None)]);
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    let mut sam = zone.enter("Sam", "duel").await;
    let mut pleb = zone.enter("Pleb", "lobby").await;
    moderator.barrier().await;

    moderator.send("SEND:MOD:anyone seen Pleb?").await;
    sam.expect("MSG:MOD:Mod:anyone seen Pleb?").await;
    moderator.expect("MSG:MOD:Mod:anyone seen Pleb?").await;
    assert_eq!(ask(&mut sam, "SEND:CMD:?modchat yes").await, "MSG:MOD:Sam:yes");
    moderator.expect("MSG:MOD:Sam:yes").await;
    // A player who may not is told so; staff see nothing.
    assert!(ask(&mut pleb, "SEND:MOD:let me in").await.starts_with("You may not use ?modchat."));
    assert_eq!(moderator.barrier().await, Vec::<String>::new());

    // Pleb floods on after the warning: muted automatically, staff alerted.
    let burst: String = (0..30).map(|i| format!("SEND:PUB:{i}\n")).collect();
    let mut told = Vec::new();
    for _ in 0..20 {
        pleb.send_raw(burst.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        told.extend(pleb.drain().await);
        if told.iter().any(|line| line.starts_with("MSG:ARENA:You are muted for ")) {
            break;
        }
    }
    assert!(
        told.contains(&"MSG:ARENA:You are muted for 1m for flooding; commands still work.".to_owned()),
        "{told:?}"
    );
    let alert = sam.recv_until(|line| line.starts_with("MSG:SYSOP:")).await;
    assert_eq!(alert.last().unwrap(), "MSG:SYSOP:Pleb was muted for 1m for flooding.");
    // The pleb is not staff: no alerts for them.
    assert!(!told.iter().any(|line| line.starts_with("MSG:SYSOP:")), "{told:?}");
    // Once the flood is over, the mute holds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let told = muted_command(&mut pleb, "SEND:PUB:sorry").await;
    // (The notice was given at the flood, less than a minute ago.)
    assert!(told.iter().all(|line| line.starts_with("MSG:ARENA:You are muted")), "{told:?}");
    assert!(!moderator.barrier().await.iter().any(|line| line.contains("sorry")));
}

#[tokio::test]
async fn chat_channels_are_numbered_by_each_receiver_and_kept() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    let mut bob = zone.login("Bob").await;
    let mut carol = zone.login("Carol").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?chat=alpha,beta").await, "Your channels: 1 alpha, 2 beta.");
    assert_eq!(ask(&mut bob, "SEND:CMD:?chat=BETA").await, "Your channels: 1 BETA.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?chat").await, "Your channels: 1 alpha, 2 beta.");

    alice.send("SEND:CHAT:2;hello beta").await;
    bob.expect("MSG:CHAT:1:Alice> hello beta").await;
    alice.expect("MSG:CHAT:2:Alice> hello beta").await;
    bob.send("SEND:CHAT:hi; back").await;
    alice.expect("MSG:CHAT:2:Bob> hi; back").await;
    bob.expect("MSG:CHAT:1:Bob> hi; back").await;
    alice.send("SEND:CHAT:only alpha").await;
    alice.expect("MSG:CHAT:1:Alice> only alpha").await;
    assert_eq!(bob.barrier().await, Vec::<String>::new(), "Bob is not on alpha");

    // Bad input.
    assert_eq!(
        ask(&mut alice, "SEND:CHAT:3;x").await,
        "error: you have no channel 3: yours are 1 to 2; ?chat lists them"
    );
    assert_eq!(ask(&mut alice, "SEND:CHAT:11;x").await, "error: '11' is not a channel: use 1 to 10");
    assert_eq!(
        ask(&mut carol, "SEND:CHAT:x").await,
        "error: you are on no chat channel; ?chat=name joins one"
    );
    assert_eq!(
        alice.command("SEND:CMD:?chat=a;b").await[0],
        "MSG:ARENA:'a;b' is not a channel name: 1 to 20 characters, without , ; or :"
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    assert_eq!(
        alice.command(&format!("SEND:CMD:?chat={}", eleven.join(","))).await[0],
        "MSG:ARENA:At most 10 channels; you gave 11."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?chat").await, "Your channels: 1 alpha, 2 beta.", "unchanged");

    // Kept with the account.
    drop(bob);
    let mut bob = zone.login("Bob").await;
    assert_eq!(ask(&mut bob, "SEND:CMD:?chat").await, "Your channels: 1 BETA.");
    assert_eq!(ask(&mut bob, "SEND:CMD:?chat=-").await, "You left every chat channel.");
    assert_eq!(
        ask(&mut bob, "SEND:CMD:?chat").await,
        "You are on no chat channel. ?chat=name,name joins some."
    );
}

#[tokio::test]
async fn who_info_and_seen_tell_who_is_where() {
    let mut config = staffed();
    config.zone.realms.push(config::RealmConfig {
        name: "secret".to_owned(),
        public: false,
        components: Vec::new(),
        games: Vec::new(),
    });
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    // A private realm is listed only to the players in it.
    let mut eve = zone.enter("Eve", "secret").await;
    assert_eq!(eve.command("SEND:CMD:?who secret").await, ["MSG:ARENA:secret (1): Eve"]);
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "duel").await;
    let mut carol = zone.login("Carol").await;
    let mut sam = zone.enter("Sam", "lobby").await;
    let mut moderator = zone.enter("Mod", "lobby").await;
    alice.barrier().await;
    sam.barrier().await;

    assert_eq!(
        alice.command("SEND:CMD:?who").await,
        [
            "MSG:ARENA:duel (1): Bob",
            "MSG:ARENA:lobby (3): Alice, Sam, Mod",
            "MSG:ARENA:(no realm) (1): Carol",
        ]
    );
    assert_eq!(alice.command("SEND:CMD:?who duel").await, ["MSG:ARENA:duel (1): Bob"]);
    assert_eq!(ask(&mut alice, "SEND:CMD:?who nowhere").await, "Nobody is in realm 'nowhere'.");

    // Your own ?info; a player's is for staff.
    let mine = alice.command("SEND:CMD:?info").await;
    assert!(mine[0].starts_with("MSG:ARENA:Alice: client test, online 0:00:0"), "{mine:?}");
    assert_eq!(mine[1], "MSG:ARENA:In realm lobby, freq 8025.");
    assert_eq!(mine[2], "MSG:ARENA:Group default: no membership.");
    assert_eq!(mine.len(), 3, "no address for a default player: {mine:?}");
    assert_eq!(ask(&mut alice, "SEND:PRIVCMD:Bob:?info").await, "You may not use ?info to a player.");
    let bobs = moderator.command("SEND:PRIVCMD:Bob:?info").await;
    assert!(bobs[0].starts_with("MSG:ARENA:Bob: client test, online "), "{bobs:?}");
    assert!(bobs[0].contains(", lines in "), "{bobs:?}");
    assert_eq!(bobs[1], "MSG:ARENA:In realm duel, freq 8025.");
    assert_eq!(bobs.len(), 3, "a mod sees no address: {bobs:?}");
    let by_smod = sam.command("SEND:PRIVCMD:Mod:?info").await;
    assert_eq!(by_smod[2], "MSG:ARENA:Group mod: zone-wide membership (config).");
    assert_eq!(by_smod[3], "MSG:ARENA:Address: 127.0.0.1.");

    assert_eq!(ask(&mut alice, "SEND:CMD:?seen bob").await, "Bob is online, in realm duel.");
    // Last seen is the logout, later than the login (first login, here).
    let usage = ask(&mut carol, "SEND:CMD:?usage").await;
    let logged_in: Time =
        usage.rsplit("first login ").next().unwrap().trim_end_matches(" UTC").parse().unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    drop(carol);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let seen = ask(&mut alice, "SEND:CMD:?seen Carol").await;
        if let Some(time) = seen.strip_prefix("Carol was last seen ").and_then(|t| t.strip_suffix(" UTC."))
            && time.parse::<Time>().unwrap() > logged_in
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ask(&mut alice, "SEND:CMD:?seen Zed").await, "Nobody called 'Zed' has played here.");
    bob.barrier().await;
}
