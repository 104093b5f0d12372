//! The zone network (DESIGN §11): what zones sharing a PostgreSQL store tell
//! each other. A change is committed, then announced (`NOTIFY zone_events`)
//! as a [`NetworkEvent`]; every zone listens and applies it. Events that
//! carry state only say *what* changed (edits, sanctions): the listener
//! rereads it from the store, so an event lost while a zone was cut off
//! costs nothing once it resynchronises ([`NetworkEvent::Resync`]).

use std::time::Duration;

/// The channel zones `LISTEN` on.
pub const CHANNEL: &str = "zone_events";

/// How often a zone writes its heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A zone whose heartbeat is older than this is gone (killed, cut off): its
/// players count as offline and may log in elsewhere.
pub const GONE_AFTER: Duration = Duration::from_secs(6);

/// The separator of an event's fields: a control character, which no name
/// or chat text may hold (control characters are refused at input).
const SEP: char = '\u{1f}';

/// One thing a zone tells the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEvent {
    /// The listener (re)connected: reread whatever may have been missed.
    Resync,
    /// Rule edits or memberships changed.
    Edits,
    /// Bans, timed kicks or mutes changed.
    Sanctions,
    /// `name` logged in on zone `origin`: the newest login wins, network-wide.
    Login {
        /// The zone instance that announced it.
        origin: String,
        /// The player.
        name: String,
    },
    /// `name`'s password changed in zone `origin` (announced in the
    /// change's transaction): the other zones close the account's session
    /// and forget the password they saw.
    PasswordChanged {
        /// The zone instance the change was made in.
        origin: String,
        /// The account.
        name: String,
    },
    /// A private message to a player online in another zone.
    Private {
        /// The zone instance it comes from.
        origin: String,
        /// The receiver.
        to: String,
        /// The sender.
        from: String,
        /// What they said.
        text: String,
    },
    /// A private command to a player online in zone instance `at`: run
    /// there, with that player as its target (the sender's player group is
    /// their membership there, by name). Answered by [`NetworkEvent::Replies`].
    Command {
        /// The zone instance the sender is in.
        origin: String,
        /// The zone instance the target is in.
        at: String,
        /// The number `origin` gave it, for the replies.
        request: u64,
        /// The sender.
        from: String,
        /// The target.
        to: String,
        /// Typed as a command (`SEND:PRIVCMD`), not as chat (`SEND:PRIV`).
        typed: bool,
        /// The command line, with its cmd char.
        line: String,
    },
    /// Reply lines to the sender of [`NetworkEvent::Command`] `request`;
    /// the last part of them is `done`.
    Replies {
        /// The zone instance that ran the command.
        origin: String,
        /// The zone instance the sender is in.
        at: String,
        /// The command's number, as `at` gave it.
        request: u64,
        /// Whether these are the last lines.
        done: bool,
        /// The lines, in order.
        lines: Vec<String>,
    },
    /// A chat channel message, for the channel's members in other zones.
    Channel {
        /// The zone instance it comes from.
        origin: String,
        /// The channel's name.
        channel: String,
        /// The sender.
        from: String,
        /// What they said.
        text: String,
    },
}

impl NetworkEvent {
    /// The event as a `NOTIFY` payload.
    pub fn encode(&self) -> String {
        let fields: Vec<&str> = match self {
            NetworkEvent::Resync => vec!["resync"],
            NetworkEvent::Edits => vec!["edits"],
            NetworkEvent::Sanctions => vec!["sanctions"],
            NetworkEvent::Login { origin, name } => vec!["login", origin, name],
            NetworkEvent::PasswordChanged { origin, name } => vec!["password", origin, name],
            NetworkEvent::Private { origin, to, from, text } => vec!["private", origin, to, from, text],
            NetworkEvent::Channel { origin, channel, from, text } => {
                vec!["channel", origin, channel, from, text]
            }
            NetworkEvent::Command { origin, at, request, from, to, typed, line } => {
                let request = request.to_string();
                let typed = if *typed { "cmd" } else { "chat" };
                return ["command", origin, at, &request, from, to, typed, line].join(&SEP.to_string());
            }
            NetworkEvent::Replies { origin, at, request, done, lines } => {
                let request = request.to_string();
                let done = if *done { "done" } else { "more" };
                let head = ["replies", origin.as_str(), at.as_str(), &request, done];
                let fields: Vec<&str> = head.into_iter().chain(lines.iter().map(String::as_str)).collect();
                return fields.join(&SEP.to_string());
            }
        };
        fields.join(&SEP.to_string())
    }

