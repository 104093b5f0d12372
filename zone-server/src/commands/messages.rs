//! `?message` and `?messages`: offline messages (the biller's `?message`),
//! kept in the store until their recipient reads them, bounded per
//! recipient and per sender and day.

use cmdman::{CommandError, CommandResult, Ctx, Rest, command};

use super::{named, refuse_if_muted, split_word, store_failed};
use crate::store::{Message, MessageLimits, Sent, Time};
use crate::zone::Zone;

/// Leaves a message for a player, online or not; they are told of it when
/// they next log in, and read it with ?messages.
///
/// `?message Name text` (quote a name with spaces: `?message "Mr T" hi`).
/// A player keeps at most limits.messages_per_recipient unread messages (20
/// by default), and you may send limits.messages_per_day a day (UTC). A
/// player who ignores you does not get yours.
#[command(target_pub, group = "default", args = "<name> <text>")]
async fn cmd_message(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, words: Rest<'_>) -> CommandResult {
    let (name, text) = split_word(words.0);
    if text.is_empty() {
        return Err(CommandError::usage("Say what the message is."));
    }
    let from = ctx.sender().name.to_owned();
    refuse_if_muted(zone, &from, "a message is chat, so it is not sent.")?;
    let aim = named(zone, name).await?;
    if aim.name.eq_ignore_ascii_case(&from) {
        return Err(CommandError::failed("That is you; ?message is for other players."));
    }
    let limits = &zone.config().limits;
    let limits =
        MessageLimits { per_recipient: limits.messages_per_recipient, per_day: limits.messages_per_day };
    let message =
        Message { to: aim.name.clone(), from: from.clone(), text: text.to_owned(), at: Time::now() };
    match zone.store().add_message(message, limits).await.map_err(store_failed)? {
        Sent::SenderLimit => {
            return Err(CommandError::failed(format!(
                "You have sent {} messages today, the most a day (UTC); try again tomorrow.",
                limits.per_day
            )));
        }
        Sent::RecipientFull => {
            return Err(CommandError::failed(format!(
                "{}'s message box is full ({} unread); try again when they have read them.",
                aim.name, limits.per_recipient
            )));
        }
        // Told the same as a stored one: an ignore list is its owner's business.
        Sent::Ignored => {}
        Sent::Stored => {
            if let Some(player) = &aim.online {
                let c = ctx.cmd_char();
                player.outbox.notice(&format!("You have a new message from {from} ({c}messages)."));
            }
        }
    }
    ctx.reply().line(&format!("Your message to {} is kept until they read it.", aim.name));
    Ok(())
}

/// Shows your offline messages, oldest first, and clears them.
#[command(target_pub, group = "default")]
async fn cmd_messages(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let name = ctx.sender().name.to_owned();
    let messages = zone.store().take_messages(&name).await.map_err(store_failed)?;
    let mut reply = ctx.reply();
    if messages.is_empty() {
        reply.line("You have no messages.");
        return Ok(());
    }
    for message in &messages {
        reply.line(&format!("{} UTC {}: {}", message.at, message.from, message.text));
    }
    Ok(())
}
