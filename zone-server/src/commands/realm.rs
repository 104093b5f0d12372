//! `?arena` and `?go`: the realms and moving between them.

use cmdman::{CommandError, CommandResult, Ctx, command};

use crate::zone::Zone;

/// Lists the realms and how many players are in each.
///
/// Realms that are not public are listed only to the players in them;
/// locked realms (?lock) say so.
#[command(target_pub, group = "default")]
fn cmd_arena(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let here = zone.player(ctx.sender().id).and_then(|player| player.realm_name);
    let mut reply = ctx.reply();
    reply.line("Realms (players):");
    for realm in zone.realms() {
        let current = here.as_deref() == Some(&*realm.name);
        if !realm.public && !current {
            continue;
        }
        let mark = if current { " (you are here)" } else { "" };
        let locked = if realm.locked { " (locked)" } else { "" };
        reply.line(&format!("  {} {}{locked}{mark}", realm.name, realm.player_count));
    }
    Ok(())
}

/// Moves you to another realm, creating it if it does not exist.
///
/// With no name, moves you to the first public realm. The same as ChatNet's
/// `GO:realm`.
#[command(target_pub, group = "default")]
fn cmd_go(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, realm: Option<&str>) -> CommandResult {
    zone.enter(ctx.sender().id, realm.unwrap_or("")).map_err(|error| CommandError::failed(error.to_string()))
}
