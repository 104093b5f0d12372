//! `?find`: where a player is.

use cmdman::{CommandResult, Ctx, OnlinePlayer, Rest, command};

use crate::zone::Zone;

/// Tells which realm (and game) a player is in.
///
/// The name may be the start of a name when only one online player's name
/// starts with it. Case is ignored; names with spaces need no quotes. In a
/// network of zones, a player online in another zone is found there by
/// their whole name.
#[command(target_pub, group = "default", args = "<player>")]
fn cmd_find(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, player: Rest<'_>) -> CommandResult {
    let mut parser = ctx.args(&[]);
    let typed = player.0.trim().trim_matches('"');
    let player = match <OnlinePlayer as cmdman::Arg>::parse(&mut parser, "player") {
        Ok(player) => player,
        Err(here) => {
            let name = typed;
            let Some(there) = zone.elsewhere(name) else { return Err(here) };
            let place = there.realm.map(|realm| format!(", realm {realm}")).unwrap_or_default();
            ctx.reply().line(&format!("{} is in zone {}{place}.", there.name, there.zone));
            return Ok(());
        }
    };
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
