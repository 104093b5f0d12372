//! DESIGN §4.3 and §4.4 on the command manager alone: components attached to
//! the zone, a realm and a game; which command a line finds from where; the
//! scope checks; catch-alls; conflicts; denial, stealth and suggestions;
//! typed arguments; statistics. Each module here is a component.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_ref_mut, unreachable_pub)]

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cmdman::{
    Addressee, Collected, CommandRef, GameId, Location, OnlinePlayer, Outcome, Player, PlayerId, RealmId,
    Registry, Request, Scope, Settings, TargetForm, World,
};

/// Replies with the component and scope a command ran from.
fn ran(ctx: &mut cmdman::Ctx<'_>) -> cmdman::CommandResult {
    let line = format!("{} {} {:?}", ctx.command().name(), ctx.command().component(), ctx.scope());
    ctx.reply().line(&line);
    Ok(())
}

mod everywhere {
    use cmdman::{CommandResult, Ctx, command};

    /// Where am I?
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Bound to `*`.
    #[command(name = "where", char = '*', target_pub, group = "default")]
    fn star_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Pong.
    #[command(target_pub, group = "default")]
    fn cmd_ping(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Found at the zone; the game offers a deeper one through the target.
    #[command(target_player, group = "default")]
    fn cmd_deep(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Sends to a name that need not be online.
    #[command(target_external, target_in_scope = false, group = "default")]
    fn cmd_mail(ctx: &mut Ctx<'_>) -> CommandResult {
        let line = format!("mail for {:?}", ctx.target());
        ctx.reply().line(&line);
        Ok(())
    }

    /// Only staff may.
    #[command(target_pub, group = "sysop")]
    fn cmd_locked(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Staff only, and secret.
    #[command(target_pub, group = "sysop", stealth)]
    fn cmd_hidden(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

mod realm_a {
    use cmdman::{CommandResult, Ctx, command};

    /// Where am I, in realm A.
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Sender and target both in realm A (the default).
    #[command(target_player, group = "default")]
    fn cmd_local(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Sender in realm A, target anywhere.
    #[command(target_player, target_in_scope = false, group = "default")]
    fn cmd_anyone(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Sender anywhere, target in realm A.
    #[command(target_player, source_in_scope = false, group = "default")]
    fn cmd_rtarget(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Through the target, realm A's; realm B has its own for its players.
    #[command(target_player, source_in_scope = false, group = "default")]
    fn cmd_tie(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

mod realm_b {
    use cmdman::{CommandResult, Ctx, command};

    /// Realm B's, for its own players.
    #[command(target_player, target_in_scope = false, group = "default")]
    fn cmd_tie(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

mod game_g {
    use cmdman::{CommandResult, Ctx, command};

    /// Where am I, in game A/g.
    #[command(target_pub, target_team, target_player, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Reached through a target in the game.
    #[command(target_player, source_in_scope = false, group = "default")]
    fn cmd_deep(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }

    /// Catches unknown commands sent privately in the game.
    #[command(catch_all, target_player, target_in_scope = false, group = "default")]
    fn game_catch(ctx: &mut Ctx<'_>) -> CommandResult {
        let line = format!("game caught {}", ctx.typed_name());
        ctx.reply().line(&line);
        Ok(())
    }
}

mod rival {
    use cmdman::{CommandResult, Ctx, command};

    /// Another component's `where`.
    #[command(target_pub, group = "default")]
    fn cmd_where(ctx: &mut Ctx<'_>) -> CommandResult {
        super::ran(ctx)
    }
}

mod catchers {
    use cmdman::{CommandResult, Ctx, command};

    /// Catches unknown `*` commands.
    #[command(catch_all, char = '*', target_pub, group = "default")]
    fn star_catch(ctx: &mut Ctx<'_>) -> CommandResult {
        let line = format!("star caught {} [{}]", ctx.typed_name(), ctx.params());
        ctx.reply().line(&line);
        Ok(())
    }

    /// Catches any other unknown command.
    #[command(catch_all, target_pub, group = "default")]
    fn any_catch(ctx: &mut Ctx<'_>) -> CommandResult {
        let line = format!("caught {}{}", ctx.cmd_char(), ctx.typed_name());
        ctx.reply().line(&line);
        Ok(())
    }
}

mod typed {
    use cmdman::{CommandResult, Ctx, Flag, OnlinePlayer, Rest, command};

    /// Gives points.
    #[command(target_pub, group = "default")]
    fn cmd_give(
        ctx: &mut Ctx<'_>,
        loud: Flag<'l'>,
        to: OnlinePlayer,
        amount: u32,
        note: Option<Rest<'_>>,
    ) -> CommandResult {
        let line = format!("{} gets {amount} ({}) loud={}", to.name, note.map_or("-", |n| n.0), loud.0);
        ctx.reply().line(&line);
        Ok(())
    }

    /// Takes a millisecond.
    #[command(target_pub, group = "default")]
    fn cmd_slow(_ctx: &mut Ctx<'_>) -> CommandResult {
        std::thread::sleep(std::time::Duration::from_millis(1));
        Ok(())
    }

    /// Sets a word, asynchronously.
    #[command(target_pub, group = "default")]
    async fn cmd_set(ctx: &mut Ctx<'_>, key: &str, value: i64) -> CommandResult {
        let line = format!("{key}={value}");
        ctx.reply().line(&line);
        Ok(())
    }
}

const A: RealmId = RealmId(1);
const B: RealmId = RealmId(2);
const G: GameId = GameId(0);

fn player(id: u32, name: &'static str, realm: Option<RealmId>, game: Option<GameId>) -> Player<'static> {
    Player { id: PlayerId(id), name, location: Location { realm, game }, freq: realm.map(|_| 0) }
}

const NOMAD: Player<'static> =
    Player { id: PlayerId(1), name: "Nomad", location: Location { realm: None, game: None }, freq: None };

fn alice() -> Player<'static> {
    player(2, "Alice", Some(A), None)
}
fn gamer() -> Player<'static> {
    player(3, "Gamer", Some(A), Some(G))
}
fn bob() -> Player<'static> {
    player(4, "Bob", Some(B), None)
}
fn bert() -> Player<'static> {
    player(5, "Bert", Some(B), None)
}

/// A world that denies the command group `sysop` and knows who is online.
struct TestWorld;

impl World for TestWorld {
    fn allows(&self, _: &Player<'_>, command: CommandRef<'_>, _: TargetForm, _: Option<RealmId>) -> bool {
        command.group != Some("sysop")
    }

    fn find_player(&self, name: &str) -> Option<OnlinePlayer> {
        [alice(), gamer(), bob(), bert()]
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| OnlinePlayer { id: p.id, name: p.name.to_owned(), location: p.location, freq: p.freq })
    }

    fn scope_name(&self, scope: Scope) -> String {
        match scope {
            Scope::Zone => "the zone".into(),
            Scope::Realm(realm) => format!("realm {}", if realm == A { "a" } else { "b" }),
            Scope::Game(..) => "game a/g".into(),
        }
    }
}

/// The zone set up as the tests expect: `everywhere` and `catchers` zone-wide,
/// `realm_a` on A, `realm_b` on B, `game_g` on A/g, `typed` zone-wide.
fn zone() -> Registry {
    let registry = Registry::linked(Settings::default()).unwrap();
    for (component, scope) in [
        ("everywhere", Scope::Zone),
        ("catchers", Scope::Zone),
        ("typed", Scope::Zone),
        ("realm_a", Scope::Realm(A)),
        ("realm_b", Scope::Realm(B)),
        ("game_g", Scope::Game(A, G)),
    ] {
        assert_eq!(registry.attach(component, scope).unwrap(), []);
    }
    registry
}

fn run(
    registry: &Registry,
    sender: Player<'_>,
    addressee: Addressee<'_>,
    line: &str,
) -> (Outcome, Vec<String>) {
    let mut sink = Collected::default();
    let request = Request { sender, addressee, line, world: &TestWorld, via: cmdman::Via::Command };
    let outcome = {
        let mut future = pin!(cmdman::dispatch(registry, request, &mut sink));
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => panic!("dispatch waited"),
        }
    };
    (outcome, sink.sender)
}

/// The one reply line of a line that ran.
fn reply(registry: &Registry, sender: Player<'_>, addressee: Addressee<'_>, line: &str) -> String {
    let (outcome, mut lines) = run(registry, sender, addressee, line);
    assert_eq!(lines.len(), 1, "{line}: {lines:?}");
    assert!(
        matches!(outcome, Outcome::Ran | Outcome::Unknown | Outcome::Denied | Outcome::OutOfScope),
        "{outcome:?}"
    );
    lines.remove(0)
}

#[test]
fn the_most_specific_scope_wins() {
    let zone = zone();
    assert_eq!(reply(&zone, NOMAD, Addressee::Pub, "?where"), "where everywhere Zone");
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?where"), "where everywhere Zone");
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "?where"), "where realm_a Realm(RealmId(1))");
    assert_eq!(reply(&zone, gamer(), Addressee::Pub, "?where"), "where game_g Game(RealmId(1), GameId(0))");
    // A team in a game is the game's: the game's command answers.
    assert_eq!(
        reply(&zone, gamer(), Addressee::Team(0), "?where"),
        "where game_g Game(RealmId(1), GameId(0))"
    );
}

#[test]
fn source_and_target_in_scope() {
    let zone = zone();
    // Alice and Gamer are both in realm A.
    assert_eq!(
        reply(&zone, alice(), Addressee::Player(gamer()), "?local"),
        "local realm_a Realm(RealmId(1))"
    );
    // The target is outside: refused, naming the scope.
    let (outcome, lines) = run(&zone, alice(), Addressee::Player(bob()), "?local");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(lines, ["?local works only on players in realm a; Bob is not there."]);
    // The sender is outside: not a candidate at all.
    assert_eq!(run(&zone, bob(), Addressee::Player(alice()), "?local").0, Outcome::Unknown);
}

#[test]
fn source_in_scope_with_the_target_anywhere() {
    let zone = zone();
    assert_eq!(
        reply(&zone, alice(), Addressee::Player(bob()), "?anyone"),
        "anyone realm_a Realm(RealmId(1))"
    );
    assert_eq!(run(&zone, bob(), Addressee::Player(alice()), "?anyone").0, Outcome::Unknown);
}

#[test]
fn the_sender_anywhere_with_the_target_in_scope() {
    let zone = zone();
    // Found through the target's scopes.
    assert_eq!(
        reply(&zone, bob(), Addressee::Player(alice()), "?rtarget"),
        "rtarget realm_a Realm(RealmId(1))"
    );
    assert_eq!(
        reply(&zone, NOMAD, Addressee::Player(gamer()), "?rtarget"),
        "rtarget realm_a Realm(RealmId(1))"
    );
    // Inside the scope too, the sender reaches it for a target inside.
    assert_eq!(
        reply(&zone, alice(), Addressee::Player(gamer()), "?rtarget"),
        "rtarget realm_a Realm(RealmId(1))"
    );
    // The target outside: nothing to find.
    assert_eq!(run(&zone, bob(), Addressee::Player(bert()), "?rtarget").0, Outcome::Unknown);
    assert_eq!(run(&zone, alice(), Addressee::Player(bob()), "?rtarget").0, Outcome::Unknown);
    // In public from inside the scope it is found, but takes players only.
    assert_eq!(run(&zone, alice(), Addressee::Pub, "?rtarget").0, Outcome::WrongForm);
}

#[test]
fn between_sender_and_target_scopes_the_deeper_wins_and_a_tie_goes_to_the_sender() {
    let zone = zone();
    // The zone's ?deep through the sender, the game's through the target.
    assert_eq!(
        reply(&zone, bob(), Addressee::Player(gamer()), "?deep"),
        "deep game_g Game(RealmId(1), GameId(0))"
    );
    assert_eq!(reply(&zone, bob(), Addressee::Player(alice()), "?deep"), "deep everywhere Zone");
    // Realm B's ?tie through Bob, realm A's through Alice: same depth.
    assert_eq!(reply(&zone, bob(), Addressee::Player(alice()), "?tie"), "tie realm_b Realm(RealmId(2))");
    assert_eq!(reply(&zone, NOMAD, Addressee::Player(alice()), "?tie"), "tie realm_a Realm(RealmId(1))");
}

#[test]
fn dispatch_order_char_table_general_table_then_catch_alls() {
    let zone = zone();
    // The `*` table first, even over a more specific general `where`.
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "*where"), "where everywhere Zone");
    // Then the general table.
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "*ping"), "ping everywhere Zone");
    // Then the `*` catch-all, then the general one.
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "*zap now=1"), "star caught zap [now=1]");
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "?zap"), "caught ?zap");
    // A catch-all catches only its forms: in the game, a private line goes to
    // the game's catch-all, a public one on to the zone's.
    assert_eq!(reply(&zone, gamer(), Addressee::Player(alice()), "?zap"), "game caught zap");
    assert_eq!(reply(&zone, gamer(), Addressee::Pub, "?zap"), "caught ?zap");
    // With neither catch-all attached: unknown.
    zone.detach("catchers", Scope::Zone).unwrap();
    assert_eq!(run(&zone, alice(), Addressee::Pub, "?zap").0, Outcome::Unknown);
}

