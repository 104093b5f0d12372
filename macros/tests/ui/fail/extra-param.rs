use cmdman::{CommandResult, Ctx, command};

#[command(target_player, args = "<player> <reason>")]
fn cmd_kick(_ctx: &mut Ctx<'_>, player: &str, reason: &str) -> CommandResult {
    let _ = (player, reason);
    Ok(())
}

fn main() {}
