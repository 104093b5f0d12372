//! `?kick`, `?ban`, `?unban`, `?bans`, `?mute`, `?unmute`, `?warn` and
//! `?warnings` (DESIGN §10; ASSS `auth_ban.c`, `chat.c`, `playercmd.c`).
//! Every action is refused against a player whose group ranks at or above the
//! moderator's, in the realm that counts (§5.1: the target's); is stored
//! before it applies; and is in `?auditlog` with who, when, target, duration
//! and reason.

use std::fmt::Write as _;

use cmdman::{CommandError, CommandResult, Ctx, Flag, Rest, Target, command};

use super::{Aim, aim, check_not_muted, check_rank, named, split_word, store_failed};
use crate::outbox::Disconnect;
use crate::sanction::{self, Kind, Sanction, Term, Warning};
use crate::zone::Zone;

/// `-t duration` and a reason: the term (if `-t`) and the reason.
fn timed_reason<'a>(timed: bool, rest: Option<Rest<'a>>) -> Result<(Option<Term>, &'a str), CommandError> {
    let rest = rest.map_or("", |rest| rest.0);
    if !timed {
        return Ok((None, rest.trim().trim_end_matches('.')));
    }
    let (duration, reason) = split_word(rest);
    let reason = reason.trim_end_matches('.');
    if duration.is_empty() {
        return Err(CommandError::usage("-t needs a duration: 30s, 10m, 2h, 7d."));
    }
    let term = duration.parse::<Term>().map_err(|error| CommandError::usage(format!("{error}.")))?;
    Ok((Some(term), reason))
}

/// When a sanction of `term` from now ends: `None` for perm.
fn until(term: Term) -> Option<i64> {
    term.ends(sanction::now())
}

/// `: reason`, or nothing (a full stop at its end is left to the sentence).
fn because(reason: &str) -> String {
    let reason = reason.trim_end_matches('.');
    if reason.is_empty() { String::new() } else { format!(": {reason}") }
}

/// Stores `sanction` (with its audit row) and puts it in force.
async fn impose(zone: &Zone, sanction: Sanction, action: String) -> Result<(), CommandError> {
    zone.impose(sanction, action).await.map_err(store_failed)
}