#[test]
fn external_targets_get_the_name_only() {
    let zone = zone();
    assert_eq!(reply(&zone, alice(), Addressee::External("Ghost"), "?mail"), "mail for External(\"Ghost\")");
    let (outcome, lines) = run(&zone, alice(), Addressee::External("Ghost"), "?ping");
    assert_eq!(outcome, Outcome::WrongForm);
    assert_eq!(lines, ["?ping cannot be sent to a name outside the zone; send it in public."]);
}

#[test]
fn conflicts_are_refused_and_recorded_shadows_listed() {
    let zone = zone();
    let conflicts = zone.attach("rival", Scope::Zone).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].name.as_str(), conflicts[0].kept, conflicts[0].refused),
        ("where", "everywhere", "rival")
    );
    assert_eq!(reply(&zone, NOMAD, Addressee::Pub, "?where"), "where everywhere Zone");
    let health = zone.tables().health();
    assert_eq!(health.conflicts, conflicts);
    // Realm A's and game g's `where` hide the zone's: listed, not refused.
    let shadows: Vec<(&str, Scope, &str)> =
        health.shadows.iter().map(|s| (s.name.as_str(), s.scope, s.component)).collect();
    assert!(shadows.contains(&("where", Scope::Realm(A), "realm_a")), "{shadows:?}");
    assert!(shadows.contains(&("where", Scope::Game(A, G), "game_g")), "{shadows:?}");
    // In another scope the same name is no conflict.
    assert_eq!(zone.attach("rival", Scope::Realm(B)).unwrap(), []);
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?where"), "where rival Realm(RealmId(2))");
    // Detached, the conflict is gone.
    zone.detach("rival", Scope::Zone).unwrap();
    assert_eq!(zone.tables().health().conflicts, []);
}

