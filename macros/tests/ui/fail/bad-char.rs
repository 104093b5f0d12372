use cmdman::{CommandResult, Ctx, command};

#[command(target_pub, char = 'a')]
fn cmd_letter(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

#[command(target_pub, char = '|')]
fn cmd_pipe(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

#[command(target_pub, char = ' ')]
fn cmd_space(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
