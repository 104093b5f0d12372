//! `?uptime`: how long the zone has been running.

use cmdman::{CommandResult, Ctx, command};

use super::hms;
use crate::zone::Zone;

/// Shows how long the zone has been up and how many players are online.
#[command(target_pub, group = "default")]
fn cmd_uptime(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let up = hms(zone.started().elapsed().as_secs());
    let players = zone.player_count();
    ctx.reply().line(&format!("Up {up}, {players} player{} online.", if players == 1 { "" } else { "s" }));
    Ok(())
}
