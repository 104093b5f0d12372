//! `?uptime`: how long the zone has been running.

use cmdman::{CommandResult, Ctx, command};

use super::push_hms;
use crate::zone::Zone;

/// Shows how long the zone has been up and how many players are online:
/// `Up 1:02:03, 7 players online.`
#[command(target_pub, group = "default")]
fn cmd_uptime(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let players = zone.player_count();
    // Built by hand, in one allocation: a command anyone may run, often
    // (BENCHMARKS.md, "Load").
    let mut line = String::with_capacity(48);
    line.push_str("Up ");
    push_hms(&mut line, zone.started().elapsed().as_secs());
    line.push_str(", ");
    line.push_str(itoa::Buffer::new().format(players));
    line.push_str(if players == 1 { " player online." } else { " players online." });
    ctx.reply().line(&line);
    Ok(())
}
