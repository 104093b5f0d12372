//! The command manager: commands declared with `#[command(...)]`, registered
//! through linkme, looked up by cmd char and name, checked for target form and
//! scope, and run with a [`Ctx`] whose [`Reply`] streams lines back. It knows
//! nothing of sockets or ChatNet (DESIGN §2).
//!
//! # Layout
//! - [`def`]: what a command declaration is ([`CommandDef`]; [`TargetForm`]
//!   comes from the ladder).
//! - [`registry`]: the command table, built once from the compiled commands,
//!   with script components added at runtime, and where components are
//!   attached; every change publishes new [`Tables`] (the lookup tables live
//!   in the private `attach`, built from plain entries). Handlers, [`Ctx`] and the registry are the one
//!   deliberate knot of modules that refer to each other.
//! - [`mod@dispatch`]: splitting a line, finding the command through the sender's
//!   and target's scopes, the form, scope and access checks, and running it.
//! - [`context`], [`reply`]: what a handler gets and writes to.
//! - [`args`]: typed handler arguments.
//! - [`target`]: players, scopes, target forms' targets.
//! - [`world`]: what dispatch asks of the server (access, players, names).
//! - [`ladder`]: the seven-step access ladder (the leaf crate `zone-ladder`,
//!   shared with the config) and what ties it to registered commands.
//! - [`error`]: handler, registration and attachment errors.

extern crate self as cmdman;

pub mod args;
mod attach;
pub mod context;
pub mod def;
pub mod dispatch;
pub mod error;
pub mod ladder;
pub mod registry;
pub mod reply;
pub mod target;
pub mod world;

pub use args::{Arg, Flag, Param, Parser, Rest, Shape};
pub use attach::{Conflict, Shadow};
pub use context::{Ctx, FromCtx};
pub use def::{BoxFuture, CommandDef, Forms, Handler, TargetForm, derive_name};
pub use dispatch::{Dispatched, Outcome, Request, Split, Via, dispatch, split_command, try_dispatch};
pub use error::{AttachError, CommandError, CommandResult, RegistryError, Site};
pub use ladder::{Compiled, Decision, Effect, GroupSpec, Policy, PolicyError, RuleKey, Step};
pub use macros::command;
pub use registry::{
    Command, Component, DynamicHandler, Health, LATENCY_BUCKETS_NS, LatencySnapshot, Registry, Settings,
    StatsSnapshot, Tables,
};
pub use reply::{Collected, Recipient, Reply, ReplySink};
pub use target::{Addressee, CommandRef, GameId, Location, Player, PlayerId, RealmId, Scope, Target};
pub use world::{OnlinePlayer, World};

/// Every command declared with `#[command(...)]` in the binary.
#[linkme::distributed_slice]
pub static COMMANDS: [CommandDef];

/// Items the `#[command]` expansion names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use linkme;
}
