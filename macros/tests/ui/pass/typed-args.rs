//! Typed arguments: parsed in order from the params, flags first; the usage
//! line is generated from the parameters; named lifetimes work; a catch-all
//! registers as one; a `#[from_ctx]` parameter is taken from the context and
//! is not an argument.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cmdman::{
    Addressee, COMMANDS, Collected, CommandError, CommandResult, Ctx, Flag, FromCtx, Location, Outcome, Player,
    PlayerId, Registry, Request, Rest, Scope, Settings, command,
};

/// A user's own type that happens to be called `Rest`: one word, read by
/// its shape, not by its name.
mod mine {
    pub struct Rest(pub String);

    impl<'a> cmdman::Arg<'a> for Rest {
        fn parse(parser: &mut cmdman::Parser<'a>, name: &'static str) -> Result<Rest, cmdman::CommandError> {
            let word = parser.word().ok_or_else(|| cmdman::CommandError::usage(format!("Missing <{name}>.")))?;
            Ok(Rest(word.to_owned()))
        }
    }
}

/// Pairs a word and a number.
#[command(target_pub)]
fn cmd_pair(ctx: &mut Ctx<'_>, first: mine::Rest, second: u8) -> CommandResult {
    let line = format!("{} {second}", first.0);
    ctx.reply().line(&line);
    Ok(())
}

/// Who sent the command, taken from the context.
struct Sender(String);

impl<'a> FromCtx<'a> for Sender {
    fn from_ctx(ctx: &Ctx<'a>) -> Result<Sender, CommandError> {
        Ok(Sender(ctx.sender().name.to_owned()))
    }
}

/// Greets someone, saying who from.
#[command(target_pub)]
async fn cmd_greet(ctx: &mut Ctx<'_>, #[from_ctx] from: Sender, whom: &str) -> CommandResult {
    let line = format!("{} greets {whom}", from.0);
    ctx.reply().line(&line);
    Ok(())
}

/// Warns a player.
#[command(target_pub, char = '*')]
fn cmd_warn(ctx: &mut Ctx<'_>, silent: Flag<'s'>, times: Option<u8>, reason: Rest<'_>) -> CommandResult {
    let line = format!("warn x{} silent={} {}", times.unwrap_or(1), silent.0, reason.0);
    ctx.reply().line(&line);
    Ok(())
}

/// Echoes a word, with a named lifetime.
#[command(target_pub)]
async fn cmd_echo<'a>(ctx: &mut Ctx<'a>, word: &'a str, more: Option<Rest<'a>>) -> CommandResult {
    let line = format!("{word}{}", more.map_or(String::new(), |more| format!(" +{}", more.0)));
    ctx.reply().line(&line);
    Ok(())
}

/// Anything else.
#[command(target_pub, catch_all)]
fn cmd_other(ctx: &mut Ctx<'_>) -> CommandResult {
    let line = format!("other: {}", ctx.typed_name());
    ctx.reply().line(&line);
    Ok(())
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn main() {
    let warn = COMMANDS.iter().find(|def| def.name == "warn").unwrap();
    assert_eq!(warn.usage_args().as_deref(), Some("[-s] [times] <reason...>"));
    let echo = COMMANDS.iter().find(|def| def.name == "echo").unwrap();
    assert_eq!(echo.usage_args().as_deref(), Some("<word> [more...]"));
    let pair = COMMANDS.iter().find(|def| def.name == "pair").unwrap();
    assert_eq!(pair.usage_args().as_deref(), Some("<first> <second>"));
    let greet = COMMANDS.iter().find(|def| def.name == "greet").unwrap();
    assert_eq!(greet.usage_args().as_deref(), Some("<whom>"));
    let other = COMMANDS.iter().find(|def| def.name == "other").unwrap();
    assert!(other.catch_all && !warn.catch_all);

    let registry = Registry::new(COMMANDS.iter(), Settings::default()).unwrap();
    // At the crate root, the component is the crate's name.
    let component = registry.tables().components()[0].name();
    registry.attach(component, Scope::Zone).unwrap();
    let sender = Player { id: PlayerId(1), name: "Bob", location: Location::default(), freq: None };
    for (line, outcome, reply) in [
        ("*warn -s 3 spamming", Outcome::Ran, &["warn x3 silent=true spamming"][..]),
        ("*warn", Outcome::Failed, &["Missing <reason>.", "Usage: *warn [-s] [times] <reason...>"][..]),
        ("?echo hi there", Outcome::Ran, &["hi +there"][..]),
        ("?greet Alice", Outcome::Ran, &["Bob greets Alice"][..]),
        ("?pair x 7", Outcome::Ran, &["x 7"][..]),
        ("?nothing", Outcome::Ran, &["other: nothing"][..]),
    ] {
        let mut sink = Collected::default();
        let request = Request { sender, addressee: Addressee::Pub, line, world: &(), via: cmdman::Via::Command };
        assert_eq!(block_on(cmdman::dispatch(&registry, request, &mut sink)), outcome, "{line}");
        assert_eq!(sink.sender, reply, "{line}");
    }
}
