//! Dispatch (DESIGN §4.4): split a command line, look the name up, check the
//! target form and scope, then run the handler with a [`Ctx`].

use std::fmt;
use std::fmt::Write as _;

use crate::attach::{Slots, Table};
use crate::context::Ctx;
use crate::def::{BoxFuture, CommandDef, Handler, TargetForm};
use crate::error::{CommandError, CommandResult};
use crate::registry::{Command, Registry, Tables, best_in_chain, lowercase};
use crate::reply::{Recipient, ReplySink};
use crate::target::{Addressee, Location, Player, Scope, Target};
use crate::world::World;

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
    /// The server: access decisions, online players, scope names; handlers
    /// get it back through [`Ctx::world`].
    pub world: &'a dyn World,
    /// Whether the line was typed as a command or as chat; handlers read it
    /// through [`Ctx::via`].
    pub via: Via,
}

/// How a command line reached the server: typed as a command, or as a chat
/// message that starts with a cmd char. A command whose arguments are
/// secret (`?passwd`) may refuse the chat way, where a client could echo
/// or log the line as chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// Typed as a command: ChatNet's `SEND:CMD` and `SEND:PRIVCMD`.
    #[default]
    Command,
    /// A chat message that starts with a cmd char: ChatNet's
    /// `SEND:PUB:?x`, `SEND:PRIV:name:?x`, `SEND:FREQ:freq:?x`, `SEND:MOD`.
    Chat,
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
    /// The sender may not run the command in that form (a stealth command's
    /// denial is [`Outcome::Unknown`]).
    Denied,
    /// The handler ran and succeeded.
    Ran,
    /// The handler ran and returned an error, which the sender was shown.
    Failed,
}

/// A command found and checked, ready to run: `'t` borrows the tables it
/// was found in, `'a` the request.
#[derive(Clone, Copy)]
struct Ready<'t, 'a> {
    command: &'t Command,
    target: Target<'a>,
    form: TargetForm,
    scope: Scope,
}

/// A [`Ready`] without its borrow of the tables: an async handler's command,
/// checked on the synchronous path and run by the future that owns the same
/// tables.
#[derive(Clone, Copy)]
struct Checked<'a> {
    index: usize,
    target: Target<'a>,
    form: TargetForm,
    scope: Scope,
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

/// Runs a handler that never awaits: a plain `fn`, or one installed at
/// runtime. An async handler is run by awaiting it, never here.
fn call_now(command: &Command, ctx: &mut Ctx<'_>) -> CommandResult {
    match command.def().handler {
        Handler::Sync(handler) => handler(ctx),
        Handler::Dynamic => match command.dynamic() {
            Some(handler) => handler.call(ctx),
            None => Err(CommandError::failed("This command has no handler.")),
        },
        Handler::Async(_) => Err(CommandError::failed("This command cannot run without waiting.")),
    }
}

/// Splits `text` (after the cmd char) into name and params.
pub fn split_command(cmd_char: char, text: &str) -> Split<'_> {
    let bytes = text.as_bytes();
    let end = bytes.iter().position(|b| matches!(b, b' ' | b'=' | b'#')).unwrap_or(bytes.len());
    let start =
        bytes[end..].iter().position(|b| !matches!(b, b' ' | b'=')).map_or(bytes.len(), |at| end + at);
    // Both ends are at ASCII bytes (or the end), so at character boundaries.
    Split { cmd_char, name: &text[..end], params: &text[start..] }
}

/// Runs the command(s) on `request.line` in `registry`, writing every reply
/// to `sink`.
///
/// `?|a|b|c` runs each part in turn (a part may start with its own cmd char,
/// `?|a|*b`), at most [`Settings::multi_limit`](crate::Settings::multi_limit)
/// of them; the sender is told when parts were dropped.
///
/// A line whose handler never awaits (a plain `fn`, or a script) is run
/// synchronously by [`try_dispatch`] before the first poll; only an async
/// handler's line (or a `?|a|b` line) allocates a future.
pub async fn dispatch(
    registry: &Registry,
    request: Request<'_>,
    sink: &mut (dyn ReplySink + Send),
) -> Outcome {
    match try_dispatch(registry, request, sink) {
        Dispatched::Done(outcome) => outcome,
        Dispatched::Pending(future) => future.await,
    }
}

