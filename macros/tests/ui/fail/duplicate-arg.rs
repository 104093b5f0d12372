use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, group = "default", target_pub = true, group = "mod")]
fn cmd_usage(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
