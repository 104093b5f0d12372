//! DESIGN §3 and §4 over real TCP: test components attached zone-wide, to the
//! realm `duel` and to its game `final` by config; players in the lobby, in
//! `duel`, in `duel/final` and in no realm; every scope rule, the dispatch
//! steps, denial and stealth, `?join`/`?leave`, `?lsmod`, `?attach`,
//! `?detach`, `?health`, `?cmdstats` and `?man` for a command attached
//! elsewhere. Each `tcp_*` module here is a component.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, TestZone, ask, test_config};
use config::{GameConfig, RealmConfig, ZoneConfig};

/// Replies `<name> from <scope>`: which command ran, from where.
fn ran(ctx: &mut cmdman::Ctx<'_>) -> cmdman::CommandResult {
    let zone = ctx.world::<zone_server::zone::Zone>().unwrap();
    let line = format!("{} from {}", ctx.command().name(), zone.describe(ctx.scope()));
    ctx.reply().line(&line);
    Ok(())
}

mod tcp_zone {
    use cmdman::{CommandResult, Ctx, command};

    /// Where does this run?
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// For staff only.
    #[command(target_pub, group = "sysop")]
    fn cmd_locked(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// For staff only, and secret.
    #[command(target_pub, group = "sysop", stealth)]
    fn cmd_hidden(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Takes any `*` command nothing else answers to.
    #[command(catch_all, char = '*', target_pub, group = "default")]
    fn star_catch(ctx: &mut Ctx<'_>) -> CommandResult {
        let line = format!("*{} caught [{}]", ctx.typed_name(), ctx.params());
        ctx.reply().line(&line);
        Ok(())
    }
}

mod tcp_duel {
    use cmdman::{CommandResult, Ctx, command};

    /// Where does this run, in duel?
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// The sender and the target both in duel.
    #[command(target_player, group = "default")]
    fn cmd_local(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// The sender in duel, the target anywhere.
    #[command(target_player, target_in_scope = false, group = "default")]
    fn cmd_anyone(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// The sender anywhere, the target in duel.
    #[command(target_player, source_in_scope = false, group = "default")]
    fn cmd_rtarget(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

mod tcp_final {
    use cmdman::{CommandResult, Ctx, command};

    /// Where does this run, in the final?
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

/// The test config plus `tcp_zone` zone-wide and the realm `duel` with
/// `tcp_duel`, and its game `final` with `tcp_final`.
fn scoped_config() -> ZoneConfig {
    let mut config = test_config();
    config.components.push("tcp_zone".into());
    config.realms.push(RealmConfig {
        name: "duel".into(),
        public: true,
        components: vec!["tcp_duel".into()],
        games: vec![
            GameConfig { name: "final".into(), components: vec!["tcp_final".into()] },
            GameConfig { name: "warmup".into(), components: vec![] },
        ],
    });
    config
}

/// Nora (no realm), Alice (lobby), Dan (duel) and Fin (duel, game final),
/// every arrival notice read.
async fn players(zone: &TestZone) -> (Client, Client, Client, Client) {
    let nora = zone.login("Nora").await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut dan = zone.enter("Dan", "duel").await;
    let mut fin = zone.enter("Fin", "duel").await;
    dan.expect("ENTERING:Fin:8:8025").await;
    assert_eq!(ask(&mut fin, "SEND:CMD:?join final").await, "You joined the game final.");
    for client in [&mut alice, &mut dan, &mut fin] {
        client.barrier().await;
    }
    (nora, alice, dan, fin)
}

#[tokio::test]
async fn the_most_specific_scope_wins() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (mut nora, mut alice, mut dan, mut fin) = players(&zone).await;
    assert_eq!(ask(&mut nora, "SEND:CMD:?where").await, "where from the zone");
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from the zone");
    assert_eq!(ask(&mut dan, "SEND:PUB:?where").await, "where from realm duel");
    assert_eq!(ask(&mut fin, "SEND:PUB:?where").await, "where from game duel/final");
    // The team form: a team in a game is the game's.
    assert_eq!(ask(&mut fin, "SEND:FREQ:8025:?where").await, "where from game duel/final");
    assert_eq!(ask(&mut dan, "SEND:FREQ:8025:?where").await, "where from realm duel");
    assert_eq!(
        ask(&mut dan, "SEND:FREQ:7:?where").await,
        "?where cannot be sent to another team; send it in public, to your team or to a player."
    );
    // Leaving the game, Fin is back in the realm's scope.
    assert_eq!(ask(&mut fin, "SEND:CMD:?leave").await, "You left the game final.");
    assert_eq!(ask(&mut fin, "SEND:PUB:?where").await, "where from realm duel");
}

#[tokio::test]
async fn source_and_target_in_scope() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (_nora, mut alice, mut dan, mut fin) = players(&zone).await;
    // Both inside duel.
    assert_eq!(ask(&mut dan, "SEND:PRIVCMD:Fin:?local").await, "local from realm duel");
    // The target outside: refused with where it works.
    assert_eq!(
        ask(&mut dan, "SEND:PRIVCMD:Alice:?local").await,
        "?local works only on players in realm duel; Alice is not there."
    );
    // The sender outside: no such command for them.
    assert_eq!(
        ask(&mut alice, "SEND:PRIVCMD:Dan:?local").await,
        "Unknown command '?local'. Type ?commands for a list."
    );
    // Inside a game of duel counts as inside duel.
    assert_eq!(ask(&mut fin, "SEND:PRIVCMD:Dan:?local").await, "local from realm duel");
}

#[tokio::test]
async fn source_in_scope_and_the_target_anywhere() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (mut nora, mut alice, mut dan, _fin) = players(&zone).await;
    assert_eq!(ask(&mut dan, "SEND:PRIVCMD:Alice:?anyone").await, "anyone from realm duel");
    assert_eq!(ask(&mut dan, "SEND:PRIVCMD:Nora:?anyone").await, "anyone from realm duel");
    assert_eq!(
        ask(&mut alice, "SEND:PRIVCMD:Dan:?anyone").await,
        "Unknown command '?anyone'. Type ?commands for a list."
    );
    assert!(ask(&mut nora, "SEND:PRIVCMD:Dan:?anyone").await.starts_with("Unknown command '?anyone'."));
}

#[tokio::test]
async fn the_sender_anywhere_and_the_target_in_scope() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (mut nora, mut alice, mut dan, _fin) = players(&zone).await;
    // Found through the target's realm.
    assert_eq!(ask(&mut alice, "SEND:PRIVCMD:Dan:?rtarget").await, "rtarget from realm duel");
    assert_eq!(ask(&mut nora, "SEND:PRIVCMD:Fin:?rtarget").await, "rtarget from realm duel");
    // A target outside duel: nothing to find, wherever the sender is.
    assert!(ask(&mut alice, "SEND:PRIVCMD:Nora:?rtarget").await.starts_with("Unknown command '?rtarget'."));
    assert!(ask(&mut dan, "SEND:PRIVCMD:Alice:?rtarget").await.starts_with("Unknown command '?rtarget'."));
}

#[tokio::test]
async fn forms_and_dispatch_steps() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (_nora, mut alice, mut dan, _fin) = players(&zone).await;
    // A form the command does not take is refused, naming those it does.
    assert_eq!(
        ask(&mut dan, "SEND:PUB:?local").await,
        "?local cannot be sent in public; send it to a player."
    );
    // External: a name not in the zone.
    assert_eq!(
        ask(&mut dan, "SEND:PRIVCMD:Ghost:?where").await,
        "?where cannot be sent to a name outside the zone; send it in public, to your team or to a player."
    );
    // The general table answers `*where`; the `*` catch-all takes what nothing else does.
    assert_eq!(ask(&mut alice, "SEND:PUB:*where").await, "where from the zone");
    assert_eq!(ask(&mut alice, "SEND:PUB:*zap them=now").await, "*zap caught [them=now]");
    // No general catch-all is attached: `?zap` is unknown.
    assert_eq!(ask(&mut alice, "SEND:PUB:?zap").await, "Unknown command '?zap'. Type ?commands for a list.");
    // A later part of ?|a|b runs where the earlier ones put the sender.
    assert_eq!(
        dan.command("SEND:PUB:?|join warmup|where|leave|where").await,
        [
            "MSG:ARENA:You joined the game warmup.",
            "MSG:ARENA:where from realm duel",
            "MSG:ARENA:You left the game warmup.",
            "MSG:ARENA:where from realm duel",
        ]
    );
    assert_eq!(
        dan.command("SEND:PUB:?|join final|where").await,
        ["MSG:ARENA:You joined the game final.", "MSG:ARENA:where from game duel/final"]
    );
    dan.command("SEND:PUB:?leave").await;
    // ?|a|b|c runs each part.
    assert_eq!(
        dan.command("SEND:PUB:?|where|*zap|games").await,
        [
            "MSG:ARENA:where from realm duel",
            "MSG:ARENA:*zap caught []",
            "MSG:ARENA:Games (players):",
            "MSG:ARENA:  final 1",
            "MSG:ARENA:  warmup 0",
        ]
    );
}

#[tokio::test]
async fn games_are_joined_and_left_with_notices() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let (_nora, mut alice, mut dan, mut fin) = players(&zone).await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?games").await, "This realm has no games.");
    assert_eq!(
        ask(&mut dan, "SEND:CMD:?join finals").await,
        "There is no game called 'finals' here. Type ?games for this realm's games."
    );
    assert_eq!(ask(&mut dan, "SEND:CMD:?join FINAL").await, "You joined the game final.");
    fin.expect("MSG:ARENA:Dan joined the game.").await;
    assert_eq!(ask(&mut dan, "SEND:CMD:?join final").await, "You are in the game final already.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?find dan").await, "Dan is in realm duel, game final.");
    assert_eq!(ask(&mut dan, "SEND:CMD:?join warmup").await, "You joined the game warmup.");
    fin.expect("MSG:ARENA:Dan left the game.").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?leave").await, "You are not in a game.");
    // Entering another realm leaves the game, also on coming back.
    fin.go("lobby").await;
    dan.barrier().await;
    assert_eq!(ask(&mut fin, "SEND:PUB:?where").await, "where from the zone");
    fin.go("duel").await;
    dan.barrier().await;
    assert_eq!(ask(&mut fin, "SEND:PUB:?where").await, "where from realm duel");
    fin.go("lobby").await;
    dan.barrier().await;
    assert_eq!(
        dan.command("SEND:CMD:?games").await,
        ["MSG:ARENA:Games (players):", "MSG:ARENA:  final 0", "MSG:ARENA:  warmup 1 (you are in it)"]
    );
}

