use cmdman::{CommandResult, Ctx, Flag, command};

#[command(target_pub)]
fn cmd_kick(_ctx: &mut Ctx<'_>, silent: Option<Flag<'s'>>) -> CommandResult {
    let _ = silent;
    Ok(())
}

fn main() {}
