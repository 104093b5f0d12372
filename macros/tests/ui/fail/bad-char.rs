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

// ChatNet's field separator: registration and zone.ron refuse it too.
#[command(target_pub, char = ':')]
fn cmd_colon(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

// Punctuation, but not ASCII: no zone.ron could name it.
#[command(target_pub, char = '§')]
fn cmd_section(_ctx: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

fn main() {}
