//! The command line's subcommands other than running the zone: `staff`,
//! `hash-password` and `store migrate`, which work on the data and config
//! directories and the store directly.

pub(crate) mod password;
pub(crate) mod staff;
pub(crate) mod store;
