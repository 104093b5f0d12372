//! zone-server: a game-zone server speaking ChatNet, whose commands run through
//! the scoped command manager ([`cmdman`]).
//!
//! # Layout
//! - [`server`]: [`run`], the accept loop, start-up attachments and graceful
//!   shutdown.
//! - [`access`]: who may run which command: groups, staff, runtime edits, the ladder.
//! - [`connection`]: one connection: the socket loop, with
//!   `session` (login) and `router` (chat or dispatch, replies, floods).
//! - [`chatnet`]: the ChatNet 1.6 codec and messages.
//! - [`zone`]: players, realms (`realms`), games (`games`), chat routing
//!   (`chat`), player groups (`groups`), the command manager's world
//!   (`world`), and the typed [`zone::Event`]s connections encode.
//! - [`outbox`]: per-player bounded outbound queues.
//! - [`store`]: what the zone stores, in SQLite or a shared PostgreSQL.
//! - [`network`]: what zones sharing a PostgreSQL store tell each other.
//! - [`password`]: argon2id hashing on a bounded pool of threads.
//! - [`sanction`]: bans, kicks, mutes and warnings; durations and times.
//! - [`throttle`]: pre-login budgets, login attempts and password back-off.
//! - [`commands`]: the built-in commands, one file per family.
//! - [`script`]: script components in sandboxed Luau, installed at run time.

pub mod access;
pub mod chatnet;
pub mod commands;
pub mod connection;
pub mod network;
pub mod ops;
pub mod outbox;
pub mod password;
pub mod sanction;
pub mod script;
pub mod server;
pub mod store;
pub mod throttle;
pub mod zone;

pub use server::{Listeners, ServerConfig, ServerError, run, run_with_store, serve};