/// Disconnects a player, telling them who and why; with `-t`, they may not
/// log in again until the time is up.
///
/// Send it privately: `/?kick spamming`, `/?kick -t 10m spamming`. The
/// player sees `Disconnected: kicked by NAME: reason.`, and a login before
/// the time is up gets `LOGINBAD:kicked until 2026-12-01 20:00 UTC: reason`.
/// Durations: 30s, 10m, 2h, 7d, or 1h30m. Only against players whose group
/// ranks below yours.
#[command(target_player, group = "mod", args = "[-t duration] [reason]")]
async fn cmd_kick(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    timed: Flag<'t'>,
    rest: Option<Rest<'_>>,
) -> CommandResult {
    let aim = aim(ctx.target(), zone).await?;
    let Some(online) = aim.online.as_ref() else {
        return Err(CommandError::failed(format!("{} is no longer online.", aim.name)));
    };
    check_rank(ctx, zone, &aim, "kick")?;
    let (term, reason) = timed_reason(timed.0, rest)?;
    check_not_muted(ctx, zone, reason)?;
    let by = ctx.sender().name.to_owned();
    let mut action = format!("kicked {}", aim.name);
    let text = match term {
        Some(Term::Perm) => return Err(CommandError::usage("A kick is for a while; ?ban is for good.")),
        Some(term @ Term::For(_)) => {
            let _ = write!(action, " {term}{}", because(reason));
            let kick = Sanction {
                name: aim.name.clone(),
                kind: Kind::Kick,
                until: until(term),
                reason: reason.to_owned(),
                by: by.clone(),
                at: sanction::now(),
            };
            let text = kick.farewell();
            impose(zone, kick, action.clone()).await?;
            text
        }
        None => {
            action.push_str(&because(reason));
            zone.store().audit(&by, action.clone()).await.map_err(store_failed)?;
            format!("kicked by {by}{}", because(reason))
        }
    };
    online.outbox.kick(Disconnect::Kicked { text, by: by.clone() });
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Bans an account, online or not, for a time or for good, with a reason.
///
/// Privately: `/?ban 7d spamming` (the player may be offline). In public:
/// `?ban Name 7d spamming` (quote a name with spaces: `?ban "Mr T" perm
/// cheating`). An online player is disconnected; a login gets
/// `LOGINBAD:banned until 2026-12-01 20:00 UTC: reason`, or `banned: reason`
/// for perm. Durations: 30s, 10m, 2h, 7d, 1h30m, or perm. Staff are alerted.
#[command(
    target_pub,
    target_player,
    target_external,
    target_in_scope = false,
    group = "smod",
    args = "[name] <duration|perm> <reason>"
)]
async fn cmd_ban(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, words: Rest<'_>) -> CommandResult {
    let (aim, rest) = match ctx.target() {
        Target::Player(_) | Target::External(_) => (aim(ctx.target(), zone).await?, words.0),
        _ => {
            let (name, rest) = split_word(words.0);
            (named(zone, name).await?, rest)
        }
    };
    let (duration, reason) = split_word(rest);
    let reason = reason.trim_end_matches('.');
    if duration.is_empty() {
        return Err(CommandError::usage("Say for how long (30s, 10m, 2h, 7d, perm) and why."));
    }
    let term = duration.parse::<Term>().map_err(|error| CommandError::usage(format!("{error}.")))?;
    if reason.is_empty() {
        return Err(CommandError::usage("Say why: the player is shown the reason."));
    }
    check_rank(ctx, zone, &aim, "ban")?;
    check_not_muted(ctx, zone, reason)?;
    let by = ctx.sender().name.to_owned();
    let action = format!("banned {} {term}: {reason}", aim.name);
    let ban = Sanction {
        name: aim.name.clone(),
        kind: Kind::Ban,
        until: until(term),
        reason: reason.to_owned(),
        by: by.clone(),
        at: sanction::now(),
    };
    let text = ban.farewell();
    impose(zone, ban, action.clone()).await?;
    // Whoever is online under the name now: a login that was under way when
    // the ban was made is refused at join, or found here (in another zone
    // of a network, the zone that hears of it rereads the sanctions).
    if let Some(player) = zone.find(&aim.name) {
        player.outbox.kick(Disconnect::Kicked { text, by: by.clone() });
    }
    zone.alert_staff(&format!("{by} {action}."));
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Lifts a ban (or a kick with -t) on an account.
#[command(target_pub, group = "smod", args = "<name>")]
async fn cmd_unban(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, name: Rest<'_>) -> CommandResult {
    let aim = named(zone, split_word(name.0).0).await?;
    check_rank(ctx, zone, &aim, "unban")?;
    if zone.sanctions().barred(&aim.name).is_none() {
        return Err(CommandError::failed(format!("{} is not banned.", aim.name)));
    }
    let by = ctx.sender().name.to_owned();
    let action = format!("unbanned {}", aim.name);
    zone.lift(&aim.name, &[Kind::Kick, Kind::Ban], &by, action.clone()).await.map_err(store_failed)?;
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Bans listed on one `?bans` page.
const BANS_PAGE: usize = 20;

/// Lists the bans and timed kicks in force, soonest to end first, 20 a page
/// (`?bans 2`).
#[command(target_pub, group = "smod", args = "[page]")]
fn cmd_bans(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, page: Option<u32>) -> CommandResult {
    let bans = zone.sanctions().list(&[Kind::Ban, Kind::Kick]);
    let mut reply = ctx.reply();
    if bans.is_empty() {
        reply.line("Nobody is banned.");
        return Ok(());
    }
    let pages = bans.len().div_ceil(BANS_PAGE);
    let page = (page.unwrap_or(1) as usize).clamp(1, pages);
    for ban in bans.iter().skip((page - 1) * BANS_PAGE).take(BANS_PAGE) {
        reply.line(&format!(
            "  {}: {} (by {} at {})",
            ban.name,
            ban.describe(),
            ban.by,
            sanction::utc(ban.at)
        ));
    }
    if pages > 1 {
        let next = if page < pages { format!(" ?bans {} for more.", page + 1) } else { String::new() };
        reply.line(&format!("Page {page} of {pages}, {} bans.{next}", bans.len()));
    }
    Ok(())
}

/// Mutes a player: none of their chat (public, team, private, channels,
/// staff) is delivered, and they are told so once a minute; commands still
/// work. Reconnecting does not lift it.
///
/// Send it privately: `/?mute -t 10m spamming`; without -t, until
/// ?unmute. Only against players whose group ranks below yours.
#[command(
    target_player,
    target_external,
    target_in_scope = false,
    group = "mod",
    args = "[-t duration] [reason]"
)]
async fn cmd_mute(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    timed: Flag<'t'>,
    rest: Option<Rest<'_>>,
) -> CommandResult {
    let aim = aim(ctx.target(), zone).await?;
    check_rank(ctx, zone, &aim, "mute")?;
    let (term, reason) = timed_reason(timed.0, rest)?;
    check_not_muted(ctx, zone, reason)?;
    let term = term.unwrap_or(Term::Perm);
    let by = ctx.sender().name.to_owned();
    let length = match term {
        Term::Perm => "until unmuted".to_owned(),
        term => term.to_string(),
    };
    let action = format!("muted {} {length}{}", aim.name, because(reason));
    let mute = Sanction {
        name: aim.name.clone(),
        kind: Kind::Mute,
        until: until(term),
        reason: reason.to_owned(),
        by: by.clone(),
        at: sanction::now(),
    };
    impose(zone, mute, action.clone()).await?;
    if let Some(player) = &aim.online {
        player.outbox.notice(&format!(
            "{by} muted you {length}{}: your chat is not delivered; commands still work.",
            because(reason)
        ));
    }
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Lifts a player's mute.
#[command(target_player, target_external, target_in_scope = false, group = "mod")]
async fn cmd_unmute(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let aim = aim(ctx.target(), zone).await?;
    check_rank(ctx, zone, &aim, "unmute")?;
    if zone.sanctions().mute(&aim.name).is_none() {
        return Err(CommandError::failed(format!("{} is not muted.", aim.name)));
    }
    let by = ctx.sender().name.to_owned();
    let action = format!("unmuted {}", aim.name);
    zone.lift(&aim.name, &[Kind::Mute], &by, action.clone()).await.map_err(store_failed)?;
    if let Some(player) = &aim.online {
        player.outbox.notice(&format!("{by} unmuted you."));
    }
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Warns a player: they see it as a staff warning, and it is kept against
/// their name (?warnings).
#[command(target_player, group = "mod", args = "<text>")]
async fn cmd_warn(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, text: Rest<'_>) -> CommandResult {
    let aim = aim(ctx.target(), zone).await?;
    check_rank(ctx, zone, &aim, "warn")?;
    check_not_muted(ctx, zone, text.0)?;
    let by = ctx.sender().name.to_owned();
    let warning = Warning {
        name: aim.name.clone(),
        text: text.0.trim().to_owned(),
        by: by.clone(),
        at: sanction::now(),
    };
    let action = format!("warned {}: {}", aim.name, warning.text);
    zone.store().add_warning(warning.clone(), action.clone()).await.map_err(store_failed)?;
    if let Some(player) = &aim.online {
        player.outbox.notice(&format!("Staff warning from {by}: {}", warning.text));
    }
    ctx.reply().line(&super::sentence(&action));
    Ok(())
}

/// Shows the warnings given to a player, newest first (up to 20).
#[command(target_pub, group = "mod", args = "<name>")]
async fn cmd_warnings(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, name: Rest<'_>) -> CommandResult {
    let aim = match named(zone, split_word(name.0).0).await {
        Ok(aim) => aim,
        // No account, no warnings.
        Err(_) => Aim { name: split_word(name.0).0.to_owned(), online: None },
    };
    let warnings = zone.store().warnings(&aim.name).await.map_err(store_failed)?;
    let mut reply = ctx.reply();
    if warnings.is_empty() {
        reply.line(&format!("{} has no warnings.", aim.name));
    }
    for warning in warnings.iter().take(20) {
        reply.line(&format!("  {} by {}: {}", sanction::utc(warning.at), warning.by, warning.text));
    }
    if warnings.len() > 20 {
        reply.line(&format!("  … and {} older.", warnings.len() - 20));
    }
    Ok(())
}
