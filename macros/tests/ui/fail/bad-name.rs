use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, name = "Score_Reset", aliases = ["sr", "", "score reset", "sr"])]
fn score_reset(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

// Nothing is left of the name once `cmd_` is stripped.
#[command(target_pub)]
fn cmd_(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
