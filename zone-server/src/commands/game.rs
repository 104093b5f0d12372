//! `?games`, `?join` and `?leave`: the games of a realm (DESIGN §3). A game
//! is a scope inside its realm: components attached to it work only for the
//! players who joined it.

use cmdman::{CommandError, CommandResult, Ctx, command};

use crate::zone::Zone;

/// Lists the games of your realm and how many players are in each.
#[command(target_pub, group = "default")]
fn cmd_games(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let Some(realm) = ctx.sender().location.realm else {
        return Err(CommandError::failed("Enter a realm to see its games."));
    };
    let games = zone.games(realm);
    let current = zone.player(ctx.sender().id).and_then(|player| player.game_name);
    let mut reply = ctx.reply();
    if games.is_empty() {
        reply.line("This realm has no games.");
        return Ok(());
    }
    reply.line("Games (players):");
    for (name, count) in games {
        let mark = if current.as_deref() == Some(&*name) { " (you are in it)" } else { "" };
        reply.line(&format!("  {name} {count}{mark}"));
    }
    Ok(())
}

/// Joins a game of your realm, leaving any other game.
#[command(target_pub, group = "default")]
fn cmd_join(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, game: &str) -> CommandResult {
    let name =
        zone.join_game(ctx.sender().id, game).map_err(|error| CommandError::failed(error.to_string()))?;
    ctx.reply().line(&format!("You joined the game {name}."));
    Ok(())
}

/// Leaves the game you are in; you stay in the realm.
#[command(target_pub, group = "default")]
fn cmd_leave(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let name = zone.leave_game(ctx.sender().id).map_err(|error| CommandError::failed(error.to_string()))?;
    ctx.reply().line(&format!("You left the game {name}."));
    Ok(())
}
