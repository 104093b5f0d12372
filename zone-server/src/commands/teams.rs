//! `?lock`, `?unlock`, `?setfreq` and `?specall`: realms and teams (ASSS
//! `playercmd.c`). Locks last until unlocked, until a realm made on demand
//! closes, or until the zone restarts.

use cmdman::{CommandError, CommandResult, Ctx, Target, command};

use super::{aim, check_rank};
use crate::zone::{MAX_FREQ, Zone};

/// Locks your realm: only players who may run ?lock here (staff) may enter
/// it; those in it stay.
///
/// The realm is told who locked it. Until ?unlock, or until the realm closes
/// (one made on demand closes when its last player leaves) or the zone
/// restarts.
#[command(target_pub, group = "mod")]
fn cmd_lock(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let (realm, changed) = zone
        .set_locked(ctx.sender().id, true)
        .map_err(|error| CommandError::failed(super::sentence(&error)))?;
    if !changed {
        ctx.reply().line(&format!("Realm {realm} is locked already."));
    }
    Ok(())
}

/// Unlocks your realm: anyone may enter it again.
#[command(target_pub, group = "mod")]
fn cmd_unlock(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let (realm, changed) = zone
        .set_locked(ctx.sender().id, false)
        .map_err(|error| CommandError::failed(super::sentence(&error)))?;
    if !changed {
        ctx.reply().line(&format!("Realm {realm} is not locked."));
    }
    Ok(())
}

/// Puts a player on a freq: `/?setfreq 3`; their realm sees it.
///
/// Only players whose group ranks below yours (in their realm).
#[command(target_player, group = "mod", args = "<freq>")]
async fn cmd_setfreq(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, freq: u16) -> CommandResult {
    if freq > MAX_FREQ {
        return Err(CommandError::usage(format!("A freq is 0 to {MAX_FREQ}.")));
    }
    let aim = aim(ctx.target(), zone).await?;
    check_rank(ctx, zone, &aim, "move")?;
    let Target::Player(player) = ctx.target() else { return Ok(()) };
    if player.location.realm.is_none() {
        return Err(CommandError::failed(format!("{} is in no realm.", aim.name)));
    }
    zone.change_freq(player.id, freq).map_err(|error| CommandError::failed(super::sentence(&error)))?;
    let by = ctx.sender().name.to_owned();
    ctx.reply().line(&format!("Put {} on freq {freq}.", aim.name));
    ctx.reply_to_target().line(&format!("{by} put you on freq {freq}."));
    Ok(())
}

/// Moves everyone in your realm to the spectator freq, you included, but
/// players whose group ranks at or above yours.
#[command(target_pub, group = "mod")]
fn cmd_specall(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let done =
        zone.spec_all(ctx.sender().id).map_err(|error| CommandError::failed(super::sentence(&error)))?;
    let mut reply = ctx.reply();
    let plural = if done.moved == 1 { "" } else { "s" };
    reply.line(&format!("Moved {} player{plural} to the spectator freq.", done.moved));
    if !done.spared.is_empty() {
        let names: Vec<&str> = done.spared.iter().map(|name| &**name).collect();
        reply.line(&format!("Left where they are (not ranked below you): {}.", names.join(", ")));
    }
    Ok(())
}