#[test]
fn detaching_a_realm_takes_its_games_with_it() {
    let zone = zone();
    assert_eq!(zone.detach_scope(Scope::Realm(A)), 2);
    assert_eq!(reply(&zone, gamer(), Addressee::Pub, "?where"), "where everywhere Zone");
    assert!(zone.detach("realm_a", Scope::Realm(A)).is_err());
    assert_eq!(zone.tables().health().unattached, ["game_g", "realm_a", "rival"]);
}

#[test]
fn unknown_commands_suggest_only_what_the_player_may_run() {
    let zone = zone();
    zone.detach("catchers", Scope::Zone).unwrap();
    assert_eq!(
        reply(&zone, alice(), Addressee::Pub, "?wher"),
        "Unknown command '?wher'. Did you mean ?where? Type ?commands for a list."
    );
    // ?locked is denied to everyone here: never suggested.
    assert_eq!(
        reply(&zone, alice(), Addressee::Pub, "?lockedd"),
        "Unknown command '?lockedd'. Type ?commands for a list."
    );
    // ?local is only reachable in realm A.
    assert_eq!(
        reply(&zone, bob(), Addressee::Pub, "?locl"),
        "Unknown command '?locl'. Type ?commands for a list."
    );
    assert_eq!(
        reply(&zone, alice(), Addressee::Pub, "?locl"),
        "Unknown command '?locl'. Did you mean ?local? Type ?commands for a list."
    );
}

