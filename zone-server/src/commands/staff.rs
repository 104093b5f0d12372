//! `?setgroup`, `?rmgroup`, `?getgroup`, `?listmod`, `?grplogin` and
//! `?auditlog`: who is in which player group (DESIGN §5.1, §5.3). Memberships
//! set here are written to the store with who and when, over staff.ron
//! (never rewritten), and apply at once.

use cmdman::{CommandError, CommandResult, Ctx, Scope, Target, command};

use super::{sentence, store_failed};
use crate::access::{Editor, place_text};
use crate::password::PasswordError;
use crate::throttle::Kind;
use crate::zone::Zone;

/// The player a command is aimed at, by name, with their realm if online.
struct Aimed {
    name: String,
    realm: Option<cmdman::RealmId>,
    online: Option<cmdman::PlayerId>,
}

fn aimed(ctx: &Ctx<'_>, zone: &Zone) -> Result<Aimed, CommandError> {
    match ctx.target() {
        Target::Player(player) => {
            Ok(Aimed { name: player.name.to_owned(), realm: player.location.realm, online: Some(player.id) })
        }
        Target::External(name) => {
            zone_names::check_player_name(name, zone.config().limits.name_length).map_err(|reason| {
                CommandError::failed(format!("'{name}' is not a player name: {reason}."))
            })?;
            Ok(Aimed { name: name.to_owned(), realm: None, online: None })
        }
        _ => Err(CommandError::failed("Send this privately to the player (/?command), online or not.")),
    }
}

/// The realm a membership is for: `None` for zone-wide, or a realm name.
fn place(zone: &Zone, realm: Option<&str>) -> Result<Option<String>, CommandError> {
    match realm {
        None => Ok(None),
        Some(name) if config::zone::valid_realm_name(name, zone.config().limits.realm_name_length) => {
            Ok(Some(name.to_ascii_lowercase()))
        }
        Some(name) => Err(CommandError::usage(format!("'{name}' is not a realm name."))),
    }
}

/// Puts a player in a player group, zone-wide or in one realm.
///
/// Send it privately to the player (`/?setgroup mod`), who may be offline.
/// With a realm, the group holds only there and wins over the zone-wide one.
/// Only for groups ranked below your own, and players whose group there is.
#[command(target_player, target_external, target_in_scope = false, group = "smod", args = "<group> [realm]")]
async fn cmd_setgroup(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    group: &str,
    realm: Option<&str>,
) -> CommandResult {
    let target = aimed(ctx, zone)?;
    let realm = place(zone, realm)?;
    edit_membership(ctx, zone, target, realm, Some(group.to_owned())).await
}

/// Takes a player out of their player group, zone-wide or in one realm; they
/// fall back to their zone-wide group, or `default`.
///
/// Send it privately to the player, who may be offline. Only for players
/// whose group there is ranked below yours.
#[command(target_player, target_external, target_in_scope = false, group = "smod", args = "[realm]")]
async fn cmd_rmgroup(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, realm: Option<&str>) -> CommandResult {
    let target = aimed(ctx, zone)?;
    let realm = place(zone, realm)?;
    edit_membership(ctx, zone, target, realm, None).await
}

/// Sets or removes the target's membership through the access control,
/// which checks and applies it under the edit lock, then tells both players.
async fn edit_membership(
    ctx: &mut Ctx<'_>,
    zone: &Zone,
    target: Aimed,
    realm: Option<String>,
    group: Option<String>,
) -> CommandResult {
    let sender = ctx.sender();
    // The editor's group at the place being changed: zone-wide for a
    // zone-wide membership, in that realm for a realm's.
    let place = realm.clone();
    let own = move || zone.group_at(&sender, place.as_deref());
    let editor = Editor { name: sender.name, group: &own };
    let action = zone
        .access()
        .edit_membership(editor, &target.name, realm, group, zone.store(), ctx.registry())
        .await
        .map_err(super::edit_failed)?;
    ctx.reply().line(&sentence(&action));
    if let Some(id) = target.online {
        let group_now = zone.group_of(id, target.realm);
        let sender = ctx.sender().name.to_owned();
        ctx.reply_to_target()
            .line(&format!("{sender} changed your player group; here it is now {group_now}."));
    }
    Ok(())
}

/// Shows your player group here; sent privately to a player, theirs (in
/// their realm).
#[command(
    target_pub,
    target_player,
    target_external,
    target_in_scope = false,
    group_pub = "default",
    group_player = "mod",
    group_external = "mod"
)]
fn cmd_getgroup(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let line = match ctx.target() {
        Target::Player(player) => {
            let group = zone.group_of(player.id, player.location.realm);
            format!("{} is in group {group}{}.", player.name, realm_suffix(zone, player.location.realm))
        }
        Target::External(name) => {
            let group = zone.access().snapshot().member_group(name, None).to_owned();
            format!("{name} (not online) is in group {group} zone-wide.")
        }
        _ => {
            let sender = ctx.sender();
            let group = zone.group_of(sender.id, sender.location.realm);
            format!("You are in group {group}{}.", realm_suffix(zone, sender.location.realm))
        }
    };
    ctx.reply().line(&line);
    Ok(())
}

