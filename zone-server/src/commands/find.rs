//! `?find`: where a player is.

use cmdman::{CommandError, CommandResult, Ctx, command};

use super::zone;

/// Tells which realm a player is in.
///
/// The name may be the start of a name when only one online player's name
/// starts with it. Case is ignored.
#[command(target_pub, group = "default", args = "<player>")]
fn cmd_find(ctx: &mut Ctx<'_>) -> CommandResult {
    let zone = zone(ctx)?;
    let name = ctx.params().trim();
    if name.is_empty() {
        return Err(CommandError::usage("Name a player to find."));
    }
    let answer = match zone.find_prefix(name) {
        Some(player) => match &player.realm_name {
            Some(realm) => format!("{} is in realm {realm}.", player.name),
            None => format!("{} is online, not in a realm.", player.name),
        },
        None => format!("No player named '{name}' is online."),
    };
    ctx.reply().line(&answer);
    Ok(())
}
