//! `?lsmod`, `?attach`, `?detach`, `?insmod`, `?rmmod` and `?health`:
//! components and the scopes they are attached to (DESIGN §3, §4.3, §12).
//! Attachment changes are kept in the data directory and made again at
//! start-up, after the config's; installed script components load again.

use cmdman::{CommandError, CommandResult, Ctx, Rest, Scope, command};

use crate::zone::Zone;

/// Lists every component, compiled in or script, its commands, and where it
/// is attached; script components that failed to load, with the reason.
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
        let kind = match zone.scripts().list().into_iter().find(|listed| listed.name == component.name()) {
            Some(listed) => format!(" (script {})", listed.version.unwrap_or_default()),
            None => String::new(),
        };
        reply.line(&format!("{}{kind}: {attached} - {}", component.name(), commands.join(" ")));
    }
    for listed in zone.scripts().list() {
        if let Err(reason) = listed.status {
            reply.line(&format!("{} (script, not loaded): {reason}", listed.name));
        }
    }
    Ok(())
}

/// Installs a script component from a folder on the zone's machine (its
/// `component.ron` and Luau sources), checking it first.
///
/// It is copied into the data directory, so it loads again at every start;
/// attach it with ?attach to make its commands work.
#[command(target_pub, group = "sysop", args = "<folder>")]
fn cmd_insmod(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, folder: Rest<'_>) -> CommandResult {
    let path = std::path::Path::new(folder.0.trim());
    let component = zone
        .scripts()
        .install(zone.registry(), path)
        .map_err(|error| CommandError::failed(format!("{} was not installed: {error}.", path.display())))?;
    zone.access().commands_changed(zone.registry());
    let manifest = component.manifest();
    let c = ctx.cmd_char();
    let names: Vec<String> =
        component.commands().iter().map(|def| format!("{}{}", def.cmd_char.unwrap_or(c), def.name)).collect();
    tracing::info!(by = %ctx.sender().name, component = %manifest.name, "script component installed");
    ctx.reply().line(&format!(
        "Installed {} {} ({}). Attach it with {c}attach {} [realm[/game]].",
        manifest.name,
        manifest.version,
        if names.is_empty() { "no commands".to_owned() } else { names.join(" ") },
        manifest.name
    ));
    Ok(())
}

/// Uninstalls a script component: its commands go at once, everywhere.
///
/// Its files folder stays in the data directory, for a later install.
#[command(target_pub, group = "sysop", args = "<component>")]
fn cmd_rmmod(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, component: &str) -> CommandResult {
    if ctx.registry().tables().component(component).is_some_and(|found| !found.is_script()) {
        return Err(CommandError::failed(format!(
            "{component} is compiled into the server; detach it with {}detach instead.",
            ctx.cmd_char()
        )));
    }
    let name = component.to_ascii_lowercase();
    zone.scripts()
        .uninstall(zone.registry(), &name)
        .map_err(|error| CommandError::failed(format!("{name} was not uninstalled: {error}.")))?;
    zone.access().commands_changed(zone.registry());
    tracing::info!(by = %ctx.sender().name, component = %name, "script component uninstalled");
    ctx.reply().line(&format!("Uninstalled {name}."));
    Ok(())
}

/// The scope as kept attachment changes name it: `zone`, `realm` or
/// `realm/game`, in lower case.
fn kept_scope(scope: Option<&str>) -> String {
    scope.map_or_else(|| "zone".to_owned(), str::to_ascii_lowercase)
}

/// Keeps an attachment change for the next start; says so if it cannot.
fn keep(ctx: &mut Ctx<'_>, zone: &Zone, component: &str, scope: Option<&str>, attached: bool) {
    let change = crate::script::persist::Change {
        component: component.to_owned(),
        scope: kept_scope(scope),
        attached,
    };
    if let Err(error) = zone.scripts().kept().record(change) {
        tracing::warn!("attachment change not kept: {error}");
        ctx.reply().line(&format!("It holds until the zone restarts: it could not be kept ({error})."));
    }
}

/// Attaches a component zone-wide, to a realm, or to a game (`realm/game`).
///
/// Its commands work in that scope at once. A command whose name another
/// component already offers in that very scope is not added: the conflict is
/// reported here and in `?health`. Kept across restarts.
#[command(target_pub, group = "sysop", args = "<component> [realm[/game]]")]
fn cmd_attach(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    component: &str,
    scope: Option<&str>,
) -> CommandResult {
    let scope_text = scope;
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
    drop(reply);
    zone.scripts().attachments_changed(zone.registry());
    keep(ctx, zone, component, scope_text, true);
    Ok(())
}

/// Detaches a component from the zone, a realm, or a game (`realm/game`).
///
/// Kept across restarts.
#[command(target_pub, group = "sysop", args = "<component> [realm[/game]]")]
fn cmd_detach(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    component: &str,
    scope: Option<&str>,
) -> CommandResult {
    let scope_text = scope;
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
    zone.scripts().attachments_changed(zone.registry());
    keep(ctx, zone, component, scope_text, false);
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
    for problem in zone.scripts().problems() {
        reply.line(&problem);
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
