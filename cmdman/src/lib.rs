//! The command manager: commands declared with `#[command(...)]`, registered
//! through linkme, looked up by cmd char and name, checked for target form and
//! scope, and run with a [`Ctx`] whose [`Reply`] streams lines back. It knows
//! nothing of sockets or ChatNet (DESIGN §2).
//!
//! # Layout
//! - [`def`]: what a command declaration is ([`CommandDef`], [`TargetForm`]).
//! - [`registry`]: the command table, built once.
//! - [`dispatch`]: splitting a line and running it.
//! - [`context`], [`reply`]: what a handler gets and writes to.
//! - [`target`]: players, scopes, target forms' targets.
//! - [`error`]: handler and registration errors.

extern crate self as cmdman;

pub mod context;
pub mod def;
pub mod dispatch;
pub mod error;
pub mod registry;
pub mod reply;
pub mod target;

pub use context::Ctx;
pub use def::{BoxFuture, CommandDef, Forms, Handler, TargetForm, derive_name};
pub use dispatch::{Outcome, Request, Split, split_command};
pub use error::{CommandError, CommandResult, RegistryError, Site};
pub use macros::command;
pub use registry::{Command, Registry, Settings};
pub use reply::{Collected, Recipient, Reply, ReplySink};
pub use target::{Addressee, GameId, Location, Player, PlayerId, RealmId, Scope, Target};

/// Every command declared with `#[command(...)]` in the binary.
#[linkme::distributed_slice]
pub static COMMANDS: [CommandDef];

/// Items the `#[command]` expansion names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use linkme;
}
