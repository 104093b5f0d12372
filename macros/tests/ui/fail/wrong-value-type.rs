use cmdman::{CommandResult, Ctx, command};

#[command(
    target_pub = "yes",
    target_player,
    name = 5,
    char = "*",
    aliases = "h",
    stealth = True,
    group,
    args = <player>,
)]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
