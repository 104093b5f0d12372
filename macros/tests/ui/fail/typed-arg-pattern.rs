use cmdman::{CommandResult, Ctx, command};

#[command(target_pub)]
fn cmd_move(_ctx: &mut Ctx<'_>, (x, y): (i32, i32)) -> CommandResult {
    let _ = (x, y);
    Ok(())
}

fn main() {}
