use cmdman::{CommandResult, Ctx, command};

#[command(target_pub)]
fn cmd_generic<T: Default>(_ctx: &mut Ctx<'_>) -> CommandResult {
    let _ = T::default();
    Ok(())
}

#[command(target_pub)]
fn cmd_nothing() -> CommandResult {
    Ok(())
}

struct Zone;

impl Zone {
    #[command(target_pub)]
    fn cmd_method(&self, _ctx: &mut Ctx<'_>) -> CommandResult {
        Ok(())
    }
}

#[command(target_pub)]
struct NotAFunction;

fn main() {
    let _ = Zone;
}
