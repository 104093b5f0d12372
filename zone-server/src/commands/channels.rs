//! `?chat`: chat channels (DESIGN §10; ASSS's biller channels). A player is
//! on up to ten channels, stored with their account; `SEND:CHAT:n;msg`
//! reaches every online member of their channel `n` as
//! `MSG:CHAT:m:name> msg`, `m` being each receiver's own number for it.

use cmdman::{CommandError, CommandResult, Ctx, command};

use super::store_failed;
use crate::zone::Zone;
use crate::zone::{CHANNEL_NAME_LENGTH, MAX_CHANNELS};

/// Sets your chat channels (`?chat=alpha,beta`) or, alone, lists them.
///
/// Up to 10 names, channel 1 first; `?chat=-` leaves every channel. Send to
/// channel 1 with `SEND:CHAT:message`, to another with `SEND:CHAT:2;message`.
/// Names are 1 to 20 characters, without `,` `;` or `:`, and compare
/// without regard to case. Kept with your account.
#[command(target_pub, group = "default", args = "[=name,name,… | =-]")]
async fn cmd_chat(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult {
    let id = ctx.sender().id;
    let params = ctx.params().trim();
    if params.is_empty() {
        let channels = zone.channels(id);
        let listed: Vec<String> =
            channels.iter().enumerate().map(|(index, name)| format!("{} {name}", index + 1)).collect();
        let line = if listed.is_empty() {
            "You are on no chat channel. ?chat=name,name joins some.".to_owned()
        } else {
            format!("Your channels: {}.", listed.join(", "))
        };
        ctx.reply().line(&line);
        return Ok(());
    }
    let channels = if params == "-" { Vec::new() } else { parse_channels(params)? };
    let name = ctx.sender().name;
    zone.store().set_channels(name, channels.clone()).await.map_err(store_failed)?;
    zone.set_channels(id, &channels);
    let line = if channels.is_empty() {
        "You left every chat channel.".to_owned()
    } else {
        let listed: Vec<String> =
            channels.iter().enumerate().map(|(index, name)| format!("{} {name}", index + 1)).collect();
        format!("Your channels: {}.", listed.join(", "))
    };
    ctx.reply().line(&line);
    Ok(())
}

/// `a,b,c` as channel names, checked.
fn parse_channels(text: &str) -> Result<Vec<String>, CommandError> {
    let mut channels: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            continue;
        }
        if name.chars().count() > CHANNEL_NAME_LENGTH || name.contains([';', ':']) {
            return Err(CommandError::usage(format!(
                "'{name}' is not a channel name: 1 to {CHANNEL_NAME_LENGTH} characters, without , ; or :"
            )));
        }
        if channels.iter().any(|other| other.eq_ignore_ascii_case(name)) {
            return Err(CommandError::usage(format!("Channel '{name}' is listed twice.")));
        }
        channels.push(name.to_owned());
    }
    if channels.len() > MAX_CHANNELS {
        return Err(CommandError::usage(format!(
            "At most {MAX_CHANNELS} channels; you gave {}.",
            channels.len()
        )));
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lists_are_checked() {
        assert_eq!(parse_channels("a, B ,c").unwrap(), ["a", "B", "c"]);
        assert!(parse_channels("").unwrap().is_empty());
        assert!(parse_channels("a;b").is_err());
        assert!(parse_channels("a:b").is_err());
        assert!(parse_channels("a,A").is_err());
        assert!(parse_channels(&"x".repeat(21)).is_err());
        let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
        assert!(parse_channels(&eleven.join(",")).is_err());
    }
}
