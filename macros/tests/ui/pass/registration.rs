//! Commands declared across modules register exactly what their attributes say,
//! and the registry accepts them and runs both sync and async handlers.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cmdman::{
    Addressee, COMMANDS, CommandDef, Forms, Handler, Location, Player, PlayerId, Registry, Request, Scope,
    Settings, TargetForm,
};

mod stats {
    use cmdman::{CommandResult, Ctx, command};

    /// Shows your session time.
    ///
    /// With a player target, shows theirs.
    #[command(target_pub, target_player, group = "default", args = "[player]")]
    pub(crate) async fn cmd_usage(ctx: &mut Ctx<'_>) -> CommandResult {
        ctx.reply().line("usage ran");
        Ok(())
    }

    /// Resets your score.
    #[command(
        target_pub,
        target_team = true,
        target_remote_team,
        target_player,
        group = "mod",
        group_pub = "default",
        group_player = "sysop",
        aliases = ["sr"],
    )]
    fn score_reset(ctx: &mut Ctx<'_>) -> CommandResult {
        ctx.reply().line("scorereset ran");
        Ok(())
    }
}

mod staff {
    use cmdman::{CommandResult, Ctx, command};

    /// Puts every player in spectator mode.
    #[command(target_pub, component = "core", char = '*', stealth, source_in_scope = false)]
    fn cmd_specall(_ctx: &mut Ctx<'_>) -> CommandResult {
        Ok(())
    }

    #[doc = ""]
    #[doc = " Sends a message to a name outside the zone."]
    #[doc = ""]
    #[doc = " Nobody promises the name is online.\n   Use with care."]
    #[doc = ""]
    #[command(
        name = "tell",
        aliases = ["t", "msg2"],
        target_external,
        target_player = false,
        target_in_scope = false,
        source_in_scope,
        group_external = "sysop",
        stealth = false,
    )]
    async fn message_far_away(_ctx: &mut Ctx<'_>) -> CommandResult {
        Ok(())
    }
}

fn find(name: &str) -> &'static CommandDef {
    COMMANDS.iter().find(|def| def.name == name).unwrap_or_else(|| panic!("`{name}` is not registered"))
}

/// Polls `future` to completion; the handlers here never wait.
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
    let mut names: Vec<&str> = COMMANDS.iter().map(|def| def.name).collect();
    names.sort_unstable();
    assert_eq!(names, ["scorereset", "specall", "tell", "usage"]);

    let usage = find("usage");
    assert!(usage.aliases.is_empty());
    assert_eq!(usage.component, None);
    assert_eq!(usage.component_name(), "stats");
    assert!(usage.module_path.ends_with("::stats"), "{}", usage.module_path);
    assert_eq!(usage.cmd_char, None);
    assert!(usage.source_in_scope && usage.target_in_scope);
    assert_eq!(usage.forms, Forms::new(true, false, false, true, false));
    assert_eq!(usage.groups, [Some("default"), None, None, Some("default"), None]);
    assert!(!usage.stealth);
    assert_eq!(usage.usage_args().as_deref(), Some("[player]"));
    assert_eq!(usage.help, "Shows your session time.\n\nWith a player target, shows theirs.");
    assert_eq!(usage.summary(), "Shows your session time.");
    assert!(usage.file.ends_with("registration.rs"), "{}", usage.file);
    assert_eq!(usage.line, 22, "the line of `fn cmd_usage`");
    assert!(matches!(usage.handler, Handler::Async(_)));

    let score_reset = find("scorereset");
    assert_eq!(score_reset.aliases, ["sr"]);
    assert_eq!(score_reset.forms, Forms::new(true, true, true, true, false));
    assert_eq!(score_reset.groups, [Some("default"), Some("mod"), Some("mod"), Some("sysop"), None]);
    assert_eq!(score_reset.group(TargetForm::RemoteTeam), Some("mod"));
    assert_eq!(score_reset.help, "Resets your score.");
    assert_eq!(score_reset.usage_args(), None);
    assert!(matches!(score_reset.handler, Handler::Sync(_)));

    let specall = find("specall");
    assert_eq!(specall.component, Some("core"));
    assert_eq!(specall.component_name(), "core");
    assert_eq!(specall.cmd_char, Some('*'));
    assert!(specall.stealth);
    assert!(!specall.source_in_scope && specall.target_in_scope);
    assert_eq!(specall.forms, Forms::new(true, false, false, false, false));
    assert_eq!(specall.groups, [None; 5]);
    assert_eq!(specall.help, "Puts every player in spectator mode.");
    assert!(matches!(specall.handler, Handler::Sync(_)));

    let tell = find("tell");
    assert_eq!(tell.aliases, ["t", "msg2"]);
    assert_eq!(tell.component_name(), "staff");
    assert!(tell.source_in_scope && !tell.target_in_scope);
    assert!(!tell.stealth);
    assert_eq!(tell.forms, Forms::new(false, false, false, false, true));
    assert_eq!(tell.groups, [None, None, None, None, Some("sysop")]);
    assert_eq!(
        tell.help,
        "Sends a message to a name outside the zone.\n\nNobody promises the name is online.\n  Use with care."
    );
    assert_eq!(tell.summary(), "Sends a message to a name outside the zone.");
    assert!(matches!(tell.handler, Handler::Async(_)));

    let registry = Registry::new(COMMANDS.iter(), Settings::default()).unwrap();
    assert_eq!(registry.tables().commands().len(), 4);
    for component in ["stats", "staff", "core"] {
        registry.attach(component, Scope::Zone).unwrap();
    }
    let here = Location::default();
    let tables = registry.tables();
    let find = |c, name| tables.find(here, c, name).map(|(command, _)| command);
    assert_eq!(find('?', "SR").map(|command| command.name()), Some("scorereset"));
    assert_eq!(find('*', "specall").map(|command| command.component()), Some("core"));
    assert!(find('?', "specall").is_none());
    assert_eq!(find('?', "msg2").map(|command| command.name()), Some("tell"));

    // Both handler kinds run through dispatch.
    let sender = Player { id: PlayerId(1), name: "Bob", location: Location::default(), freq: None };
    for (line, reply) in [("?usage", "usage ran"), ("?sr", "scorereset ran")] {
        let mut sink = cmdman::Collected::default();
        let request = Request { sender, addressee: Addressee::Pub, line, world: &(), via: cmdman::Via::Command };
        assert_eq!(block_on(cmdman::dispatch(&registry, request, &mut sink)), cmdman::Outcome::Ran, "{line}");
        assert_eq!(sink.sender, [reply], "{line}");
    }
}
