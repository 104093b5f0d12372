//! Commands over ChatNet: the pub and private forms of `?usage`, help, listing,
//! unknown commands, `?|a|b` lines, and commands typed in chat.

mod common;

use common::TestZone;

fn usage_line(line: &str, name: &str) -> bool {
    let Some(rest) = line.strip_prefix(&format!("MSG:ARENA:{name}: session ")) else { return false };
    // "0:00:00, total 0:00:00, first login 2026-11-23 18:00:00 UTC"
    let parts: Vec<&str> = rest.split(", ").collect();
    parts.len() == 3
        && parts[1].starts_with("total ")
        && parts[2].starts_with("first login ")
        && parts[2].ends_with(" UTC")
        && parts[2].len() == "first login 2026-11-23 18:00:00 UTC".len()
}

#[tokio::test]
async fn usage_in_public_shows_your_own() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    alice.expect("ENTERING:Bob:8:8025").await;
    for line in ["SEND:CMD:?usage", "SEND:CMD:usage", "SEND:PUB:?usage", "SEND:PUB:?USAGE"] {
        let reply = alice.command(line).await;
        assert!(reply.len() == 1 && usage_line(&reply[0], "Alice"), "{line}: {reply:?}");
    }
    // A command typed in public chat is not broadcast.
    alice.send("SEND:PRIV:Bob:marker").await;
    bob.expect("MSG:PRIV:Alice:marker").await;
}

#[tokio::test]
async fn usage_sent_privately_shows_the_target_in_any_realm() {
    // The private form is for moderators (the default groups.ron).
    let config = common::with_staff(common::test_config(), &[("Alice", "mod", None)]);
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "duel").await;
    for line in ["SEND:PRIVCMD:Bob:?usage", "SEND:PRIV:bob:?usage"] {
        let reply = alice.command(line).await;
        assert!(reply.len() == 1 && usage_line(&reply[0], "Bob"), "{line}: {reply:?}");
    }
    // Bob is not told.
    alice.send("SEND:PRIV:Bob:marker").await;
    bob.expect("MSG:PRIV:Alice:marker").await;
}

#[tokio::test]
async fn usage_to_a_name_not_online_names_the_forms_it_takes() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    assert_eq!(
        alice.command("SEND:PRIVCMD:Ghost:?usage").await,
        ["MSG:ARENA:?usage cannot be sent to a name outside the zone; send it in public or to a player."]
    );
    alice.go("lobby").await;
    assert_eq!(
        alice.command("SEND:FREQ:8025:?usage").await,
        ["MSG:ARENA:?usage cannot be sent to your team; send it in public or to a player."]
    );
}

#[tokio::test]
async fn unknown_command_gets_a_clear_reply() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    assert_eq!(
        alice.command("SEND:CMD:?frobnicate now").await,
        ["MSG:ARENA:Unknown command '?frobnicate'. Type ?commands for a list."]
    );
    assert_eq!(
        alice.command("SEND:CMD:*nothing").await,
        ["MSG:ARENA:Unknown command '*nothing'. Type *commands for a list."]
    );
}

#[tokio::test]
async fn man_explains_a_command_from_its_declaration() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    assert_eq!(
        alice.command("SEND:CMD:?man usage").await,
        [
            "MSG:ARENA:?usage - Shows session time, total connected time and first login.",
            "MSG:ARENA:Usage: ?usage",
            "MSG:ARENA:Targets: pub (in public), player (to a player)",
            "MSG:ARENA:Command group: default",
            "MSG:ARENA:Component: usage (attached to the zone)",
            "MSG:ARENA:Sent in public, it shows yours. Sent privately to a player (`/?usage`, or",
            "MSG:ARENA:`SEND:PRIVCMD:name:?usage`), it shows theirs.",
        ]
    );
    let help = alice.command("SEND:CMD:?help find").await;
    assert_eq!(
        help[0..2],
        ["MSG:ARENA:?find - Tells which realm (and game) a player is in.", "MSG:ARENA:Usage: ?find <player>"]
    );
    let general = alice.command("SEND:CMD:?help").await;
    assert_eq!(
        general[0],
        "MSG:ARENA:Commands start with ?. ?commands lists them; ?man <command> explains one."
    );
    assert_eq!(
        alice.command("SEND:CMD:?man nosuch").await,
        ["MSG:ARENA:No command or help topic 'nosuch'. Type ?commands for commands, ?help for topics."]
    );
}

