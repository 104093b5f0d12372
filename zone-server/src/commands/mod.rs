//! The built-in commands, one file per family; each file is a component named
//! after it, and every one is in [`config::BUILT_IN_COMPONENTS`], attached
//! zone-wide by default. They reach the zone through [`Ctx::world`](cmdman::Ctx::world).

use cmdman::{CommandError, Ctx, FromCtx, Target};

use crate::zone::{PlayerInfo, Zone};

pub mod account;
pub mod announce;
pub mod channels;
pub mod components;
pub mod find;
pub mod game;
pub mod groups;
pub mod help;
pub mod ignore;
pub mod info;
pub mod messages;
pub mod moderation;
pub mod realm;
pub mod staff;
pub mod staffchat;
pub mod stats;
pub mod teams;
pub mod uptime;
pub mod usage;

/// The zone the command runs in: handlers take it as a parameter,
/// `#[from_ctx] zone: &Zone`.
impl<'a> FromCtx<'a> for &'a Zone {
    /// # Errors
    /// A failure the player sees when dispatch was handed something else
    /// (only possible in a test harness).
    fn from_ctx(ctx: &Ctx<'a>) -> Result<&'a Zone, CommandError> {
        zone(ctx)
    }
}

/// The zone the command runs in, for helpers that get the [`Ctx`].
///
/// # Errors
/// As [`FromCtx`] for `&Zone`.
pub(crate) fn zone<'a>(ctx: &Ctx<'a>) -> Result<&'a Zone, CommandError> {
    ctx.world::<Zone>().ok_or_else(|| CommandError::failed("this command needs a running zone"))
}

/// A store failure as the player is told it (and the log records it).
pub(crate) fn store_failed(error: crate::store::StoreError) -> CommandError {
    tracing::warn!("store: {error}");
    CommandError::failed(
        "The zone could not store this (its database failed), so nothing was changed. Try again later.",
    )
}

/// A refused moderator edit as the moderator is told it; a store failure
/// is also logged, as [`store_failed`] does.
pub(crate) fn edit_failed(error: crate::access::EditError) -> CommandError {
    match error {
        crate::access::EditError::Store(error) => store_failed(error),
        refused => CommandError::failed(refused.to_string()),
    }
}