#[tokio::test]
async fn denied_commands_say_so_and_denied_stealth_ones_answer_as_unknown() {
    // Under the interim policy only the command group `default` is open.
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?locked").await, "You may not use ?locked.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?attach tcp_duel").await, "You may not use ?attach.");
    let denied = alice.command("SEND:CMD:?hidden").await;

    // The same line in a zone where no command `hidden` exists at all.
    let plain = TestZone::start().await;
    let mut bob = plain.enter("Alice", "lobby").await;
    let unknown = bob.command("SEND:CMD:?hidden").await;
    assert_eq!(denied.concat().as_bytes(), unknown.concat().as_bytes());
    assert_eq!(unknown, ["MSG:ARENA:Unknown command '?hidden'. Type ?commands for a list."]);
    // And ?man does not give it away either.
    assert_eq!(alice.command("SEND:CMD:?man hidden").await, bob.command("SEND:CMD:?man hidden").await);

    // Suggestions come only from commands the player may run.
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?uptme").await,
        "Unknown command '?uptme'. Did you mean ?uptime? Type ?commands for a list."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?lockedd").await,
        "Unknown command '?lockedd'. Type ?commands for a list."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?atach").await,
        "Unknown command '?atach'. Type ?commands for a list."
    );
}

#[tokio::test]
async fn attach_detach_lsmod_and_health_at_runtime() {
    let zone = TestZone::start_open(scoped_config()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let lsmod = alice.command("SEND:CMD:?lsmod").await;
    assert!(
        lsmod.contains(&"MSG:ARENA:tcp_duel: realm duel - ?anyone ?local ?rtarget ?where".to_owned()),
        "{lsmod:?}"
    );
    assert!(lsmod.contains(&"MSG:ARENA:tcp_final: game duel/final - ?where".to_owned()), "{lsmod:?}");
    assert!(lsmod.contains(&"MSG:ARENA:usage: the zone - ?usage".to_owned()), "{lsmod:?}");
    assert_eq!(lsmod.len(), 22, "one line per component: {lsmod:?}");

    assert_eq!(
        ask(&mut alice, "SEND:CMD:?attach tcp_final lobby").await,
        "Attached tcp_final to realm lobby."
    );
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from realm lobby");
    // A second `where` in the same scope is a conflict: refused and reported.
    assert_eq!(
        alice.command("SEND:CMD:?attach tcp_duel lobby").await,
        [
            "MSG:ARENA:Attached tcp_duel to realm lobby.",
            "MSG:ARENA:Conflict: where is not available from tcp_duel there; tcp_final offers it already.",
        ]
    );
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from realm lobby");
    let health = alice.command("SEND:CMD:?health").await;
    assert_eq!(
        health[0],
        "MSG:ARENA:Conflict in realm lobby: where of tcp_duel was not added; tcp_final offers it."
    );
    assert!(
        health.contains(
            &"MSG:ARENA:Note: in realm duel, where of tcp_duel hides the one of tcp_zone (the zone)."
                .to_owned()
        ),
        "{health:?}"
    );

    assert_eq!(
        ask(&mut alice, "SEND:CMD:?detach tcp_final lobby").await,
        "Detached tcp_final from realm lobby."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?detach tcp_duel lobby").await,
        "Detached tcp_duel from realm lobby."
    );
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from the zone");
    assert_eq!(alice.command("SEND:CMD:?health").await[0], "MSG:ARENA:No conflicts.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?detach tcp_duel lobby").await,
        "Component 'tcp_duel' is not attached there."
    );
    assert_eq!(ask(&mut alice, "SEND:CMD:?attach nope").await, "There is no component called 'nope'.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?detach Components").await,
        "Detaching components from the zone would leave no ?attach until the zone restarts; change zone.ron instead."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?attach tcp_final nowhere/x").await,
        "There is no realm or game 'nowhere/x'. Use realm or realm/game."
    );
    // Zone-wide, the game's `where` hides nothing more specific in the lobby.
    assert_eq!(ask(&mut alice, "SEND:CMD:?detach tcp_zone").await, "Detached tcp_zone from the zone.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?attach tcp_final").await, "Attached tcp_final to the zone.");
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from the zone");
}