/// What [`try_dispatch`] did with a line.
#[must_use = "a pending dispatch runs only when awaited"]
pub enum Dispatched<'a> {
    /// The line ran to its end (or was answered without running).
    Done(Outcome),
    /// The line runs an async handler (or is a `?|a|b` line): await this to
    /// run it. An async handler's command has been looked up and checked
    /// (in the tables the future holds), but no handler has run and
    /// nothing was replied.
    Pending(BoxFuture<'a, Outcome>),
}

impl fmt::Debug for Dispatched<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dispatched::Done(outcome) => f.debug_tuple("Done").field(outcome).finish(),
            Dispatched::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// [`dispatch`]'s synchronous fast path: a line whose handler is a plain
/// `fn` or a script runs here, to its end, with no future and no
/// allocation; else the future that runs it is returned. The same steps,
/// checks, statistics and replies either way.
pub fn try_dispatch<'a>(
    registry: &'a Registry,
    request: Request<'a>,
    sink: &'a mut (dyn ReplySink + Send),
) -> Dispatched<'a> {
    // One set of tables for the whole line: a component installed or
    // attached meanwhile applies from the next line on. A guard, not an
    // `Arc` clone: no shared count is touched on the common path.
    let tables = registry.guard();
    let (cmd_char, body) = registry.cmd_char_of(request.line);
    if let Some(multi) = body.strip_prefix('|') {
        return pending(registry, tables, request, Awaits::Several(cmd_char, multi), sink);
    }
    let split = split_command(cmd_char, body);
    let mut checked = None;
    if let Some(outcome) =
        (Dispatch { registry, tables: &tables }).dispatch_one_now(&request, split, sink, &mut checked)
    {
        return Dispatched::Done(outcome);
    }
    let awaits = match checked {
        Some(checked) => Awaits::Checked(split, checked),
        // Not reached: what `dispatch_one_now` does not run, it checked.
        None => Awaits::Unchecked(split),
    };
    pending(registry, tables, request, awaits, sink)
}

/// What a [`Dispatched::Pending`] line's future runs.
enum Awaits<'a> {
    /// An async handler's command, found and checked: it is not looked up
    /// or checked again.
    Checked(Split<'a>, Checked<'a>),
    /// One command, to look up and check first.
    Unchecked(Split<'a>),
    /// The commands of a `?|a|b` line (`cmd char`, what follows the `|`).
    Several(char, &'a str),
}

/// The future of a line that awaits: it owns the tables the line was
/// started in. Out of line and cold, so the synchronous path stays small.
#[cold]
#[inline(never)]
fn pending<'a>(
    registry: &'a Registry,
    tables: arc_swap::Guard<std::sync::Arc<Tables>>,
    request: Request<'a>,
    awaits: Awaits<'a>,
    sink: &'a mut (dyn ReplySink + Send),
) -> Dispatched<'a> {
    let tables = arc_swap::Guard::into_inner(tables);
    // A future for each, as large as its own steps.
    Dispatched::Pending(match awaits {
        Awaits::Checked(split, Checked { index, target, form, scope }) => Box::pin(async move {
            let ready = Ready { command: &tables.commands()[index], target, form, scope };
            Dispatch { registry, tables: &tables }.call(&request, split, ready, sink).await
        }),
        Awaits::Unchecked(split) => Box::pin(async move {
            Dispatch { registry, tables: &tables }.dispatch_one(&request, split, sink).await
        }),
        Awaits::Several(cmd_char, multi) => Box::pin(async move {
            Dispatch { registry, tables: &tables }.dispatch_multi(request, cmd_char, multi, sink).await
        }),
    })
}

