//! `?find`: where a player is.

use cmdman::{CommandResult, Ctx, OnlinePlayer, command};

use crate::zone::Zone;

/// Tells which realm (and game) a player is in.
///
/// The name may be the start of a name when only one online player's name
/// starts with it. Case is ignored; names with spaces need no quotes.
#[command(target_pub, group = "default")]
fn cmd_find(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, player: OnlinePlayer) -> CommandResult {
    let info = zone.player(player.id);
    let answer = match info.as_ref().map(|info| (&info.realm_name, &info.game_name)) {
        Some((Some(realm), Some(game))) => format!("{} is in realm {realm}, game {game}.", player.name),
        Some((Some(realm), None)) => format!("{} is in realm {realm}.", player.name),
        Some((None, _)) => format!("{} is online, not in a realm.", player.name),
        None => format!("{} just left.", player.name),
    };
    ctx.reply().line(&answer);
    Ok(())
}
