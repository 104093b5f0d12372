//! `?lsmod`, `?attach`, `?detach` and `?health`: components and the scopes
//! they are attached to (DESIGN §3, §4.3). Runtime changes last until the
//! zone restarts; the config's attachments are made again at start-up.

use cmdman::{CommandError, CommandResult, Ctx, Scope, command};

use crate::zone::Zone;

/// Lists every component compiled in, its commands, and where it is attached.
#[command(target_pub, group = "mod")]
fn cmd_lsmod(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let tables = ctx.registry().tables();
    let attachments = tables.attachments();
    let c = ctx.cmd_char();
    let mut reply = ctx.reply();
    for component in tables.components() {
        let scopes: Vec<String> = attachments
            .iter()
            .filter(|(name, _)| *name == component.name())
            .map(|(_, scope)| zone.describe(*scope))
            .collect();
        let commands: Vec<String> =
            tables.commands_of(component).map(|command| command.display_name(c)).collect();
        let attached = if scopes.is_empty() { "not attached".to_owned() } else { scopes.join(", ") };
        reply.line(&format!("{}: {attached} - {}", component.name(), commands.join(" ")));
    }
    Ok(())
}

/// Attaches a component zone-wide, to a realm, or to a game (`realm/game`).
///
/// Its commands work in that scope at once. A command whose name another
/// component already offers in that very scope is not added: the conflict is
/// reported here and in `?health`. Lasts until the zone restarts.
#[command(target_pub, group = "sysop", args = "<component> [realm[/game]]")]
fn cmd_attach(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    component: &str,
    scope: Option<&str>,
) -> CommandResult {
    let (scope, conflicts) = zone.attach(component, scope).map_err(CommandError::failed)?;
    let component = ctx.registry().tables().component(component).map_or(component, |found| found.name());
    let mut reply = ctx.reply();
    reply.line(&format!("Attached {component} to {}.", zone.describe(scope)));
    for conflict in conflicts {
        reply.line(&format!(
            "Conflict: {} is not available from {component} there; {} offers it already.",
            conflict.name, conflict.kept
        ));
    }
    Ok(())
}

/// Detaches a component from the zone, a realm, or a game (`realm/game`).
///
/// Lasts until the zone restarts.
#[command(target_pub, group = "sysop", args = "<component> [realm[/game]]")]
fn cmd_detach(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    component: &str,
    scope: Option<&str>,
) -> CommandResult {
    let scope = parse_scope(zone, scope)?;
    // Canonical name, as ?lsmod shows it.
    let component = ctx.registry().tables().component(component).map_or(component, |found| found.name());
    if scope == Scope::Zone && component == ctx.command().component() {
        return Err(CommandError::failed(format!(
            "Detaching {component} from the zone would leave no ?attach until the zone restarts; \
             change zone.ron instead."
        )));
    }
    ctx.registry().detach(component, scope).map_err(|error| CommandError::failed(error.to_string()))?;
    ctx.reply().line(&format!("Detached {component} from {}.", zone.describe(scope)));
    Ok(())
}

/// Lists component problems: conflicts (commands not added), commands that
/// hide another of the same name in a narrower scope, and components
/// attached nowhere; help topics a command's name hides; stored edits for
/// player groups groups.ron lacks (in a network, the zones' groups.ron files
/// disagree); and stored edits this server cannot read (not applied).
#[command(target_pub, group = "mod")]
fn cmd_health(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let (tables, c) = (ctx.registry().tables(), ctx.cmd_char());
    let health = tables.health();
    let mut reply = ctx.reply();
    if health.conflicts.is_empty() {
        reply.line("No conflicts.");
    }
    for conflict in &health.conflicts {
        reply.line(&format!(
            "Conflict in {}: {} of {} was not added; {} offers it.",
            zone.describe(conflict.scope),
            conflict.name,
            conflict.refused,
            conflict.kept
        ));
    }
    for shadow in &health.shadows {
        reply.line(&format!(
            "Note: in {}, {} of {} hides the one of {} ({}).",
            zone.describe(shadow.scope),
            shadow.name,
            shadow.component,
            shadow.hides.0,
            zone.describe(shadow.hides.1)
        ));
    }
    if !health.unattached.is_empty() {
        reply.line(&format!("Attached nowhere: {}.", health.unattached.join(", ")));
    }
    for (topic, path) in zone.access().help_topics() {
        if let Some(command) = tables.find_all(&topic).next() {
            reply.line(&format!(
                "Help topic '{topic}' ({}) is hidden: {} has its name, and a command wins.",
                path.display(),
                command.display_name(c)
            ));
        }
    }
    let snapshot = zone.access().snapshot();
    for group in snapshot.unknown_groups() {
        reply.line(&format!(
            "Stored edits name player group '{group}', which groups.ron here lacks (another zone's?): they are not applied here."
        ));
    }
    for bad in snapshot.bad_rows() {
        reply.line(&format!("A stored edit is not applied, it cannot be read: {bad}."));
    }
    Ok(())
}

/// `None` → the zone; `realm` or `realm/game` → that scope, if it exists.
fn parse_scope(zone: &Zone, text: Option<&str>) -> Result<Scope, CommandError> {
    match text {
        None => Ok(Scope::Zone),
        Some(name) => zone.scope_named(name).ok_or_else(|| {
            CommandError::failed(format!("There is no realm or game '{name}'. Use realm or realm/game."))
        }),
    }
}