#[test]
fn denied_commands_say_so_and_stealth_ones_answer_as_unknown_byte_for_byte() {
    let zone = zone();
    zone.detach("catchers", Scope::Zone).unwrap();
    let (outcome, lines) = run(&zone, alice(), Addressee::Pub, "?locked");
    assert_eq!(outcome, Outcome::Denied);
    assert_eq!(lines, ["You may not use ?locked."]);

    let (outcome, denied) = run(&zone, alice(), Addressee::Pub, "?hidden");
    assert_eq!(outcome, Outcome::Unknown);
    // The same name with no such command anywhere.
    zone.detach("everywhere", Scope::Zone).unwrap();
    let (outcome, unknown) = run(&zone, alice(), Addressee::Pub, "?hidden");
    assert_eq!(outcome, Outcome::Unknown);
    assert_eq!(denied.concat().as_bytes(), unknown.concat().as_bytes());
    // And in a form it does not take, it stays hidden.
    zone.attach("everywhere", Scope::Zone).unwrap();
    let (_, wrong_form) = run(&zone, alice(), Addressee::Player(gamer()), "?hidden");
    assert_eq!(wrong_form, ["Unknown command '?hidden'. Type ?commands for a list."]);

    // With a catch-all attached, a denied stealth command goes to it, as an
    // unknown name does.
    zone.attach("catchers", Scope::Zone).unwrap();
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "*hidden"), "star caught hidden []");
    assert_eq!(reply(&zone, alice(), Addressee::Pub, "*nosuch"), "star caught nosuch []");
    let (outcome, denied) = run(&zone, alice(), Addressee::Pub, "?hidden");
    zone.detach("everywhere", Scope::Zone).unwrap();
    let (_, unknown) = run(&zone, alice(), Addressee::Pub, "?hidden");
    assert_eq!((outcome, denied.concat()), (Outcome::Ran, unknown.concat()));
}

