//! `?passwd` and `?resetpw`: a player's own password, and staff setting a
//! one-time one. Passwords are hashed with argon2id on the zone's hashing
//! pool at the configured cost, and never logged or audited: the audit log
//! says only that a password changed.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use cmdman::{CommandError, CommandResult, Ctx, Via, command};

use super::{aim, check_rank, store_failed};
use crate::outbox::Disconnect;
use crate::password::PasswordError;
use crate::throttle::Kind;
use crate::zone::Zone;

/// The name of `?passwd`, the one command a player with a one-time password
/// may run.
pub const PASSWD: &str = "passwd";

/// The longest password `?passwd` takes, in characters.
const PASSWORD_LENGTH: usize = 64;

/// Characters of one-time passwords: no look-alikes (0/o, 1/l/i).
const ONE_TIME_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a one-time password (about 50 bits).
const ONE_TIME_LENGTH: usize = 10;

/// A password-hashing failure as the player is told it.
fn hashing_failed(error: PasswordError) -> CommandError {
    match error {
        PasswordError::Busy => CommandError::failed("The zone is busy; try again in a moment."),
        error => {
            tracing::warn!("password hashing failed: {error}");
            CommandError::failed("The zone cannot change passwords right now; try again later.")
        }
    }
}

/// Changes your password.
///
/// `?passwd <old password> <new password>`. Type it as a command (ChatNet `SEND:CMD`, your client's command line),
/// not in chat, so the password never travels as a chat line. Passwords
/// here are 1 to 64 characters without spaces (a password with spaces
/// cannot be given here: ask staff for a ?resetpw). Any other session of
/// your account is closed. Wrong old passwords back off as wrong logins do.
/// After staff reset your password, the one-time password is the old one;
/// a change that was checking the old password when staff reset it is
/// refused.
#[command(target_pub, group = "default", args = "<old password> <new password>")]
async fn cmd_passwd(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, old: &str, new: &str) -> CommandResult {
    let c = ctx.cmd_char();
    if ctx.via() == Via::Chat {
        return Err(CommandError::failed(format!(
            "{c}passwd works only as a command (SEND:CMD), not in chat. If that was your password, change it now."
        )));
    }
    if new.chars().count() > PASSWORD_LENGTH {
        return Err(CommandError::usage(format!("A password is at most {PASSWORD_LENGTH} characters.")));
    }
    if new == old {
        return Err(CommandError::failed("The new password is the old one; choose another."));
    }
    let sender = ctx.sender();
    let (name, id) = (sender.name.to_owned(), sender.id);
    let Some(address) = zone.player(id).map(|player| player.address) else { return Ok(()) };
    let attempt = zone.backoff().begin(Kind::Login, &name, None, address).map_err(|wait| {
        CommandError::failed(format!("Too many attempts; try again in {} s.", wait.as_secs()))
    })?;
    let Some((account, checked_hash)) = zone.store().credentials(&name).await.map_err(store_failed)? else {
        return Err(CommandError::failed("Your account is not in the store; nothing was changed."));
    };
    if !zone.hashers().verify(old, &checked_hash).await.map_err(hashing_failed)? {
        let wait = attempt.failed(true);
        zone.audit_repeated(&account.name, "wrong password at ?passwd".to_owned()).await;
        if wait.is_zero() {
            return Err(CommandError::failed("Wrong password; nothing was changed."));
        }
        return Err(CommandError::failed(format!(
            "Wrong password; nothing was changed. Try again in {} s.",
            wait.as_secs()
        )));
    }
    attempt.succeeded();
    let cost = zone.config().accounts.password_hashing;
    let hash = zone.hashers().hash(new, cost).await.map_err(hashing_failed)?;
    let action = "changed their password".to_owned();
    let (new_hash, checked) = (hash, Some(checked_hash));
    if !zone
        .store()
        .set_password(&name, new_hash, false, checked, &name, action)
        .await
        .map_err(store_failed)?
    {
        return Err(CommandError::failed(
            "Your password changed while this ran (staff may have reset it); nothing was changed.",
        ));
    }
    zone.password_changed(&name, Some(id), Disconnect::PasswordChanged);
    zone.password_change_done(id);
    ctx.reply().line("Your password is changed; log in with the new one from now on.");
    Ok(())
}

/// A new one-time password, drawn from the operating system's generator.
fn one_time_password() -> String {
    (0..ONE_TIME_LENGTH)
        .map(|_| {
            let index = OsRng.next_u32() as usize % ONE_TIME_ALPHABET.len();
            char::from(ONE_TIME_ALPHABET[index])
        })
        .collect()
}

/// Gives a player, online or not, a one-time password, which they must
/// change with ?passwd at their next login before anything else works.
///
/// Send it privately (`/?resetpw`). You are shown the one-time password:
/// give it to the player where nobody else reads it. A player online is
/// disconnected. Only for players whose group ranks below yours. The
/// password is never logged or audited.
#[command(target_player, target_external, target_in_scope = false, group = "smod")]
async fn cmd_resetpw(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let aim = aim(ctx.target(), zone).await?;
    check_rank(ctx, zone, &aim, "reset the password of")?;
    let password = one_time_password();
    let cost = zone.config().accounts.password_hashing;
    let hash = zone.hashers().hash(&password, cost).await.map_err(hashing_failed)?;
    let by = ctx.sender().name.to_owned();
    let action = format!("reset {}'s password", aim.name);
    if !zone.store().set_password(&aim.name, hash, true, None, &by, action).await.map_err(store_failed)? {
        return Err(CommandError::failed(format!("Nobody called '{}' has played here.", aim.name)));
    }
    let text = format!("your password was reset by {by}; log in with the one-time password staff give you");
    zone.password_changed(&aim.name, None, Disconnect::Kicked { text, by });
    ctx.reply().line(&format!(
        "Reset {}'s password. Their one-time password is {password}: give it to them privately; they must change it when they log in.",
        aim.name
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_time_passwords_are_ten_unambiguous_characters() {
        let first = super::one_time_password();
        assert_eq!(first.len(), super::ONE_TIME_LENGTH);
        assert!(first.bytes().all(|b| super::ONE_TIME_ALPHABET.contains(&b)), "{first}");
        assert_ne!(first, super::one_time_password());
    }
}
