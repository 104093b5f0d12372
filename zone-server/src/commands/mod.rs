//! The built-in commands, one file per family; each file is a component named
//! after it, and every one is in [`config::BUILT_IN_COMPONENTS`], attached
//! zone-wide by default. They reach the zone through [`Ctx::world`](cmdman::Ctx::world).

use cmdman::{CommandError, Ctx, FromCtx};

use crate::zone::Zone;

pub mod channels;
pub mod components;
pub mod find;
pub mod game;
pub mod groups;
pub mod help;
pub mod info;
pub mod moderation;
pub mod realm;
pub mod staff;
pub mod staffchat;
pub mod stats;
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

/// Seconds as `h:mm:ss`, hours unbounded: `0:05:12`, `27:03:10`.
pub(crate) fn hms(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
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
    fn hms_pads_minutes_and_seconds() {
        assert_eq!(super::hms(0), "0:00:00");
        assert_eq!(super::hms(312), "0:05:12");
        assert_eq!(super::hms(27 * 3600 + 190), "27:03:10");
    }
}