#[test]
fn typed_arguments_parse_or_answer_with_the_usage_line() {
    let zone = zone();
    let give = |line: &str| run(&zone, alice(), Addressee::Pub, line).1;
    assert_eq!(give("?give bob 5"), ["Bob gets 5 (-) loud=false"]);
    assert_eq!(give("?give -l gamer 7 well played"), ["Gamer gets 7 (well played) loud=true"]);
    assert_eq!(
        give("?give bob lots"),
        [
            "<amount> is a whole number from 0 to 4294967295, not 'lots'.",
            "Usage: ?give [-l] <to> <amount> [note...]"
        ]
    );
    assert_eq!(give("?give"), ["Missing <to>.", "Usage: ?give [-l] <to> <amount> [note...]"]);
    assert_eq!(give("?give zed 1"), ["Nobody called 'zed' is online."]);
    assert_eq!(run(&zone, alice(), Addressee::Pub, "?set x -3").1, ["x=-3"]);
    assert_eq!(
        run(&zone, alice(), Addressee::Pub, "?set x 1 2").1,
        ["Unexpected '2'.", "Usage: ?set <key> <value>"]
    );
}

#[test]
fn multi_command_lines_skip_empty_parts_and_explain_an_empty_line() {
    let zone = zone();
    assert_eq!(
        run(&zone, alice(), Addressee::Pub, "?|").1,
        ["Type command names after ?|, separated by |: ?|arena|uptime"]
    );
    let (_, lines) = run(&zone, alice(), Addressee::Pub, "?|ping||ping|ping|ping|ping|");
    assert_eq!(lines.len(), 5, "five commands, nothing dropped: {lines:?}");
}

