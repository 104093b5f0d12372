//! Dispatch (DESIGN §4.4): split a command line, look the name up, check the
//! target form and scope, then run the handler with a [`Ctx`].

use std::any::Any;
use std::fmt::Write as _;

use crate::context::Ctx;
use crate::def::{Handler, TargetForm};
use crate::error::CommandError;
use crate::registry::Registry;
use crate::reply::{Recipient, ReplySink};
use crate::target::{Addressee, Player, Scope, Target};

/// One command line to run.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// Who sent it.
    pub sender: Player<'a>,
    /// How it was addressed on the wire.
    pub addressee: Addressee<'a>,
    /// The line: a cmd char, the name, then params (`?usage`, `*warn Bob spam`).
    /// A line that does not start with a cmd char is taken to use the default
    /// one, as ChatNet's `SEND:CMD` allows.
    pub line: &'a str,
    /// The server's state, handed to handlers through [`Ctx::world`].
    pub world: &'a (dyn Any + Send + Sync),
}

/// What became of one command line (of the last command, for `?|a|b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The line had no command name.
    Empty,
    /// No command answers to the name.
    Unknown,
    /// The command does not take the form the line was sent in.
    WrongForm,
    /// The sender or target is outside the command's attach scope.
    OutOfScope,
    /// The handler ran and succeeded.
    Ran,
    /// The handler ran and returned an error, which the sender was shown.
    Failed,
}

/// One command of a line, split (DESIGN §4.4, step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The cmd char.
    pub cmd_char: char,
    /// The name as typed: it ends at a space, `=` or `#`.
    pub name: &'a str,
    /// The rest, after spaces and `=` following the name; a `#` stays part of it
    /// (`?go#secret` → params `#secret`), as in ASSS.
    pub params: &'a str,
}

/// Splits `text` (after the cmd char) into name and params.
pub fn split_command(cmd_char: char, text: &str) -> Split<'_> {
    let end = text.find([' ', '=', '#']).unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    let params = rest.trim_start_matches([' ', '=']);
    Split { cmd_char, name, params }
}

impl Registry {
    /// Runs the command(s) on `request.line`, writing every reply to `sink`.
    ///
    /// `?|a|b|c` runs each part in turn, at most
    /// [`Settings::multi_limit`](crate::Settings::multi_limit) of them; the
    /// sender is told when parts were dropped.
    pub async fn dispatch(&self, request: Request<'_>, sink: &mut (dyn ReplySink + Send)) -> Outcome {
        let (cmd_char, body) = match request.line.chars().next() {
            Some(c) if self.settings.cmd_chars.contains(&c) => (c, &request.line[c.len_utf8()..]),
            _ => (self.default_cmd_char(), request.line),
        };
        let Some(multi) = body.strip_prefix('|') else {
            return self.dispatch_one(&request, split_command(cmd_char, body), sink).await;
        };
        let mut outcome = Outcome::Empty;
        let limit = self.settings.multi_limit;
        for (i, part) in multi.split('|').enumerate() {
            if i == limit {
                let mut refused = String::new();
                let _ = write!(refused, "Only the first {limit} commands of a {cmd_char}| line run.");
                sink.line(Recipient::Sender, &refused);
                break;
            }
            let part = part.trim_start();
            if part.is_empty() {
                continue;
            }
            outcome = self.dispatch_one(&request, split_command(cmd_char, part), sink).await;
        }
        outcome
    }

