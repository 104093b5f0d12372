//! `?a`, `?az`, `?version` and `?zone`: what the zone and its operators tell
//! players. (The message of the day, `motd` in `zone.ron`, is sent at login.)

use cmdman::{CommandError, CommandResult, Ctx, Rest, command};

use super::{hms, refuse_if_muted};
use crate::zone::Zone;

/// The commit the server was built from (`unknown` outside a git checkout).
const COMMIT: &str = env!("ZONE_SERVER_COMMIT");

/// `Name: text`, refused from a muted player (a mute silences staff too).
fn announcement(ctx: &Ctx<'_>, zone: &Zone, text: &Rest<'_>) -> Result<String, CommandError> {
    let name = ctx.sender().name;
    refuse_if_muted(zone, name, "announcements are refused.")?;
    Ok(format!("{name}: {}", text.0.trim()))
}

/// Announces to everyone in your realm, as `MSG:ARENA:Name: text`.
#[command(target_pub, group = "mod", args = "<text>")]
fn cmd_a(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, text: Rest<'_>) -> CommandResult {
    let line = announcement(ctx, zone, &text)?;
    let Some(realm) = ctx.sender().location.realm else {
        return Err(CommandError::failed("Enter a realm first: ?a announces to the realm you are in."));
    };
    zone.announce(Some(realm), &line);
    Ok(())
}

/// Announces to everyone in the zone, as `MSG:ARENA:Name: text`.
#[command(target_pub, group = "sysop", args = "<text>")]
fn cmd_az(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, text: Rest<'_>) -> CommandResult {
    let line = announcement(ctx, zone, &text)?;
    zone.announce(None, &line);
    Ok(())
}

/// Shows the server's name, version and the commit it was built from.
#[command(target_pub, group = "default")]
fn cmd_version(ctx: &mut Ctx<'_>) -> CommandResult {
    let (name, version) = (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    ctx.reply().line(&format!("{name} {version} (commit {COMMIT})"));
    Ok(())
}

/// Shows the zone's name, how long it has been up, and how many players
/// and realms it has.
#[command(target_pub, group = "default")]
fn cmd_zone(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let players = zone.player_count();
    let realms = zone.realms().len();
    ctx.reply().line(&format!(
        "{}: up {}, {players} player{} online, {realms} realm{}.",
        zone.config().name,
        hms(zone.started().elapsed().as_secs()),
        if players == 1 { "" } else { "s" },
        if realms == 1 { "" } else { "s" },
    ));
    Ok(())
}