#[test]
fn statistics_count_calls_errors_and_time() {
    let zone = zone();
    run(&zone, alice(), Addressee::Pub, "?set a 1");
    run(&zone, alice(), Addressee::Pub, "?set a x");
    run(&zone, alice(), Addressee::Pub, "?|set b 2|set c 3");
    let tables = zone.tables();
    let set = tables.commands().iter().find(|command| command.name() == "set").unwrap();
    let stats = set.stats();
    assert_eq!((stats.calls, stats.errors), (4, 1));
    // Lines that never reach the handler are not calls.
    run(&zone, alice(), Addressee::Pub, "?locked");
    let locked = tables.commands().iter().find(|command| command.name() == "locked").unwrap();
    assert_eq!(locked.stats().calls, 0);
    // Time is the handler's own, summed.
    run(&zone, alice(), Addressee::Pub, "?|slow|slow");
    let slow = tables.commands().iter().find(|command| command.name() == "slow").unwrap();
    assert_eq!(slow.stats().calls, 2);
    assert!(slow.stats().time >= std::time::Duration::from_millis(2), "{:?}", slow.stats());
}

#[test]
fn statistics_count_every_call_from_threads_at_once_and_from_threads_that_ended() {
    let zone = zone();
    let ping = |times: usize| {
        for _ in 0..times {
            assert_eq!(run(&zone, alice(), Addressee::Pub, "?ping").0, Outcome::Ran);
        }
    };
    // Eight threads at once, more than most machines' cores; then twenty,
    // one after another, so ids (and their counts) pass from threads that
    // ended to new ones.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| ping(500));
        }
    });
    for _ in 0..20 {
        std::thread::scope(|scope| {
            scope.spawn(|| ping(10));
        });
    }
    ping(1);
    let tables = zone.tables();
    let command = tables.commands().iter().find(|command| command.name() == "ping").unwrap();
    assert_eq!(command.stats().calls, 8 * 500 + 20 * 10 + 1);
}

/// A component added at runtime, as a script component is: its handler
/// replies with its name.
struct Added;

impl cmdman::DynamicHandler for Added {
    fn call(&self, ctx: &mut cmdman::Ctx<'_>) -> cmdman::CommandResult {
        let line = format!("added {}", ctx.command().name());
        ctx.reply().line(&line);
        Ok(())
    }
}

fn added(component: &'static str, name: &'static str, forms: cmdman::Forms) -> &'static cmdman::CommandDef {
    Box::leak(Box::new(cmdman::CommandDef {
        name,
        aliases: &[],
        component: Some(component),
        module_path: "script",
        cmd_char: None,
        source_in_scope: true,
        target_in_scope: true,
        forms,
        groups: [Some("default"); TargetForm::COUNT],
        stealth: false,
        catch_all: false,
        args: None,
        params: &[],
        help: "Added at runtime.",
        file: "addon/init.luau",
        line: 7,
        handler: cmdman::Handler::Dynamic,
    }))
}

