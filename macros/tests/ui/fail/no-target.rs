use cmdman::{CommandResult, Ctx, command};

#[command(group = "default")]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

#[command(target_pub = false, target_player = false)]
fn cmd_turned_off(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