fn realm_suffix(zone: &Zone, realm: Option<cmdman::RealmId>) -> String {
    realm.map(|realm| format!(" in {}", zone.describe(Scope::Realm(realm)))).unwrap_or_default()
}

/// Lists every membership (from staff.ron and moderators), and who is in a
/// group for this session through ?grplogin.
#[command(target_pub, group = "mod")]
fn cmd_listmod(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let snapshot = zone.access().snapshot();
    let mut reply = ctx.reply();
    let memberships = snapshot.memberships();
    if memberships.is_empty() {
        reply.line("Nobody has a player group; everyone is default.");
    }
    for membership in memberships {
        let online = if zone.find(&membership.name).is_some() { ", online" } else { "" };
        reply.line(&format!(
            "  {}: {} {} ({}{online})",
            membership.name,
            membership.group,
            place_text(membership.realm.as_deref()),
            membership.origin
        ));
    }
    for (name, group) in zone.session_groups() {
        reply.line(&format!("  {name}: {group} for this session (?grplogin, online)"));
    }
    Ok(())
}

/// Puts you in a player group for this session, with the group's password.
///
/// The password is checked against its hash in staff.ron and never logged.
/// A wrong password, a group without one and a group that does not exist all
/// get the same answer, after the same work. Wrong passwords are counted for
/// your account, your address and the group tried, across reconnects: after
/// a few, ?grplogin closes for a while, twice as long each time
/// (limits.login_backoff).
#[command(target_pub, group = "default", args = "<group> <password>")]
async fn cmd_grplogin(
    ctx: &mut Ctx<'_>,
    #[from_ctx] zone: &Zone,
    group: &str,
    password: &str,
) -> CommandResult {
    let sender = ctx.sender();
    let (name, id) = (sender.name.to_owned(), sender.id);
    let Some(address) = zone.player(id).map(|player| player.address) else { return Ok(()) };
    let attempt = zone.backoff().begin(Kind::GroupLogin, &name, Some(group), address).map_err(|wait| {
        CommandError::failed(format!("Too many attempts; try again in {} s.", wait.as_secs()))
    })?;
    let snapshot = zone.access().snapshot();
    // The same work whether or not the group has a password, so the time
    // taken does not tell: a group without one is checked against another
    // group's hash (when no group has one, there is nothing to tell).
    let (hash, real) = match snapshot.password_hash(group) {
        Some(hash) => (Some(hash.to_owned()), true),
        None => (snapshot.any_password_hash().map(str::to_owned), false),
    };
    let checked = match hash {
        Some(hash) => zone.hashers().verify(password, &hash).await,
        None => Ok(false),
    };
    let matches = match checked {
        Ok(matches) => matches && real,
        Err(PasswordError::Busy) => {
            return Err(CommandError::failed("The zone is busy; try again in a moment."));
        }
        Err(error) => {
            tracing::warn!(group, "?grplogin: the group's hash cannot be used: {error}");
            false
        }
    };
    if !matches {
        let wait = attempt.failed(true);
        // No group name: one row per account and window, whatever is tried.
        zone.audit_repeated(&name, "wrong group or password at ?grplogin".to_owned()).await;
        if wait.is_zero() {
            return Err(CommandError::failed("Wrong group or password."));
        }
        return Err(CommandError::failed(format!(
            "Wrong group or password. Too many attempts; try again in {} s.",
            wait.as_secs()
        )));
    }
    attempt.succeeded();
    zone.audit_repeated(&name, format!("logged in to group {group}")).await;
    zone.set_session_group(id, group);
    ctx.reply().line(&format!("You are in group {group} until you log out."));
    Ok(())
}

/// Shows the newest entries of the audit log: group and membership edits,
/// group logins, reloads. Newest first; 10 unless you say (up to 100).
#[command(target_pub, group = "smod")]
async fn cmd_auditlog(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, count: Option<u8>) -> CommandResult {
    let count = usize::from(count.unwrap_or(10).min(100));
    let entries = zone.store().audit_log(count).await.map_err(store_failed)?;
    let mut reply = ctx.reply();
    if entries.is_empty() {
        reply.line("The audit log is empty.");
    }
    for entry in entries {
        let line = match entry.count {
            1 => format!("{} {}: {}", entry.at, entry.by, entry.action),
            n => format!("{} {}: {} ({n} times since)", entry.at, entry.by, entry.action),
        };
        reply.line(&line);
    }
    Ok(())
}

/// Says where the admin web page is. Who may run this command may log in
/// to the admin page with their zone account (DESIGN §13); what they may
/// change there is what their group may change in game.
#[command(target_pub, group = "mod")]
fn cmd_adminpage(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let line = match zone.admin_addr() {
        Some(addr) => format!("The admin page is at http://{addr}/ (log in with your zone account)."),
        None => "The admin page is off: set admin_listen in zone.ron.".to_owned(),
    };
    ctx.reply().line(&line);
    Ok(())
}
