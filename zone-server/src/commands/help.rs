//! `?man` (`?help`) and `?commands`: help generated from the declarations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cmdman::{CommandError, CommandResult, Ctx, TargetForm, command};

/// Explains a command: summary, usage, target forms, command group, and its
/// full help.
///
/// With no command named, tells how to find commands.
#[command(target_pub, aliases = ["help"], group = "default", args = "[command]")]
fn cmd_man(ctx: &mut Ctx<'_>) -> CommandResult {
    let c = ctx.cmd_char();
    let name = ctx.params().trim();
    if name.is_empty() {
        let mut reply = ctx.reply();
        let _ = writeln!(
            reply,
            "Commands start with {c}. {c}commands lists them; {c}man <command> explains one."
        );
        let _ = writeln!(reply, "Send a command privately to a player to aim it at them (/{c}usage).");
        return Ok(());
    }
    let registry = ctx.registry();
    let Some(command) = registry.find_any(name).filter(|command| !command.def().stealth) else {
        return Err(CommandError::failed(format!("No command '{name}'. Type {c}commands for a list.")));
    };
    let def = command.def();
    let mut reply = ctx.reply();
    let _ = writeln!(reply, "{} - {}", command.usage(c), def.summary());
    if !def.aliases.is_empty() {
        let _ = writeln!(reply, "Also: {}", def.aliases.join(", "));
    }
    let _ = writeln!(reply, "Forms: {}", def.forms);
    let groups: Vec<(TargetForm, Option<&str>)> =
        def.forms.iter().map(|form| (form, def.group(form))).collect();
    let first = groups.first().map(|(_, group)| *group).unwrap_or(None);
    if groups.iter().all(|(_, group)| *group == first) {
        let _ = writeln!(reply, "Command group: {}", first.unwrap_or("none"));
    } else {
        let listed: Vec<String> =
            groups.iter().map(|(form, group)| format!("{form}: {}", group.unwrap_or("none"))).collect();
        let _ = writeln!(reply, "Command groups: {}", listed.join(", "));
    }
    let _ = writeln!(reply, "Component: {}", command.component());
    for line in def.help.lines().skip(1).skip_while(|line| line.trim().is_empty()) {
        let _ = writeln!(reply, "{line}");
    }
    Ok(())
}

/// Lists the commands by command group, each with its summary.
#[command(target_pub, group = "default")]
fn cmd_commands(ctx: &mut Ctx<'_>) -> CommandResult {
    let c = ctx.cmd_char();
    let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for command in ctx.registry().commands() {
        let def = command.def();
        if def.stealth {
            continue;
        }
        let group = def.forms.iter().find_map(|form| def.group(form)).unwrap_or("none");
        by_group.entry(group).or_default().push(format!("  {} - {}", command.usage(c), def.summary()));
    }
    let mut reply = ctx.reply();
    for (group, lines) in by_group {
        let _ = writeln!(reply, "{group}:");
        for line in lines {
            let _ = writeln!(reply, "{line}");
        }
    }
    Ok(())
}
