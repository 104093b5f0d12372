use cmdman::{CommandResult, Ctx, command};

#[command(target_player, target_external)]
fn cmd_tell(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

#[command(target_external, target_in_scope = true)]
fn cmd_page(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
