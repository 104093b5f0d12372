//! The command line's subcommands other than running the zone: `staff`,
//! `hash-password`, `store migrate` and `component`, which work on the data
//! and config directories and the store directly.

pub(crate) mod component;
pub(crate) mod password;
pub(crate) mod staff;
pub(crate) mod store;