#[tokio::test]
async fn a_realm_made_on_demand_loses_its_attachments_when_it_closes() {
    let zone = TestZone::start_open(scoped_config()).await;
    let mut alice = zone.enter("Alice", "pop").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?attach tcp_duel pop").await, "Attached tcp_duel to realm pop.");
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from realm pop");
    alice.go("lobby").await;
    // `pop` closed: its attachment went with it.
    let lsmod = alice.command("SEND:CMD:?lsmod").await;
    assert!(
        lsmod.contains(&"MSG:ARENA:tcp_duel: realm duel - ?anyone ?local ?rtarget ?where".to_owned()),
        "{lsmod:?}"
    );
    alice.go("pop").await;
    assert_eq!(ask(&mut alice, "SEND:PUB:?where").await, "where from the zone");
}

#[tokio::test]
async fn cmdstats_counts_calls_and_errors() {
    let zone = TestZone::start_open(scoped_config()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    alice.command("SEND:CMD:?uptime").await;
    alice.command("SEND:CMD:?|uptime|find nobody|find").await;
    let uptime = alice.command("SEND:CMD:?cmdstats uptime").await;
    assert_eq!(uptime[0], "MSG:ARENA:command (component): calls, errors, total time, mean");
    assert!(uptime[1].starts_with("MSG:ARENA:  ?uptime (uptime): 2, 0, "), "{uptime:?}");
    let all = alice.command("SEND:CMD:?cmdstats").await;
    // The command counts itself: the call running now included.
    assert!(all.iter().any(|line| line.starts_with("MSG:ARENA:  ?cmdstats (stats): 2, 0, ")), "{all:?}");
    assert!(all.iter().any(|line| line.starts_with("MSG:ARENA:  ?find (find): 2, 2, ")), "{all:?}");
    assert_eq!(ask(&mut alice, "SEND:CMD:?cmdstats nosuch").await, "No command 'nosuch'.");
}

#[tokio::test]
async fn man_tells_where_a_command_works() {
    let zone = TestZone::start_with(scoped_config(), tempfile::tempdir().unwrap()).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let man = alice.command("SEND:CMD:?man local").await;
    assert_eq!(
        man,
        [
            "MSG:ARENA:?local - The sender and the target both in duel.",
            "MSG:ARENA:Usage: ?local",
            "MSG:ARENA:Targets: player (to a player)",
            "MSG:ARENA:Command group: default",
            "MSG:ARENA:Component: tcp_duel (not here; attached to realm duel)",
        ]
    );
}