/// One dispatch over a registry: the steps of DESIGN §4.4.
struct Dispatch<'r> {
    registry: &'r Registry,
    tables: &'r Tables,
}

impl Dispatch<'_> {
    /// Each part of a `?|a|b` line (`multi` is what follows the `|`).
    async fn dispatch_multi(
        &self,
        request: Request<'_>,
        cmd_char: char,
        multi: &str,
        sink: &mut (dyn ReplySink + Send),
    ) -> Outcome {
        let parts: Vec<&str> =
            multi.split('|').map(str::trim_start).filter(|part| !part.is_empty()).collect();
        if parts.is_empty() {
            sink.line(
                Recipient::Sender,
                &format!("Type command names after {cmd_char}|, separated by |: {cmd_char}|arena|uptime"),
            );
            return Outcome::Empty;
        }
        let mut outcome = Outcome::Empty;
        let limit = self.registry.settings.multi_limit;
        let mut request = request;
        for (i, part) in parts.into_iter().enumerate() {
            if i == limit {
                let mut refused = String::new();
                let _ = write!(refused, "Only the first {limit} commands of a {cmd_char}| line run.");
                sink.line(Recipient::Sender, &refused);
                break;
            }
            if i > 0 {
                // An earlier part may have moved the sender (`?|go duel|where`).
                if let Some((location, freq)) = request.world.locate(request.sender.id) {
                    request.sender.location = location;
                    request.sender.freq = freq;
                }
            }
            // A part may name its own cmd char: `?|where|*warn x`.
            let (part_char, part) = self.registry.strip_cmd_char(part).unwrap_or((cmd_char, part));
            outcome = self.dispatch_one(&request, split_command(part_char, part), sink).await;
        }
        outcome
    }

    async fn dispatch_one(
        &self,
        request: &Request<'_>,
        split: Split<'_>,
        sink: &mut (dyn ReplySink + Send),
    ) -> Outcome {
        match self.prepare(request, split, sink) {
            Ok(ready) => self.call(request, split, ready, sink).await,
            Err(outcome) => outcome,
        }
    }

    /// Runs a checked command's handler, awaiting it if it is async.
    async fn call(
        &self,
        request: &Request<'_>,
        split: Split<'_>,
        ready: Ready<'_, '_>,
        sink: &mut (dyn ReplySink + Send),
    ) -> Outcome {
        let mut ctx = self.ctx(request, split, &ready, sink);
        let command = ready.command;
        let started = self.start(command);
        let result = match command.def().handler {
            // Boxed, so the future of every dispatch does not carry the
            // largest handler's state.
            Handler::Async(handler) => Box::pin(handler(&mut ctx)).await,
            Handler::Sync(_) | Handler::Dynamic => call_now(command, &mut ctx),
        };
        self.stop(command, started);
        self.finish(command, split, result, ctx.sink)
    }

    /// [`Dispatch::dispatch_one`] for a handler that does not await, run
    /// now; `None` for an async one, having put the checked command in
    /// `checked` (and run or answered nothing). An out-parameter, so the
    /// common return stays one byte.
    fn dispatch_one_now<'a>(
        &self,
        request: &Request<'a>,
        split: Split<'_>,
        sink: &mut (dyn ReplySink + Send),
        checked: &mut Option<Checked<'a>>,
    ) -> Option<Outcome> {
        let ready = match self.prepare(request, split, sink) {
            Ok(ready) => ready,
            Err(outcome) => return Some(outcome),
        };
        let command = ready.command;
        if matches!(command.def().handler, Handler::Async(_)) {
            let Ready { target, form, scope, .. } = ready;
            *checked = Some(Checked { index: command.index(), target, form, scope });
            return None;
        }
        let mut ctx = self.ctx(request, split, &ready, sink);
        let started = self.start(command);
        let result = call_now(command, &mut ctx);
        self.stop(command, started);
        Some(self.finish(command, split, result, ctx.sink))
    }

    /// The handler's context for a checked command.
    fn ctx<'c, 's>(
        &'c self,
        request: &Request<'c>,
        split: Split<'c>,
        ready: &Ready<'c, 'c>,
        sink: &'s mut (dyn ReplySink + Send),
    ) -> Ctx<'c>
    where
        's: 'c,
    {
        Ctx {
            command: ready.command,
            registry: self.registry,
            tables: self.tables,
            sender: request.sender,
            target: ready.target,
            form: ready.form,
            cmd_char: split.cmd_char,
            name: split.name,
            scope: ready.scope,
            params: split.params,
            world: request.world,
            via: request.via,
            sink,
        }
    }

    /// Starts timing a call if it is sampled (a thread's first of a
    /// command, then one in [`TIME_SAMPLE`](crate::registry::TIME_SAMPLE)):
    /// the raw TSC where it is reliable (quanta).
    fn start(&self, command: &Command) -> Option<u64> {
        command.take_sample().then(|| self.registry.clock.raw())
    }

    fn stop(&self, command: &Command, started: Option<u64>) {
        if let Some(started) = started {
            let nanos = self.registry.clock.delta_as_nanos(started, self.registry.clock.raw());
            command.record_time(nanos);
            self.registry.record_latency(nanos);
        }
    }

    /// The handler's result: its error counted and shown to the sender.
    fn finish(
        &self,
        command: &Command,
        split: Split<'_>,
        result: CommandResult,
        sink: &mut (dyn ReplySink + Send),
    ) -> Outcome {
        match result {
            Ok(()) => Outcome::Ran,
            Err(error) => {
                command.record_error(matches!(error, CommandError::Usage(_)));
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

    /// Steps 2–4 up to the handler (DESIGN §4.4): the command, its scope and
    /// target, or the outcome already answered.
    ///
    /// Always inlined: called, it returned its result through memory, and
    /// the caller's first read of it waited on the stores that wrote it
    /// (the hottest instruction of `perf annotate`); the line took about a
    /// tenth longer (BENCHMARKS.md, "Dispatch and access").
    #[inline(always)]
    fn prepare<'r, 'a>(
        &'r self,
        request: &Request<'a>,
        split: Split<'_>,
        sink: &mut (dyn ReplySink + Send),
    ) -> Result<Ready<'r, 'a>, Outcome> {
        let c = split.cmd_char;
        if split.name.is_empty() {
            sink.line(Recipient::Sender, &format!("Type a command name after '{c}'. Try {c}commands."));
            return Err(Outcome::Empty);
        }
        let sender = request.sender;
        let world = request.world;
        let (form, target) = match request.addressee {
            Addressee::Pub => (TargetForm::Pub, None),
            Addressee::Team(freq) => {
                let form = if sender.freq == Some(freq) { TargetForm::Team } else { TargetForm::RemoteTeam };
                match sender.location.realm {
                    Some(realm) => (form, Some(Target::Team { realm, game: sender.location.game, freq })),
                    None => {
                        sink.line(Recipient::Sender, "Enter a realm before sending a command to a team.");
                        return Err(Outcome::OutOfScope);
                    }
                }
            }
            Addressee::Player(player) => (TargetForm::Player, Some(Target::Player(player))),
            Addressee::External(name) => (TargetForm::External, Some(Target::External(name))),
        };

        // The realm the command acts on (DESIGN §5.1).
        let realm = match target {
            Some(Target::Player(player)) => player.location.realm,
            _ => sender.location.realm,
        };
        let allowed = |command: &Command, form| world.allows(&sender, command.for_form(form), form, realm);
        // A stealth command the player may not run this way is not there for
        // them: the line goes on exactly as an unknown name would (DESIGN §4.4).
        let hidden = |command: &Command| {
            let def = command.def();
            def.stealth
                && if def.forms.contains(form) {
                    !allowed(command, form)
                } else {
                    !def.forms.iter().any(|form| allowed(command, form))
                }
        };
        let found = self
            .resolve(sender.location, target, split, false, form)
            .filter(|&(index, _)| !hidden(&self.tables.commands()[index]))
            .or_else(|| self.resolve(sender.location, target, split, true, form))
            .filter(|&(index, _)| !hidden(&self.tables.commands()[index]));
        let Some((index, scope)) = found else {
            sink.line(Recipient::Sender, &self.unknown_reply(request, split));
            self.registry.record_unknown();
            return Err(Outcome::Unknown);
        };
        let command = &self.tables.commands()[index];
        let def = command.def();
        // The pub form's target is the scope the command was found in.
        let target = target.unwrap_or(Target::Scope(scope));
        let allowed = |form| allowed(command, form);

        if !def.forms.contains(form) {
            sink.line(Recipient::Sender, &wrong_form_reply(&command.display_name(c), form, def.forms));
            command.record_refused();
            return Err(Outcome::WrongForm);
        }
        if def.target_in_scope && !target.is_in(scope) {
            let whom = match target {
                Target::Player(player) => format!("{} is not there", player.name),
                _ => "yours is not there".to_owned(),
            };
            sink.line(
                Recipient::Sender,
                &format!(
                    "{} works only on {} in {}; {whom}.",
                    command.display_name(c),
                    if matches!(target, Target::Team { .. }) { "teams" } else { "players" },
                    world.scope_name(scope)
                ),
            );
            command.record_refused();
            return Err(Outcome::OutOfScope);
        }
        if !allowed(form) {
            let mut reply = match form {
                TargetForm::Pub => format!("You may not use {}.", command.display_name(c)),
                _ => format!("You may not use {} {}.", command.display_name(c), form_phrase(form)),
            };
            let others: Vec<String> = self
                .suggestions(request, split)
                .into_iter()
                .filter(|s| s[c.len_utf8()..] != *def.name)
                .collect();
            if let Some(others) = did_you_mean(&others) {
                reply.push(' ');
                reply.push_str(&others);
            }
            sink.line(Recipient::Sender, &reply);
            command.record_denied();
            return Err(Outcome::Denied);
        }

        Ok(Ready { command, target, form, scope })
    }

    /// Finds the command a line names (DESIGN §4.3, §4.4 steps 2–3): the table
    /// of the cmd char, then the general table; or, with `catch_all`, the cmd
    /// char's catch-all, then the general one (only catch-alls that take
    /// `form`). At each step the candidates are the commands reached through
    /// the sender's scopes (`source_in_scope`, or the target is inside too) and
    /// through the target's (`!source_in_scope`); the most specific scope
    /// wins, the sender's on a tie.
    fn resolve(
        &self,
        sender: Location,
        target: Option<Target<'_>>,
        split: Split<'_>,
        catch_all: bool,
        form: TargetForm,
    ) -> Option<(usize, Scope)> {
        let mut buf = [0u8; 64];
        let name = lowercase(split.name, &mut buf);
        if name.is_none() && !catch_all {
            return None;
        }
        let attachments = &self.tables.attachments;
        let own = attachments.table_for(sender);
        let theirs =
            target.and_then(|t| t.location()).filter(|l| *l != sender).map(|l| (attachments.table_for(l), l));
        // A catch-all catches only the forms it takes.
        let takes = |def: &CommandDef| !catch_all || def.forms.contains(form);
        let by_sender = |def: &CommandDef, scope: Scope| {
            takes(def) && (def.source_in_scope || target.is_none_or(|target| target.is_in(scope)))
        };
        let pick = |slots: &dyn Fn(&Table) -> Option<&Slots>| {
            let mine = slots(own).and_then(|s| best_in_chain(self.tables, s, sender, by_sender));
            let other = theirs.and_then(|(table, location)| {
                best_in_chain(self.tables, slots(table)?, location, |def, _| {
                    takes(def) && !def.source_in_scope
                })
            });
            match (mine, other) {
                (Some(mine), Some(other)) if other.1.depth() > mine.1.depth() => Some(other),
                (mine, other) => mine.or(other),
            }
        };
        let c = Some(split.cmd_char);
        match (catch_all, name) {
            (false, Some(name)) => {
                pick(&|table| table.named(c, name)).or_else(|| pick(&|table| table.named(None, name)))
            }
            (false, None) => None,
            (true, _) => pick(&|table| table.catch_all(c)).or_else(|| pick(&|table| table.catch_all(None))),
        }
    }

    /// Up to three commands the sender may run (in some form) whose names are
    /// like the one typed, best first, with the cmd char: `?usage`.
    fn suggestions(&self, request: &Request<'_>, split: Split<'_>) -> Vec<String> {
        let typed = split.name.to_ascii_lowercase();
        let sender = request.sender;
        let mut scored: Vec<(f64, &Command)> = Vec::new();
        for (command, _) in self.tables.available(sender.location) {
            let def = command.def();
            if def.cmd_char.is_some_and(|c| c != split.cmd_char) {
                continue;
            }
            let names = std::iter::once(def.name).chain(def.aliases.iter().copied());
            let score = names.map(|name| strsim::jaro_winkler(&typed, name)).fold(0.0, f64::max);
            if score >= SUGGESTION_THRESHOLD
                && def.forms.iter().any(|form| {
                    request.world.allows(&sender, command.for_form(form), form, sender.location.realm)
                })
            {
                scored.push((score, command));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.name().cmp(b.1.name())));
        scored.dedup_by(|a, b| std::ptr::eq(a.1, b.1));
        scored
            .into_iter()
            .take(3)
            .map(|(_, command)| format!("{}{}", split.cmd_char, command.name()))
            .collect()
    }

    /// The reply to a name no command answers to. A denied stealth command gets
    /// exactly this reply too (DESIGN §4.4, step 5).
    fn unknown_reply(&self, request: &Request<'_>, split: Split<'_>) -> String {
        let c = split.cmd_char;
        let mut reply = format!("Unknown command '{c}{}'.", split.name);
        if let Some(suggestions) = did_you_mean(&self.suggestions(request, split)) {
            reply.push(' ');
            reply.push_str(&suggestions);
        }
        reply.push_str(&format!(" Type {c}commands for a list."));
        reply
    }
}

/// How alike (Jaro-Winkler, 0 to 1) a name must be to the one typed to be
/// suggested.
const SUGGESTION_THRESHOLD: f64 = 0.8;

/// "Did you mean ?a, ?b or ?c?", or `None` for no suggestions.
fn did_you_mean(names: &[String]) -> Option<String> {
    let (last, rest) = names.split_last()?;
    let mut text = "Did you mean ".to_owned();
    if !rest.is_empty() {
        text.push_str(&rest.join(", "));
        text.push_str(" or ");
    }
    text.push_str(last);
    text.push('?');
    Some(text)
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

fn wrong_form_reply(name: &str, sent: TargetForm, accepted: crate::Forms) -> String {
    let mut reply = format!("{name} cannot be sent {}; send it ", form_phrase(sent));
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
        assert_eq!(
            split_command('?', "héllo =wörld"),
            Split { cmd_char: '?', name: "héllo", params: "wörld" }
        );
        assert_eq!(split_command('?', "go  "), Split { cmd_char: '?', name: "go", params: "" });
    }

    #[test]
    fn wrong_form_reply_lists_the_accepted_forms() {
        let forms = crate::Forms::new(true, false, false, true, false);
        assert_eq!(
            wrong_form_reply("?usage", TargetForm::Team, forms),
            "?usage cannot be sent to your team; send it in public or to a player."
        );
    }
}
