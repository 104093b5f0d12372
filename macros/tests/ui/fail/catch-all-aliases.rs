use cmdman::{CommandResult, Ctx, command};

#[command(catch_all, target_pub, aliases = ["any"])]
fn cmd_other(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
