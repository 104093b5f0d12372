//! The command manager alone, with no server: registration errors, lookup by
//! cmd char and name, target forms, `?|a|b` lines and handler errors, using
//! commands declared with `#[command]` in this test crate.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cmdman::{
    Addressee, Collected, CommandDef, CommandError, CommandResult, Ctx, Forms, Handler, Location, Outcome,
    Player, PlayerId, RealmId, Registry, RegistryError, Request, Scope, Settings, Target, command,
};

/// Says hello, naming the target.
#[command(target_pub, target_player, group = "default")]
fn cmd_hello(ctx: &mut Ctx<'_>) -> CommandResult {
    let whom = match ctx.target() {
        Target::Player(player) => player.name.to_owned(),
        _ => "everyone".to_owned(),
    };
    let sender = ctx.sender();
    let _ = write!(ctx.reply(), "hello {whom} from {}", sender.name);
    ctx.reply_to_target().line("someone said hello");
    Ok(())
}

/// Needs a number.
#[command(target_pub, args = "<n>")]
fn cmd_count(ctx: &mut Ctx<'_>) -> CommandResult {
    let n: u32 = ctx.params().parse().map_err(|_| CommandError::usage("That is not a number."))?;
    ctx.reply().line(&format!("counted {n}"));
    Ok(())
}

/// Only for `*`.
#[command(char = '*', target_pub, target_team, target_remote_team)]
fn cmd_warn(ctx: &mut Ctx<'_>) -> CommandResult {
    let line = format!("warned {:?} via {}", ctx.form(), ctx.params());
    ctx.reply().line(&line);
    Ok(())
}

/// Hidden.
#[command(target_player, stealth)]
async fn cmd_secret(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.reply().line("secret");
    Ok(())
}

fn registry() -> Registry {
    let registry = Registry::linked(Settings::default()).unwrap();
    registry.attach("dispatch", Scope::Zone).unwrap();
    registry
}

const ALICE: Player<'static> = Player {
    id: PlayerId(1),
    name: "Alice",
    location: Location { realm: Some(RealmId(0)), game: None },
    freq: Some(3),
};
const BOB: Player<'static> = Player {
    id: PlayerId(2),
    name: "Bob",
    location: Location { realm: Some(RealmId(1)), game: None },
    freq: Some(0),
};

/// Dispatches and polls once: these handlers never wait.
fn run(registry: &Registry, addressee: Addressee<'_>, line: &str) -> (Outcome, Collected) {
    let mut sink = Collected::default();
    let request = Request { sender: ALICE, addressee, line, world: &(), via: cmdman::Via::Command };
    let outcome = {
        let mut future = pin!(cmdman::dispatch(registry, request, &mut sink));
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => panic!("dispatch waited"),
        }
    };
    (outcome, sink)
}

#[test]
fn the_linked_table_holds_this_crates_commands() {
    let tables = registry().tables();
    let names: Vec<&str> = tables.commands().iter().map(|command| command.name()).collect();
    assert_eq!(names, ["count", "hello", "secret", "warn"]);
    assert_eq!(tables.commands()[0].component(), "dispatch");
}

#[test]
fn pub_and_player_forms_reach_the_handler_with_their_target() {
    let registry = registry();
    let (outcome, sink) = run(&registry, Addressee::Pub, "?HELLO");
    assert_eq!(outcome, Outcome::Ran);
    assert_eq!(sink.sender, ["hello everyone from Alice"]);
    assert!(sink.target.is_empty());

    let (_, sink) = run(&registry, Addressee::Player(BOB), "hello");
    assert_eq!(sink.sender, ["hello Bob from Alice"]);
    assert_eq!(sink.target, ["someone said hello"]);
}

#[test]
fn a_form_the_command_does_not_take_is_refused_by_name() {
    let registry = registry();
    let (outcome, sink) = run(&registry, Addressee::External("Ghost"), "?hello");
    assert_eq!(outcome, Outcome::WrongForm);
    assert_eq!(
        sink.sender,
        ["?hello cannot be sent to a name outside the zone; send it in public or to a player."]
    );
}

#[test]
fn team_form_depends_on_the_senders_freq() {
    let registry = registry();
    let (_, own) = run(&registry, Addressee::Team(3), "*warn x");
    assert_eq!(own.sender, ["warned Team via x"]);
    let (_, other) = run(&registry, Addressee::Team(4), "*warn y");
    assert_eq!(other.sender, ["warned RemoteTeam via y"]);
}

