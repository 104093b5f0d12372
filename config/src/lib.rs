//! The zone operator's configuration: RON files in a config directory (or the
//! embedded default), deserialised with serde, validated, and reported with
//! file, line and column when wrong (DESIGN §7).
//!
//! # Layout
//! - [`zone`]: the schema of `zone.ron` (listen address, cmd chars, component
//!   attachments, realms and their games, accounts, limits) with every default.
//! - [`access`]: the schemas of `groups.ron` (player groups) and `staff.ron`
//!   (memberships, group passwords).
//! - [`duration`]: durations as the files write them (`"30s"`, `"250ms"`).
//! - [`help`]: help topics (`help/*.txt`) and the rule for texts shown to
//!   players (no control characters, bounded lines).
//! - [`error`]: [`ConfigError`], which names file, line and column.
//! - [`load`]: reading a directory or the embedded default, and `init`.

pub mod access;
pub mod duration;
pub mod error;
pub mod help;
pub mod load;
pub mod zone;

pub use access::{GroupConfig, GroupPassword, GroupsConfig, Member, StaffConfig};
pub use error::ConfigError;
pub use help::{HelpTopic, HelpTopics};
pub use load::{Config, DEFAULT_FILES, DEFAULT_GROUP, Source};
pub use zone::{
    AccountsConfig, BUILT_IN_COMPONENTS, GameConfig, HttpLimits, Limits, LoginBackoff, MAX_RUNTIME_THREADS,
    PasswordHashing, RealmConfig, ScriptLimits, StoreConfig, ZoneConfig,
};