    async fn dispatch_one(
        &self,
        request: &Request<'_>,
        split: Split<'_>,
        sink: &mut (dyn ReplySink + Send),
    ) -> Outcome {
        if split.name.is_empty() {
            sink.line(
                Recipient::Sender,
                &format!("Type a command name after '{}'. Try {}commands.", split.cmd_char, split.cmd_char),
            );
            return Outcome::Empty;
        }
        let Some(command) = self.find(split.cmd_char, split.name) else {
            sink.line(Recipient::Sender, &self.unknown_reply(split));
            return Outcome::Unknown;
        };
        let def = command.def();
        let sender = request.sender;
        let (form, target) = match request.addressee {
            Addressee::Pub => (TargetForm::Pub, Target::Scope(Scope::Zone)),
            Addressee::Team(freq) => {
                let form = if sender.freq == Some(freq) { TargetForm::Team } else { TargetForm::RemoteTeam };
                match sender.location.realm {
                    Some(realm) => (form, Target::Team { realm, freq }),
                    None => {
                        sink.line(Recipient::Sender, "Enter a realm before sending a command to a team.");
                        return Outcome::OutOfScope;
                    }
                }
            }
            Addressee::Player(player) => (TargetForm::Player, Target::Player(player)),
            Addressee::External(name) => (TargetForm::External, Target::External(name)),
        };
        if !def.forms.contains(form) {
            if def.stealth {
                sink.line(Recipient::Sender, &self.unknown_reply(split));
                return Outcome::Unknown;
            }
            sink.line(Recipient::Sender, &wrong_form_reply(split.cmd_char, def.name, form, def.forms));
            return Outcome::WrongForm;
        }
        let mut ctx = Ctx {
            command,
            registry: self,
            sender,
            target,
            form,
            cmd_char: split.cmd_char,
            params: split.params,
            world: request.world,
            sink,
        };
        let result = match def.handler {
            Handler::Sync(handler) => handler(&mut ctx),
            Handler::Async(handler) => handler(&mut ctx).await,
        };
        match result {
            Ok(()) => Outcome::Ran,
            Err(error) => {
                match &error {
                    CommandError::Failed(message) => sink.line(Recipient::Sender, message),
                    CommandError::Usage(message) => {
                        sink.line(Recipient::Sender, message);
                        sink.line(Recipient::Sender, &format!("Usage: {}", command.usage(split.cmd_char)));
                    }
                }
                Outcome::Failed
            }
        }
    }

    /// The reply to a name no command answers to. A denied stealth command gets
    /// exactly this reply too (DESIGN §4.4, step 5).
    fn unknown_reply(&self, split: Split<'_>) -> String {
        let c = split.cmd_char;
        format!("Unknown command '{c}{}'. Type {c}commands for a list.", split.name)
    }
}

/// How a player reads a target form: "in public", "to a player", ….
pub fn form_phrase(form: TargetForm) -> &'static str {
    match form {
        TargetForm::Pub => "in public",
        TargetForm::Team => "to your team",
        TargetForm::RemoteTeam => "to another team",
        TargetForm::Player => "to a player",
        TargetForm::External => "to a name outside the zone",
    }
}

fn wrong_form_reply(cmd_char: char, name: &str, sent: TargetForm, accepted: crate::Forms) -> String {
    let mut reply = format!("{cmd_char}{name} cannot be sent {}; send it ", form_phrase(sent));
    let count = accepted.iter().count();
    for (i, form) in accepted.iter().enumerate() {
        if i > 0 {
            reply.push_str(if i + 1 == count { " or " } else { ", " });
        }
        reply.push_str(form_phrase(form));
    }
    reply.push('.');
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_ends_at_space_equals_or_hash() {
        assert_eq!(split_command('?', "usage Bob"), Split { cmd_char: '?', name: "usage", params: "Bob" });
        assert_eq!(split_command('?', "set=5"), Split { cmd_char: '?', name: "set", params: "5" });
        assert_eq!(split_command('?', "go#secret"), Split { cmd_char: '?', name: "go", params: "#secret" });
        assert_eq!(split_command('*', "arena"), Split { cmd_char: '*', name: "arena", params: "" });
        assert_eq!(split_command('?', "a  = b c"), Split { cmd_char: '?', name: "a", params: "b c" });
    }

    #[test]
    fn wrong_form_reply_lists_the_accepted_forms() {
        let forms = crate::Forms::new(true, false, false, true, false);
        assert_eq!(
            wrong_form_reply('?', "usage", TargetForm::Team, forms),
            "?usage cannot be sent to your team; send it in public or to a player."
        );
    }
}