    /// A payload as an event; `None` for one this server does not know (a
    /// newer zone's), which is ignored.
    pub fn decode(payload: &str) -> Option<NetworkEvent> {
        let fields: Vec<&str> = payload.split(SEP).collect();
        let owned = |i: usize| fields.get(i).map(|field| (*field).to_owned());
        Some(match (fields.first().copied()?, fields.len()) {
            ("resync", 1) => NetworkEvent::Resync,
            ("edits", 1) => NetworkEvent::Edits,
            ("sanctions", 1) => NetworkEvent::Sanctions,
            ("login", 3) => NetworkEvent::Login { origin: owned(1)?, name: owned(2)? },
            ("password", 3) => NetworkEvent::PasswordChanged { origin: owned(1)?, name: owned(2)? },
            ("private", 5) => {
                NetworkEvent::Private { origin: owned(1)?, to: owned(2)?, from: owned(3)?, text: owned(4)? }
            }
            ("channel", 5) => NetworkEvent::Channel {
                origin: owned(1)?,
                channel: owned(2)?,
                from: owned(3)?,
                text: owned(4)?,
            },
            ("command", 8) => NetworkEvent::Command {
                origin: owned(1)?,
                at: owned(2)?,
                request: fields[3].parse().ok()?,
                from: owned(4)?,
                to: owned(5)?,
                typed: match fields[6] {
                    "cmd" => true,
                    "chat" => false,
                    _ => return None,
                },
                line: owned(7)?,
            },
            ("replies", 5..) => NetworkEvent::Replies {
                origin: owned(1)?,
                at: owned(2)?,
                request: fields[3].parse().ok()?,
                done: match fields[4] {
                    "done" => true,
                    "more" => false,
                    _ => return None,
                },
                lines: fields[5..].iter().map(|line| (*line).to_owned()).collect(),
            },
            _ => return None,
        })
    }
}

/// Where a player is online in the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// The player's name.
    pub name: String,
    /// The zone's name, as players see it.
    pub zone: String,
    /// The zone instance (name and a per-run tag).
    pub instance: String,
    /// The realm, if in one.
    pub realm: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_unknown_ones_are_ignored() {
        let events = [
            NetworkEvent::Resync,
            NetworkEvent::Edits,
            NetworkEvent::Sanctions,
            NetworkEvent::Login { origin: "a#1".into(), name: "Mr T".into() },
            NetworkEvent::PasswordChanged { origin: "a#1".into(), name: "Al".into() },
            NetworkEvent::Private {
                origin: "a#1".into(),
                to: "Bob".into(),
                from: "Al".into(),
                text: "a:b".into(),
            },
            NetworkEvent::Channel {
                origin: "a#1".into(),
                channel: "x".into(),
                from: "Al".into(),
                text: "".into(),
            },
            NetworkEvent::Command {
                origin: "a#1".into(),
                at: "b#2".into(),
                request: 7,
                from: "Al".into(),
                to: "Bob".into(),
                typed: true,
                line: "?setfreq 3".into(),
            },
            NetworkEvent::Replies {
                origin: "b#2".into(),
                at: "a#1".into(),
                request: 7,
                done: false,
                lines: vec!["Put Bob on freq 3.".into(), "".into()],
            },
            NetworkEvent::Replies {
                origin: "b#2".into(),
                at: "a#1".into(),
                request: 8,
                done: true,
                lines: Vec::new(),
            },
        ];
        for event in events {
            assert_eq!(NetworkEvent::decode(&event.encode()), Some(event));
        }
        assert_eq!(NetworkEvent::decode("teleport\u{1f}x"), None);
        assert_eq!(NetworkEvent::decode("login\u{1f}only-one"), None);
        assert_eq!(NetworkEvent::decode("replies\u{1f}b\u{1f}a\u{1f}x\u{1f}done"), None, "not a number");
    }
}
