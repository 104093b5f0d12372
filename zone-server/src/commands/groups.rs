//! `?grant`, `?deny`, `?revoke`, `?grants`, `?why` and `?reloadconf`: player
//! groups' rules, edited live (DESIGN §5.3). Edits are written to the store
//! with who and when before they apply, sit over `groups.ron` (never
//! rewritten), and apply to online players at once.

use cmdman::ladder::rule_name;
use cmdman::{CommandError, CommandResult, Ctx, Effect, OnlinePlayer, RuleKey, Step, TargetForm, command};

use super::{sentence, zone};
use crate::access::Editor;
use crate::zone::Zone;

/// Grants a player group a command, or one form of it (`usage:player`).
///
/// Only for groups ranked below your own. Overrides the group's rule for the
/// same command (or form) in groups.ron; `?revoke` takes it back.
#[command(target_pub, group = "smod", args = "<group> <command[:form]>")]
async fn cmd_grant(ctx: &mut Ctx<'_>, group: &str, rule: &str) -> CommandResult {
    edit_rule(ctx, group, rule, Some(Effect::Grant)).await
}

/// Denies a player group a command, or one form of it (`usage:player`).
///
/// Only for groups ranked below your own. A denial of one form beats a grant
/// of the command in general.
#[command(target_pub, group = "smod", args = "<group> <command[:form]>")]
async fn cmd_deny(ctx: &mut Ctx<'_>, group: &str, rule: &str) -> CommandResult {
    edit_rule(ctx, group, rule, Some(Effect::Deny)).await
}

/// Removes a player group's own rule for a command (or form), whether it came
/// from groups.ron or a moderator; its parents' rules then apply.
#[command(target_pub, group = "smod", args = "<group> <command[:form]>")]
async fn cmd_revoke(ctx: &mut Ctx<'_>, group: &str, rule: &str) -> CommandResult {
    edit_rule(ctx, group, rule, None).await
}

async fn edit_rule(ctx: &mut Ctx<'_>, group: &str, rule: &str, effect: Option<Effect>) -> CommandResult {
    let zone = zone(ctx)?;
    let key: RuleKey =
        rule.parse().map_err(|error| CommandError::usage(format!("Rule '{rule}': {error}.")))?;
    let sender = ctx.sender();
    // Rules hold zone-wide: the editor's zone-wide group is what counts.
    let own = move || zone.group_at(&sender, None);
    let editor = Editor { name: sender.name, group: &own };
    let action = zone
        .access()
        .edit_rule(editor, group, key, effect, zone.store(), ctx.registry())
        .await
        .map_err(super::edit_failed)?;
    ctx.reply().line(&sentence(&action));
    Ok(())
}

/// Shows a player group: rank, parents, accepted command groups, all access,
/// and its rules (its own, with where each came from, then inherited ones).
#[command(target_pub, group = "mod", args = "<group>")]
fn cmd_grants(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, group: &str) -> CommandResult {
    let snapshot = zone.access().snapshot();
    let Some(report) = snapshot.report(group) else {
        let names: Vec<&str> = snapshot.policy().groups().iter().map(|spec| spec.name.as_str()).collect();
        return Err(CommandError::failed(format!(
            "There is no player group '{group}'. The groups are {}.",
            names.join(", ")
        )));
    };
    let mut reply = ctx.reply();
    let parents = if report.inherits.is_empty() { "nothing".to_owned() } else { report.inherits.join(", ") };
    reply.line(&format!("{} (rank {}) inherits {parents}.", report.name, report.rank));
    let accepted: Vec<String> = report
        .command_groups
        .iter()
        .map(|(name, from)| match from {
            None => name.clone(),
            Some(from) => format!("{name} (from {from})"),
        })
        .collect();
    reply.line(&format!(
        "Command groups: {}.",
        if accepted.is_empty() { "none".to_owned() } else { accepted.join(", ") }
    ));
    match report.all_access.as_deref() {
        Some(from) if from == report.name => {
            reply.line("All access: yes.");
        }
        Some(from) => {
            reply.line(&format!("All access: yes (from {from})."));
        }
        None => {
            reply.line("All access: no.");
        }
    }
    for rule in &report.rules {
        reply.line(&format!("  {rule}"));
    }
    Ok(())
}

