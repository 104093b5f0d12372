//! The context a handler runs with: sender, target form and target, params, the
//! zone's state, and the reply streams.

use std::any::Any;

use crate::args::Parser;
use crate::def::TargetForm;
use crate::registry::{Command, Registry, Tables};
use crate::reply::{Recipient, Reply, ReplySink};
use crate::target::{Player, Scope, Target};
use crate::world::World;

/// Everything a handler gets. Built by [`dispatch`](crate::dispatch()) for each run.
pub struct Ctx<'a> {
    pub(crate) command: &'a Command,
    pub(crate) registry: &'a Registry,
    pub(crate) tables: &'a Tables,
    pub(crate) sender: Player<'a>,
    pub(crate) target: Target<'a>,
    pub(crate) form: TargetForm,
    pub(crate) cmd_char: char,
    pub(crate) name: &'a str,
    pub(crate) scope: Scope,
    pub(crate) params: &'a str,
    pub(crate) world: &'a dyn World,
    pub(crate) via: crate::dispatch::Via,
    pub(crate) sink: &'a mut (dyn ReplySink + Send),
}

impl<'a> Ctx<'a> {
    /// The command being run.
    pub fn command(&self) -> &'a Command {
        self.command
    }

    /// The command table, for commands that attach or detach components.
    pub fn registry(&self) -> &'a Registry {
        self.registry
    }

    /// The tables this command was found in, for commands that list or
    /// explain commands.
    pub fn tables(&self) -> &'a Tables {
        self.tables
    }

    /// The player who sent the command.
    pub fn sender(&self) -> Player<'a> {
        self.sender
    }

    /// What the command is aimed at.
    pub fn target(&self) -> Target<'a> {
        self.target
    }

    /// The target form the line was sent in.
    pub fn form(&self) -> TargetForm {
        self.form
    }

    /// The cmd char the line used (`?` or `*`).
    pub fn cmd_char(&self) -> char {
        self.cmd_char
    }

    /// The name as the player typed it: for a catch-all, the unknown name it
    /// was called for.
    pub fn typed_name(&self) -> &'a str {
        self.name
    }

    /// The scope the command's component is attached to, where dispatch found it.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether the line was typed as a command or sent as chat.
    pub fn via(&self) -> crate::dispatch::Via {
        self.via
    }

    /// The text after the command name, without the separating space or `=`.
    pub fn params(&self) -> &'a str {
        self.params
    }

    /// The state the server handed to dispatch, downcast to `T`: the zone's
    /// handlers ask for the zone. `None` when the state is of another type.
    pub fn world<T: Any>(&self) -> Option<&'a T> {
        let world: &'a dyn Any = self.world;
        world.downcast_ref::<T>()
    }

    /// A parser over the params, for typed arguments; `flags` are the `-x`
    /// flags the command takes. `#[command]` calls it for handlers with typed
    /// parameters.
    pub fn args(&self, flags: &[Option<char>]) -> Parser<'a> {
        Parser::new(self.params, flags, self.world)
    }

    /// A reply stream to the sender.
    pub fn reply(&mut self) -> Reply<'_> {
        Reply::new(self.sink, Some(Recipient::Sender))
    }

    /// A reply stream to the target player, for the player form; lines written
    /// to it in any other form are dropped.
    pub fn reply_to_target(&mut self) -> Reply<'_> {
        let to = matches!(self.target, Target::Player(_)).then_some(Recipient::Target);
        Reply::new(self.sink, to)
    }
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("command", &self.command.name())
            .field("sender", &self.sender)
            .field("target", &self.target)
            .field("form", &self.form)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// What a handler may take as a parameter marked `#[from_ctx]`, instead of
/// fetching it from the [`Ctx`] itself (like axum's `FromRequestParts`):
///
/// ```ignore
/// #[command(target_pub)]
/// fn cmd_uptime(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone) -> CommandResult
/// ```
///
/// The server implements it for what its handlers need (its zone).
pub trait FromCtx<'a>: Sized {
    /// The value from `ctx`.
    ///
    /// # Errors
    /// A failure the player sees when it cannot be had.
    fn from_ctx(ctx: &Ctx<'a>) -> Result<Self, crate::error::CommandError>;
}