#[test]
fn a_command_bound_to_a_cmd_char_is_unknown_under_another() {
    let registry = registry();
    let (outcome, sink) = run(&registry, Addressee::Pub, "?warn");
    assert_eq!(outcome, Outcome::Unknown);
    assert_eq!(sink.sender, ["Unknown command '?warn'. Type ?commands for a list."]);
    let (outcome, _) = run(&registry, Addressee::Pub, "*warn");
    assert_eq!(outcome, Outcome::Ran);
}

#[test]
fn a_stealth_command_shows_itself_to_players_who_may_run_it() {
    // Everything is allowed in the world `()`: the wrong form gets the real
    // answer, and the right form runs. (Denied, it answers as unknown: see
    // tests/scopes.rs.)
    let registry = registry();
    let (outcome, sink) = run(&registry, Addressee::Pub, "?secret");
    assert_eq!(outcome, Outcome::WrongForm);
    assert_eq!(sink.sender, ["?secret cannot be sent in public; send it to a player."]);
    let (outcome, _) = run(&registry, Addressee::Player(BOB), "?secret");
    assert_eq!(outcome, Outcome::Ran);
}

#[test]
fn usage_errors_show_the_generated_usage_line() {
    let registry = registry();
    let (outcome, sink) = run(&registry, Addressee::Pub, "?count=many");
    assert_eq!(outcome, Outcome::Failed);
    assert_eq!(sink.sender, ["That is not a number.", "Usage: ?count <n>"]);
}

#[test]
fn multi_command_lines_run_each_part_up_to_the_limit() {
    let registry = Registry::linked(Settings { multi_limit: 2, ..Settings::default() }).unwrap();
    registry.attach("dispatch", Scope::Zone).unwrap();
    let (_, sink) = run(&registry, Addressee::Pub, "?|count 1| count 2|count 3");
    assert_eq!(sink.sender, ["counted 1", "counted 2", "Only the first 2 commands of a ?| line run."]);
}

fn def(
    name: &'static str,
    source_in_scope: bool,
    target_in_scope: bool,
    forms: Forms,
) -> &'static CommandDef {
    fn noop(_: &mut Ctx<'_>) -> CommandResult {
        Ok(())
    }
    Box::leak(Box::new(CommandDef {
        name,
        aliases: &[],
        component: Some("test"),
        module_path: module_path!(),
        cmd_char: None,
        source_in_scope,
        target_in_scope,
        forms,
        groups: [None; 5],
        stealth: false,
        catch_all: false,
        args: None,
        params: &[],
        help: "",
        file: "here.rs",
        line: 7,
        handler: Handler::Sync(noop),
    }))
}

#[test]
fn duplicate_names_in_one_component_are_refused_with_both_places() {
    let pub_only = Forms::new(true, false, false, false, false);
    let error =
        Registry::new([def("x", true, true, pub_only), def("x", true, true, pub_only)], Settings::default())
            .unwrap_err();
    assert!(matches!(error, RegistryError::Duplicate { .. }));
    assert_eq!(
        error.to_string(),
        "command name 'x' is registered twice: at here.rs:7 (component test) and at here.rs:7 (component test)"
    );
}

#[test]
fn illegal_declarations_built_at_runtime_are_refused() {
    let pub_only = Forms::new(true, false, false, false, false);
    let external = Forms::new(false, false, false, false, true);
    for (def, reason) in [
        (def("a", false, false, pub_only), "source_in_scope = false with target_in_scope = false is illegal"),
        (def("b", true, true, Forms::EMPTY), "a command needs at least one target form"),
        (def("c", true, true, external), "target_external needs target_in_scope = false"),
        (
            def("Bad", true, true, pub_only),
            "names and aliases are 1 to 32 lower-case ASCII letters and digits",
        ),
    ] {
        let error = Registry::new([def], Settings::default()).unwrap_err();
        assert!(error.to_string().ends_with(reason), "{error}");
    }
    let error = Registry::new([], Settings { cmd_chars: vec!['a'], multi_limit: 1 }).unwrap_err();
    assert_eq!(error, RegistryError::BadCmdChar('a'));
}