#[test]
fn components_added_at_runtime_are_found_lose_to_compiled_ones_and_go_away() {
    let zone = zone();
    let pub_form = cmdman::Forms::new(true, false, false, false, false);
    let handler: std::sync::Arc<dyn cmdman::DynamicHandler> = std::sync::Arc::new(Added);
    let before = zone.tables().version();
    let commands = vec![
        (added("addon", "hello", pub_form), handler.clone()),
        (added("addon", "ping", pub_form), handler.clone()),
    ];
    let version = zone.install("addon", commands).unwrap();
    assert!(version > before);
    assert!(zone.tables().component("addon").unwrap().is_script());
    // Added, not attached: not there yet (the zone's catch-all answers).
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?hello"), "caught ?hello");

    // Attached after the compiled `everywhere`, and also before it in realm B:
    // either way the compiled component's ?ping stays.
    zone.detach("everywhere", Scope::Zone).unwrap();
    zone.attach("addon", Scope::Realm(B)).unwrap();
    let conflicts = zone.attach("everywhere", Scope::Realm(B)).unwrap();
    assert_eq!(conflicts, []);
    let health = zone.tables().health();
    assert!(
        health.conflicts.iter().any(|c| c.name == "ping" && c.kept == "everywhere" && c.refused == "addon"),
        "{health:?}"
    );
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?hello"), "added hello");
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?ping"), "ping everywhere Realm(RealmId(2))");

    // Another install renumbers the commands; statistics stay with them.
    zone.install("other", vec![(added("other", "wave", pub_form), handler.clone())]).unwrap();
    let tables = zone.tables();
    let hello = tables.commands().iter().find(|command| command.name() == "hello").unwrap();
    assert_eq!(hello.stats().calls, 1);
    assert_eq!(hello.version(), tables.version());
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?hello"), "added hello");

    // The same name twice, a compiled name, a bad declaration: refused whole.
    let again = zone.install("addon", vec![(added("addon", "x", pub_form), handler.clone())]);
    assert_eq!(again.unwrap_err().to_string(), "there is already a script component called 'addon'");
    let compiled = zone.install("everywhere", vec![(added("everywhere", "x", pub_form), handler.clone())]);
    assert_eq!(
        compiled.unwrap_err().to_string(),
        "there is already a compiled component called 'everywhere'"
    );
    let illegal = zone.install("bad", vec![(added("bad", "x", cmdman::Forms::EMPTY), handler.clone())]);
    assert_eq!(
        illegal.unwrap_err().to_string(),
        "command 'x' at addon/init.luau:7 (component bad): a command needs at least one target form"
    );
    assert!(zone.tables().component("bad").is_none());

    // Of two script components, the first in name order wins, whatever
    // the order they were attached in.
    zone.install("zeta", vec![(added("zeta", "twin", pub_form), handler.clone())]).unwrap();
    zone.install("alpha", vec![(added("alpha", "twin", pub_form), handler.clone())]).unwrap();
    zone.attach("zeta", Scope::Zone).unwrap();
    zone.attach("alpha", Scope::Zone).unwrap();
    let health = zone.tables().health();
    assert!(
        health.conflicts.iter().any(|c| c.name == "twin" && c.kept == "alpha" && c.refused == "zeta"),
        "{health:?}"
    );

    // Removed: detached everywhere and gone; compiled components stay.
    zone.uninstall("addon").unwrap();
    assert_eq!(reply(&zone, bob(), Addressee::Pub, "?hello"), "caught ?hello");
    assert!(!zone.tables().attachments().iter().any(|(component, _)| *component == "addon"));
    assert_eq!(
        zone.uninstall("everywhere").unwrap_err().to_string(),
        "'everywhere' is compiled into the server; only script components can be removed"
    );
    // Tables read before the removal still run the removed command.
    assert!(tables.find(bob().location, '?', "hello").is_some());
}
