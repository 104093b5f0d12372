use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, target_team = false, group = "default", group_player = "mod", group_team = "mod")]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
