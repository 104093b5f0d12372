//! `?man` (`?help`) and `?commands`: help generated from the declarations,
//! and the operator's help topics (`help/*.txt` in the config directory).

use std::collections::BTreeMap;

use cmdman::{Command, CommandError, CommandResult, Ctx, Forms, Scope, TargetForm, World, command};

use super::zone;
use crate::zone::Zone;

/// Explains a command: summary, usage, target forms, command group, and its
/// full help; or shows one of the zone's help topics (`?help rules`).
///
/// With nothing named, tells how to find commands and lists the help topics.
/// A command that only works elsewhere (attached to another realm or game)
/// is explained too, with where it works. A topic with a command's name is
/// hidden by the command (?health reports it).
#[command(target_pub, aliases = ["help"], group = "default")]
fn cmd_man(ctx: &mut Ctx<'_>, command: Option<&str>) -> CommandResult {
    let c = ctx.cmd_char();
    let zone = zone(ctx)?;
    let Some(name) = command else {
        let topics = zone.access().help_topics();
        let mut reply = ctx.reply();
        reply.line(&format!(
            "Commands start with {c}. {c}commands lists them; {c}man <command> explains one."
        ));
        reply.line(&format!("Send a command privately to a player to aim it at them (/{c}usage)."));
        if !topics.is_empty() {
            let names: Vec<&str> = topics.iter().map(|(name, _)| name.as_str()).collect();
            reply.line(&format!("Help topics: {}. {c}help <topic> shows one.", names.join(", ")));
        }
        return Ok(());
    };
    let registry = ctx.registry();
    let sender = ctx.sender();
    let cmd_char = name.chars().next().filter(|first| registry.settings().cmd_chars.contains(first));
    let bare = name.trim_start_matches(|first| registry.settings().cmd_chars.contains(&first));
    // The command this player would get here, else any command of that name.
    let tables = ctx.tables();
    let here = tables.find(sender.location, cmd_char.unwrap_or(c), bare);
    let found: Option<(&Command, Option<Scope>)> = match here {
        Some((command, scope)) if !command.def().catch_all => Some((command, Some(scope))),
        _ => tables.find_all(bare).next().map(|command| (command, None)),
    };
    // Help follows the stealth rule: a stealth command the player may not run
    // does not exist for them.
    let visible = found.filter(|(command, _)| {
        let def = command.def();
        !def.stealth
            || def
                .forms
                .iter()
                .any(|form| zone.allows(&sender, command.for_form(form), form, sender.location.realm))
    });
    let Some((command, scope)) = visible else {
        if let Some(lines) = zone.access().help_topic(bare) {
            let mut reply = ctx.reply();
            for line in lines {
                reply.line(&line);
            }
            return Ok(());
        }
        return Err(CommandError::failed(format!(
            "No command or help topic '{name}'. Type {c}commands for commands, {c}help for topics."
        )));
    };
    let def = command.def();
    let usage = command.usage(c);
    let where_ = match scope {
        Some(scope) => format!("attached to {}", zone.describe(scope)),
        None => {
            let attached: Vec<String> = tables
                .attachments()
                .into_iter()
                .filter(|(component, _)| *component == command.component())
                .map(|(_, scope)| zone.describe(scope))
                .collect();
            if attached.is_empty() {
                "not attached anywhere".to_owned()
            } else {
                format!("not here; attached to {}", attached.join(", "))
            }
        }
    };
    let mut reply = ctx.reply();
    reply.line(&format!("{} - {}", command.display_name(c), def.summary()));
    reply.line(&format!("Usage: {usage}"));
    if !def.aliases.is_empty() {
        reply.line(&format!("Also: {}", def.aliases.join(", ")));
    }
    reply.line(&format!("Targets: {}", forms_text(def.forms)));
    let groups: Vec<(TargetForm, Option<&str>)> =
        def.forms.iter().map(|form| (form, def.group(form))).collect();
    let first = groups.first().map(|(_, group)| *group).unwrap_or(None);
    if groups.iter().all(|(_, group)| *group == first) {
        reply.line(&format!("Command group: {}", first.unwrap_or("none")));
    } else {
        let listed: Vec<String> =
            groups.iter().map(|(form, group)| format!("{form}: {}", group.unwrap_or("none"))).collect();
        reply.line(&format!("Command groups: {}", listed.join(", ")));
    }
    reply.line(&format!("Component: {} ({where_})", command.component()));
    for line in def.help.lines().skip(1).skip_while(|line| line.trim().is_empty()) {
        reply.line(line);
    }
    Ok(())
}

/// The target forms as a player reads them: "pub (in public), player (to a
/// player)".
fn forms_text(forms: Forms) -> String {
    let listed: Vec<String> =
        forms.iter().map(|form| format!("{form} ({})", cmdman::dispatch::form_phrase(form))).collect();
    listed.join(", ")
}

/// Lists the commands you may run here, by command group, each with its
/// target forms and summary.
#[command(target_pub, group = "default")]
fn cmd_commands(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let c = ctx.cmd_char();
    let sender = ctx.sender();
    let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (command, _) in ctx.tables().available(sender.location) {
        let def = command.def();
        let allowed: Vec<TargetForm> = def
            .forms
            .iter()
            .filter(|form| zone.allows(&sender, command.for_form(*form), *form, sender.location.realm))
            .collect();
        let Some(first) = allowed.first() else { continue };
        let group = def.group(*first).unwrap_or("none");
        let forms: Vec<&str> = allowed.iter().map(|form| form.as_str()).collect();
        by_group.entry(group).or_default().push(format!(
            "  {} [{}] - {}",
            command.usage(c),
            forms.join(", "),
            def.summary()
        ));
    }
    let mut reply = ctx.reply();
    for (group, lines) in by_group {
        reply.line(&format!("{group}:"));
        for line in lines {
            reply.line(&line);
        }
    }
    Ok(())
}
