use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, target_player, group = "Mod Staff", group_player = "", component = "Core")]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