#[tokio::test]
async fn commands_lists_what_the_player_may_run_by_group_with_forms_and_summary() {
    let zone = TestZone::start().await;
    let mut alice = zone.login("Alice").await;
    let lines = alice.command("SEND:CMD:?commands").await;
    assert_eq!(lines[0], "MSG:ARENA:default:");
    // A default player may use ?usage in public only (groups.ron denies the rest).
    assert!(
        lines.contains(
            &"MSG:ARENA:  ?usage [pub] - Shows session time, total connected time and first login."
                .to_owned()
        ),
        "{lines:?}"
    );
    assert!(
        lines.contains(
            &"MSG:ARENA:  ?go [realm] [pub] - Moves you to another realm, creating it if it does not exist."
                .to_owned()
        )
    );
    // Only what the player may run: ?attach (sysop) and ?lsmod (mod) are not listed.
    assert!(!lines.iter().any(|line| line.contains("?attach") || line.contains("?lsmod")), "{lines:?}");
    // ?chat, ?info, ?seen, ?who and the everyday commands are everyone's too.
    let everyone = [
        "?chat",
        "?info",
        "?seen",
        "?who",
        "?passwd",
        "?ignore",
        "?unignore",
        "?message",
        "?messages",
        "?version",
        "?zone",
    ];
    for command in everyone {
        assert!(lines.iter().any(|line| line.starts_with(&format!("MSG:ARENA:  {command} "))), "{lines:?}");
    }
    // Not the staff's: ?a, ?lock, ?specall, ?resetpw.
    assert!(!lines.iter().any(|line| line.contains("?a ") || line.contains("?lock")), "{lines:?}");
    assert_eq!(lines.len(), 1 + 23, "{lines:?}");
    // A summary is the doc comment's first sentence, across wrapped lines.
    assert!(
        lines.contains(
            &"MSG:ARENA:  ?commands [pub] - Lists the commands you may run here, by command group, each with its target forms and summary."
                .to_owned()
        ),
        "{lines:?}"
    );

    // With every command open, the staff groups are listed too.
    let open = TestZone::start_open(common::test_config()).await;
    let mut root = open.login("Root").await;
    let lines = root.command("SEND:CMD:?commands").await;
    let groups: Vec<&String> = lines.iter().filter(|line| !line.starts_with("MSG:ARENA:  ")).collect();
    assert_eq!(groups, ["MSG:ARENA:default:", "MSG:ARENA:mod:", "MSG:ARENA:smod:", "MSG:ARENA:sysop:"]);
}

#[tokio::test]
async fn find_and_uptime() {
    let zone = TestZone::start().await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let _bob = zone.enter("Bobby", "duel").await;
    assert_eq!(alice.command("SEND:CMD:?find bob").await, ["MSG:ARENA:Bobby is in realm duel."]);
    assert_eq!(alice.command("SEND:CMD:?find zed").await, ["MSG:ARENA:Nobody called 'zed' is online."]);
    assert_eq!(
        alice.command("SEND:CMD:?find").await,
        ["MSG:ARENA:Missing <player>.", "MSG:ARENA:Usage: ?find <player>"]
    );
    let up = alice.command("SEND:CMD:?uptime").await;
    assert!(
        up.len() == 1 && up[0].starts_with("MSG:ARENA:Up 0:00:") && up[0].ends_with(", 2 players online."),
        "{up:?}"
    );
}

#[tokio::test]
async fn multi_command_line_runs_each_up_to_the_limit() {
    let mut config = common::test_config();
    config.limits.multi_commands = 2;
    let zone = TestZone::start_with(config, tempfile::tempdir().unwrap()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    assert_eq!(
        alice.command("SEND:CMD:?|find alice|find nobody|arena").await,
        [
            "MSG:ARENA:Alice is in realm lobby.",
            "MSG:ARENA:Nobody called 'nobody' is online.",
            "MSG:ARENA:Only the first 2 commands of a ?| line run.",
        ]
    );
}
