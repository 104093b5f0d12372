//! `?usage`: how long a player has been connected, this session and in total.

use cmdman::{CommandError, CommandResult, Ctx, Target, command};

use super::hms;
use crate::zone::Zone;

/// Shows session time, total connected time and first login.
///
/// Sent in public, it shows yours. Sent privately to a player (`/?usage`, or
/// `SEND:PRIVCMD:name:?usage`), it shows theirs.
#[command(target_pub, target_player, group = "default")]
async fn cmd_usage(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let id = match ctx.target() {
        Target::Player(player) => player.id,
        _ => ctx.sender().id,
    };
    let Some(player) = zone.player(id) else {
        return Err(CommandError::failed("that player is no longer online"));
    };
    let session = player.session_start.elapsed();
    // The store has earlier sessions and this one up to its last checkpoint;
    // the zone has the rest.
    let account = match zone.store().account(&player.name).await {
        Ok(Some(account)) => account,
        // An account deleted from the database by hand: what login read.
        Ok(None) => player.account.clone(),
        Err(error) => {
            tracing::warn!("store: {error}");
            return Err(CommandError::failed(
                "The zone could not read the total connected time (its database failed). Try again later.",
            ));
        }
    };
    ctx.reply().line(&format!(
        "{}: session {}, total {}, first login {} UTC",
        player.name,
        hms(session.as_secs()),
        hms((account.total + zone.unsaved_usage(&player.name)).as_secs()),
        account.first_login
    ));
    Ok(())
}
