use cmdman::{CommandResult, Ctx, Rest, command};

#[command(target_pub)]
fn cmd_note(_ctx: &mut Ctx<'_>, text: Rest<'_>, times: u32) -> CommandResult {
    let _ = (text, times);
    Ok(())
}

fn main() {}
