//! `?modchat` (and `SEND:MOD`): staff chat (DESIGN §10). Who is staff is
//! decided by the ladder: every online player allowed to run `modchat`
//! receives it, and server alerts, as `MSG:MOD:name:msg` / `MSG:SYSOP:msg`.

use cmdman::{CommandError, CommandResult, Ctx, Rest, command};

use crate::zone::Zone;

/// Sends a message to every member of staff online (everyone who may run
/// ?modchat), as `MSG:MOD:you:message`. `SEND:MOD:message` does the same.
///
/// Staff also receive the zone's alerts here (`MSG:SYSOP`): bans, automatic
/// mutes, refused reloads, slow readers dropped.
#[command(target_pub, group = "mod", args = "<message>")]
fn cmd_modchat(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, message: Rest<'_>) -> CommandResult {
    let sender = ctx.sender();
    if let Err(notice) = zone.check_muted(sender.id) {
        return Err(CommandError::failed(notice.unwrap_or_else(|| "You are muted.".to_owned())));
    }
    zone.mod_chat(sender.name, message.0);
    Ok(())
}
