//! `?who`, `?info` and `?seen`: who is online, what the zone knows of a
//! player, and when someone was last here (DESIGN §10; ASSS `playercmd.c`).

use cmdman::{CommandError, CommandResult, Ctx, Rest, Target, command};

use super::{hms, store_failed};
use crate::zone::{PlayerInfo, RealmPlayers, Zone};

/// Lines of names a `?who` page shows.
const WHO_PAGE_LINES: usize = 10;
/// Names on one `?who` line.
const WHO_LINE_NAMES: usize = 10;

/// Lists who is online, by realm; with a realm, only there. Long lists come
/// in pages: `?who 2`, `?who lobby 2`. In a network of zones, the players of
/// the other zones follow, by zone.
#[command(target_pub, group = "default", args = "[realm] [page]")]
fn cmd_who(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    first: Option<&str>,
    second: Option<u32>,
) -> CommandResult {
    let (realm, page) = match (first, second) {
        (Some(word), None) if word.bytes().all(|b| b.is_ascii_digit()) => (None, word.parse().unwrap_or(1)),
        (realm, page) => (realm, page.unwrap_or(1)),
    };
    let mut lines = Vec::new();
    let mut total = 0;
    let own_realm = zone.player(ctx.sender().id).and_then(|player| player.realm_name);
    for RealmPlayers { name, public, players } in zone.who() {
        // A private realm is listed only to the players in it (as ?arena).
        if !public && name != own_realm {
            continue;
        }
        let label = name.as_deref().unwrap_or("(no realm)");
        if realm.is_some_and(|wanted| !wanted.eq_ignore_ascii_case(label)) {
            continue;
        }
        total += players.len();
        for (index, chunk) in players.chunks(WHO_LINE_NAMES).enumerate() {
            let names: Vec<&str> = chunk.iter().map(|name| &**name).collect();
            let head =
                if index == 0 { format!("{label} ({})", players.len()) } else { format!("{label}, more") };
            lines.push(format!("{head}: {}", names.join(", ")));
        }
    }
    if realm.is_none() {
        let others = zone.others_online();
        for group in others.chunk_by(|a, b| a.instance == b.instance) {
            total += group.len();
            for (index, chunk) in group.chunks(WHO_LINE_NAMES).enumerate() {
                let names: Vec<&str> = chunk.iter().map(|presence| presence.name.as_str()).collect();
                let label = &group[0].zone;
                let head = if index == 0 {
                    format!("zone {label} ({})", group.len())
                } else {
                    format!("zone {label}, more")
                };
                lines.push(format!("{head}: {}", names.join(", ")));
            }
        }
    }
    let mut reply = ctx.reply();
    if lines.is_empty() {
        let line = match realm {
            Some(realm) => format!("Nobody is in realm '{realm}'."),
            None => "Nobody is online.".to_owned(),
        };
        reply.line(&line);
        return Ok(());
    }
    let pages = lines.len().div_ceil(WHO_PAGE_LINES);
    let page = (page as usize).clamp(1, pages);
    for line in lines.iter().skip((page - 1) * WHO_PAGE_LINES).take(WHO_PAGE_LINES) {
        reply.line(line);
    }
    if pages > 1 {
        let next = if page < pages {
            format!(" ?who {}{} for more.", realm.map(|r| format!("{r} ")).unwrap_or_default(), page + 1)
        } else {
            String::new()
        };
        reply.line(&format!("Page {page} of {pages}, {total} players.{next}"));
    }
    Ok(())
}

/// Shows what the zone knows of you; sent privately to a player, of them:
/// client, time online, idle time, lines in and out, realm, freq, game,
/// player group and where it comes from (and, for smod and up, the address).
#[command(target_pub, target_player, group_pub = "default", group_player = "mod")]
fn cmd_info(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let id = match ctx.target() {
        Target::Player(player) => player.id,
        _ => ctx.sender().id,
    };
    let Some(player) = zone.player(id) else {
        return Err(CommandError::failed("That player is no longer online."));
    };
    let traffic = player.outbox.traffic();
    let lines = [
        format!(
            "{}: client {}, online {}, idle {}, lines in {}, out {}.",
            player.name,
            player.client,
            hms(player.session_start.elapsed().as_secs()),
            hms(traffic.idle().as_secs()),
            traffic.lines_in(),
            traffic.lines_out()
        ),
        whereabouts(&player),
        group_line(zone, &player),
    ];
    let sees_address = sees_addresses(ctx, zone);
    let mut reply = ctx.reply();
    for line in lines {
        reply.line(&line);
    }
    if sees_address {
        reply.line(&format!("Address: {}.", player.address));
    }
    Ok(())
}

fn whereabouts(player: &PlayerInfo) -> String {
    match (&player.realm_name, player.freq, &player.game_name) {
        (Some(realm), Some(freq), Some(game)) => format!("In realm {realm}, freq {freq}, game {game}."),
        (Some(realm), Some(freq), None) => format!("In realm {realm}, freq {freq}."),
        _ => "In no realm.".to_owned(),
    }
}

/// The player's group where they are, and why.
fn group_line(zone: &Zone, player: &PlayerInfo) -> String {
    let group = zone.group_of(player.id, player.location.realm);
    let snapshot = zone.access().snapshot();
    let realm = player.realm_name.as_deref();
    let memberships = snapshot.memberships();
    let mine: Vec<_> = memberships.iter().filter(|m| m.name.eq_ignore_ascii_case(&player.name)).collect();
    let in_realm = mine.iter().find(|m| m.realm.is_some() && m.realm.as_deref() == realm);
    let zone_wide = mine.iter().find(|m| m.realm.is_none());
    let source = match (in_realm, zone_wide) {
        (Some(m), _) if *m.group == *group => {
            format!("membership in realm {} ({})", realm.unwrap_or("?"), m.origin)
        }
        (_, Some(m)) if *m.group == *group => format!("zone-wide membership ({})", m.origin),
        _ if *group == *config::DEFAULT_GROUP => "no membership".to_owned(),
        _ => "for this session (?grplogin)".to_owned(),
    };
    format!("Group {group}: {source}.")
}

/// Whether the sender ranks as smod or above (addresses are theirs to see).
fn sees_addresses(ctx: &Ctx<'_>, zone: &Zone) -> bool {
    let snapshot = zone.access().snapshot();
    let Some(smod) = snapshot.policy().group("smod") else { return false };
    let own = zone.group_at(&ctx.sender(), None);
    snapshot.rank(&own) >= smod.rank
}

/// Tells where a player is, or when they were last seen.
#[command(target_pub, group = "default", args = "<name>")]
async fn cmd_seen(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, name: Rest<'_>) -> CommandResult {
    let name = name.0.trim().trim_matches('"');
    if let Some(player) = zone.find(name) {
        let place = player
            .realm_name
            .as_deref()
            .map_or_else(|| "in no realm".to_owned(), |r| format!("in realm {r}"));
        ctx.reply().line(&format!("{} is online, {place}.", player.name));
        return Ok(());
    }
    if let Some(there) = zone.elsewhere(name) {
        ctx.reply().line(&format!("{} is online in zone {}.", there.name, there.zone));
        return Ok(());
    }
    let account = zone.store().account(name).await.map_err(store_failed)?;
    let line = match account {
        Some(account) => format!("{} was last seen {} UTC.", account.name, account.last_seen),
        None => format!("Nobody called '{name}' has played here."),
    };
    ctx.reply().line(&line);
    Ok(())
}