/// Explains whether a player may run a command: the player's group there,
/// and for each form, which step of the ladder decided and from which group.
///
/// The group that counts is the player's in their current realm.
#[command(target_pub, group = "mod", args = "<player> <command> [form]")]
fn cmd_why(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    player: OnlinePlayer,
    command: &str,
    form: Option<&str>,
) -> CommandResult {
    let form = match form {
        None => None,
        Some(name) => Some(TargetForm::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
            CommandError::usage(format!(
                "'{name}' is not a target form: pub, team, remote_team, player or external."
            ))
        })?),
    };
    let registry = ctx.registry();
    // Written with a cmd char (`?usage`, `*warn`), the command is looked up
    // with that char; without one, with the char this line used.
    let (cmd_char, named) = match command.chars().next() {
        Some(c) if registry.settings().cmd_chars.contains(&c) => (c, &command[c.len_utf8()..]),
        _ => (ctx.cmd_char(), command),
    };
    let tables = ctx.tables();
    let found = tables
        .find(player.location, cmd_char, named)
        .map(|(found, _)| found)
        .or_else(|| tables.commands().iter().find(|c| rule_name(c.def()).eq_ignore_ascii_case(command)));
    let Some(found) = found else {
        return Err(CommandError::failed(format!("There is no command '{command}'.")));
    };
    let group = zone.group_of(player.id, player.location.realm);
    let snapshot = zone.access().snapshot();
    let name = rule_name(found.def());
    let where_ = describe_realm(zone, &player);
    let mut reply = ctx.reply();
    reply.line(&format!("{} is in group {group}{where_}.", player.name));
    let forms: Vec<TargetForm> = match form {
        Some(form) => vec![form],
        None => found.def().forms.iter().collect(),
    };
    for form in forms {
        if !found.def().forms.contains(form) {
            reply.line(&format!("{name}:{form}: the command does not take that form."));
            continue;
        }
        let decision = snapshot.decide(&group, found, form);
        let verdict = if decision.allowed() { "allowed" } else { "denied" };
        let how = match (decision.step, decision.from.as_deref()) {
            (Step::DenyExact, Some(from)) => format!("step 1, {from} denies {name}:{form}"),
            (Step::GrantExact, Some(from)) => format!("step 2, {from} grants {name}:{form}"),
            (Step::DenyGeneral, Some(from)) => format!("step 3, {from} denies {name}"),
            (Step::GrantGeneral, Some(from)) => format!("step 4, {from} grants {name}"),
            (Step::CommandGroup, Some(from)) => {
                format!("step 5, {from} accepts command group {}", found.def().group(form).unwrap_or("none"))
            }
            (Step::AllAccess, Some(from)) => format!("step 6, {from} has all access"),
            _ => format!(
                "step 7, nothing allows it (command group {})",
                found.def().group(form).unwrap_or("none")
            ),
        };
        reply.line(&format!("{name}:{form}: {verdict} by {how}."));
    }
    Ok(())
}

fn describe_realm(zone: &Zone, player: &OnlinePlayer) -> String {
    match player.location.realm {
        Some(realm) => format!(" in {}", zone.describe(cmdman::Scope::Realm(realm))),
        None => " (in no realm)".to_owned(),
    }
}

/// Reads the config directory again: groups.ron and staff.ron apply at once
/// to everyone online; a file with an error is refused, with where, and the
/// running config stays. zone.ron changes apply at the next start. Also
/// picks up `zone-server staff` changes made while the zone runs.
#[command(target_pub, group = "sysop")]
async fn cmd_reloadconf(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let by = ctx.sender().name.to_owned();
    match zone.reload_config(&by).await {
        Ok(reloaded) => {
            let mut reply = ctx.reply();
            match &reloaded.dir {
                Some(dir) => {
                    reply.line(&format!("Reloaded {}: groups and staff apply now.", dir.display()));
                }
                None => {
                    reply.line("The zone runs on its embedded config; memberships and rules reloaded.");
                }
            }
            if reloaded.zone_changed {
                reply.line("zone.ron has changed; its changes apply at the next start.");
            }
            if let Some(problem) = &reloaded.unchecked {
                reply.line(&format!(
                    "Note: {problem}; a script component did not load, which may declare it (?health)."
                ));
            }
            Ok(())
        }
        Err(error) => Err(CommandError::failed(format!("Reload refused, the running config stays: {error}"))),
    }
}
