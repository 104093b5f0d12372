use cmdman::{CommandResult, Ctx, command};

#[command(target_player, source_in_scope = false, catch_all)]
fn cmd_other(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