#[test]
fn only_the_configured_cmd_chars_start_a_command() {
    let registry = Registry::new([], Settings { cmd_chars: vec!['!', '.'], multi_limit: 1 }).unwrap();
    assert_eq!(registry.cmd_char_of(".where"), ('.', "where"));
    assert_eq!(registry.cmd_char_of("!where"), ('!', "where"));
    assert_eq!(registry.cmd_char_of("?where"), ('!', "?where"), "not a cmd char here: the default applies");
    assert_eq!(registry.cmd_char_of("éwhere"), ('!', "éwhere"));
    assert_eq!(registry.cmd_char_of(""), ('!', ""));
    assert!(registry.is_command(".x") && registry.is_command("!"));
    assert!(!registry.is_command("?x") && !registry.is_command("é") && !registry.is_command(""));
}

#[test]
fn a_plain_handler_runs_at_once_and_an_async_one_when_awaited() {
    let registry = registry();
    let mut sink = Collected::default();
    let request = Request {
        sender: ALICE,
        addressee: Addressee::Pub,
        line: "?hello",
        world: &(),
        via: cmdman::Via::Command,
    };
    let ran =
        matches!(cmdman::try_dispatch(&registry, request, &mut sink), cmdman::Dispatched::Done(Outcome::Ran));
    assert!(ran);
    assert_eq!(sink.sender, ["hello everyone from Alice"]);

    // An async handler's line comes back to be awaited, having run and
    // answered nothing yet; its statistics count it once, when it runs.
    let mut sink = Collected::default();
    let request = Request { addressee: Addressee::Player(BOB), line: "?secret", ..request };
    let outcome = match cmdman::try_dispatch(&registry, request, &mut sink) {
        cmdman::Dispatched::Pending(mut future) => {
            match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => panic!("the handler waited"),
            }
        }
        done @ cmdman::Dispatched::Done(_) => panic!("{done:?}"),
    };
    assert_eq!(outcome, Outcome::Ran);
    assert_eq!(sink.sender, ["secret"]);
    let tables = registry.tables();
    let secret = tables.commands().iter().find(|command| command.name() == "secret").unwrap();
    assert_eq!(secret.stats().calls, 1);
}

/// Allows everything, counting the access checks asked of it.
#[derive(Default)]
struct CountingWorld(std::sync::atomic::AtomicUsize);

impl cmdman::World for CountingWorld {
    fn allows(
        &self,
        _: &Player<'_>,
        _: cmdman::CommandRef<'_>,
        _: cmdman::TargetForm,
        _: Option<RealmId>,
    ) -> bool {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        true
    }
}

/// Polls a pending line once: these handlers never wait.
fn finish(dispatched: cmdman::Dispatched<'_>) -> Outcome {
    match dispatched {
        cmdman::Dispatched::Pending(mut future) => {
            match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => panic!("the handler waited"),
            }
        }
        done @ cmdman::Dispatched::Done(_) => panic!("{done:?}"),
    }
}

#[test]
fn an_async_handlers_line_is_checked_once_in_the_tables_it_runs_in() {
    // The line is looked up and checked before it comes back to be awaited;
    // awaiting it runs the handler without checking it again.
    let registry = registry();
    let world = CountingWorld::default();
    let checks = || world.0.load(std::sync::atomic::Ordering::Relaxed);
    let mut sink = Collected::default();
    let request = Request {
        sender: ALICE,
        addressee: Addressee::Player(BOB),
        line: "?secret",
        world: &world,
        via: cmdman::Via::Command,
    };
    let pending = cmdman::try_dispatch(&registry, request, &mut sink);
    let checked = checks();
    assert!(checked > 0, "the stealth command was not checked before it was returned");
    assert_eq!(finish(pending), Outcome::Ran);
    assert_eq!(sink.sender, ["secret"]);
    assert_eq!(checks(), checked, "awaiting the line looked it up and checked it again");

    // The component goes while the line waits to be awaited: the line runs
    // in the tables it was checked in; the next line no longer finds it.
    let mut sink = Collected::default();
    let pending = cmdman::try_dispatch(&registry, request, &mut sink);
    registry.detach("dispatch", Scope::Zone).unwrap();
    assert_eq!(finish(pending), Outcome::Ran);
    assert_eq!(sink.sender, ["secret"]);
    let (outcome, _) = run(&registry, Addressee::Player(BOB), "?secret");
    assert_eq!(outcome, Outcome::Unknown);
}
