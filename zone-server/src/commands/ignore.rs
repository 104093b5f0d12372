//! `?ignore` and `?unignore`: a player's ignore list, kept with their
//! account. An ignored player's public, team, private and channel messages
//! and their offline messages are not delivered; staff chat, announcements
//! and command replies always are.

use std::sync::Arc;

use cmdman::{CommandError, CommandResult, Ctx, Rest, command};

use super::{named, store_failed};
use crate::zone::Zone;

/// The names `own` ignores as stored, which the zone is given again: a list
/// that could not be read at login is read here, not taken as empty.
async fn stored(zone: &Zone, own: &str, id: cmdman::PlayerId) -> Result<Vec<Arc<str>>, CommandError> {
    let names: Vec<Arc<str>> =
        zone.store().ignores(own).await.map_err(store_failed)?.into_iter().map(Arc::from).collect();
    zone.set_ignored(id, names.clone());
    Ok(names)
}

/// The name a command was given: the rest of the line, quotes optional.
fn name_in(rest: &Rest<'_>) -> String {
    rest.0.trim().trim_matches('"').trim().to_owned()
}

/// Stops a player's chat from reaching you; alone, lists whom you ignore.
///
/// `?ignore Name`: their public, team, private and channel messages, and
/// their offline messages (?message), are not delivered to you, even after
/// they or you reconnect. Staff chat, announcements and command replies
/// still reach you. Kept with your account; up to limits.ignores_per_player
/// names (50 by default). ?unignore Name undoes it.
#[command(target_pub, group = "default", args = "[name]")]
async fn cmd_ignore(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, name: Option<Rest<'_>>) -> CommandResult {
    let sender = ctx.sender();
    let (own, id) = (sender.name.to_owned(), sender.id);
    let mut ignored = stored(zone, &own, id).await?;
    let Some(name) = name.as_ref().map(name_in).filter(|name| !name.is_empty()) else {
        let line = if ignored.is_empty() {
            "You ignore nobody. ?ignore Name stops their chat reaching you.".to_owned()
        } else {
            let names: Vec<&str> = ignored.iter().map(|name| &**name).collect();
            format!("You ignore {}.", names.join(", "))
        };
        ctx.reply().line(&line);
        return Ok(());
    };
    let aim = named(zone, &name).await?;
    if aim.name.eq_ignore_ascii_case(&own) {
        return Err(CommandError::failed("You cannot ignore yourself."));
    }
    if ignored.iter().any(|other| other.eq_ignore_ascii_case(&aim.name)) {
        return Err(CommandError::failed(format!("You ignore {} already.", aim.name)));
    }
    let limit = zone.config().limits.ignores_per_player;
    if ignored.len() >= limit {
        return Err(CommandError::failed(format!(
            "You ignore {limit} names already, the most you may; ?unignore one first."
        )));
    }
    zone.store().set_ignore(&own, &aim.name, true).await.map_err(store_failed)?;
    ignored.push(Arc::from(aim.name.as_str()));
    zone.set_ignored(id, ignored);
    ctx.reply().line(&format!(
        "You ignore {} now: their chat does not reach you. ?unignore {} undoes it.",
        aim.name, aim.name
    ));
    Ok(())
}

/// Lets a player you ignore reach you again.
#[command(target_pub, group = "default", args = "<name>")]
async fn cmd_unignore(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, name: Rest<'_>) -> CommandResult {
    let sender = ctx.sender();
    let (own, id) = (sender.name.to_owned(), sender.id);
    let name = name_in(&name);
    let mut ignored = stored(zone, &own, id).await?;
    let Some(at) = ignored.iter().position(|other| other.eq_ignore_ascii_case(&name)) else {
        return Err(CommandError::failed(format!("You do not ignore '{name}'. ?ignore lists whom you do.")));
    };
    let listed = ignored.remove(at);
    zone.store().set_ignore(&own, &listed, false).await.map_err(store_failed)?;
    zone.set_ignored(id, ignored);
    ctx.reply().line(&format!("You no longer ignore {listed}."));
    Ok(())
}
