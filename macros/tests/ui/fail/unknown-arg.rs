use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, target_players, grup = "default")]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