/// An action as the moderator who made it reads it: the audit log's words
/// (`"granted go to default"`) as a sentence (`"Granted go to default."`).
/// Errors are written as sentences where they are defined.
pub(crate) fn sentence(text: &dyn std::fmt::Display) -> String {
    let text = text.to_string();
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The player a staff command (moderation, `?resetpw`, `?setfreq`) is
/// aimed at.
pub(crate) struct Aim {
    /// The name as the zone knows it (online) or as given.
    pub(crate) name: String,
    pub(crate) online: Option<PlayerInfo>,
}

/// The target of a private command: online, or an account not online
/// (`external`).
pub(crate) async fn aim(target: Target<'_>, zone: &Zone) -> Result<Aim, CommandError> {
    match target {
        Target::Player(player) => Ok(Aim { name: player.name.to_owned(), online: zone.player(player.id) }),
        Target::External(name) => named(zone, name).await,
        _ => Err(CommandError::failed("Send this privately to the player (/?command).")),
    }
}

/// A player by name: online, or an account that exists (so sanctions and
/// warnings are kept only for real accounts, and their number is bounded).
pub(crate) async fn named(zone: &Zone, name: &str) -> Result<Aim, CommandError> {
    if let Some(online) = zone.find(name) {
        return Ok(Aim { name: online.name.to_string(), online: Some(online) });
    }
    zone_names::check_player_name(name, zone.config().limits.name_length)
        .map_err(|reason| CommandError::failed(format!("'{name}' is not a player name: {reason}.")))?;
    match zone.store().account(name).await.map_err(store_failed)? {
        Some(account) => Ok(Aim { name: account.name, online: None }),
        None => Err(CommandError::failed(format!("Nobody called '{name}' has played here."))),
    }
}

/// Refuses a muted player `what` (chat of another kind: an announcement, an
/// offline message): the sentence says they are muted and `why`.
pub(crate) fn refuse_if_muted(zone: &Zone, name: &str, why: &str) -> Result<(), CommandError> {
    match zone.sanctions().mute(name) {
        Some(mute) => Err(CommandError::failed(format!("You are {}; {why}", mute.describe()))),
        None => Ok(()),
    }
}

/// Refuses a muted moderator an action whose text reaches the player (a
/// reason, a warning): a mute silences staff too.
pub(crate) fn check_not_muted(ctx: &Ctx<'_>, zone: &Zone, text: &str) -> Result<(), CommandError> {
    if text.is_empty() {
        return Ok(());
    }
    refuse_if_muted(zone, ctx.sender().name, "a reason or warning would reach the player, so it is refused.")
}

/// Refuses unless the sender's group outranks the target's, both taken in
/// the realm that counts: the target's realm when they are online, else
/// zone-wide (§5.1, §5.3).
pub(crate) fn check_rank(ctx: &Ctx<'_>, zone: &Zone, aim: &Aim, verb: &str) -> Result<(), CommandError> {
    let snapshot = zone.access().snapshot();
    let realm = aim.online.as_ref().and_then(|player| player.realm_name.clone());
    let own = zone.group_at(&ctx.sender(), realm.as_deref());
    let theirs = match &aim.online {
        Some(player) => zone.group_of(player.id, player.location.realm),
        None => snapshot.member_group(&aim.name, None).into(),
    };
    let (own_rank, their_rank) = (snapshot.rank(&own), snapshot.rank(&theirs));
    if own_rank <= their_rank {
        return Err(CommandError::failed(format!(
            "You may not {verb} {}: their group {theirs} (rank {their_rank}) is not ranked below yours ({own}, rank {own_rank}).",
            aim.name
        )));
    }
    Ok(())
}

/// The first word of `text` (a `"quoted name"` keeps its spaces) and the
/// rest, trimmed.
pub(crate) fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    if let Some(quoted) = text.strip_prefix('"')
        && let Some((word, rest)) = quoted.split_once('"')
    {
        return (word, rest.trim());
    }
    match text.split_once(' ') {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

/// Seconds as `h:mm:ss`, hours unbounded: `0:05:12`, `27:03:10`.
pub(crate) fn hms(secs: u64) -> String {
    let mut text = String::with_capacity(12);
    push_hms(&mut text, secs);
    text
}

/// Appends `secs` as `h:mm:ss` to `text` (see [`hms`]), with itoa and two
/// digits by hand: `?uptime` was a third of a request's instructions in
/// the closed-loop benchmark, mostly `format!`'s `{:02}` padding
/// (BENCHMARKS.md, "Load").
pub(crate) fn push_hms(text: &mut String, secs: u64) {
    let two = |text: &mut String, n: u64| {
        text.push(char::from(b'0' + (n / 10 % 10) as u8));
        text.push(char::from(b'0' + (n % 10) as u8));
    };
    text.push_str(itoa::Buffer::new().format(secs / 3600));
    text.push(':');
    two(text, secs / 60 % 60);
    text.push(':');
    two(text, secs % 60);
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentences_start_capitalised_and_end_in_one_full_stop() {
        assert_eq!(super::sentence(&"granted go to default"), "Granted go to default.");
        assert_eq!(
            super::sentence(&"component 'x' is not attached there."),
            "Component 'x' is not attached there."
        );
        assert_eq!(super::sentence(&""), "");
    }

    #[test]
    fn words_split_with_quotes() {
        assert_eq!(super::split_word("Bob 7d spam"), ("Bob", "7d spam"));
        assert_eq!(super::split_word("\"Mr T\" perm cheating"), ("Mr T", "perm cheating"));
        assert_eq!(super::split_word("  alone "), ("alone", ""));
    }

    #[test]
    fn hms_pads_minutes_and_seconds() {
        assert_eq!(super::hms(0), "0:00:00");
        assert_eq!(super::hms(312), "0:05:12");
        assert_eq!(super::hms(27 * 3600 + 190), "27:03:10");
    }
}
