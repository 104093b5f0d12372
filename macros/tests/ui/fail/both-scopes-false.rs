use cmdman::{CommandResult, Ctx, command};

#[command(target_player, source_in_scope = false, target_in_scope = false)]
fn cmd_warn(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
