//! The command line's subcommands other than running the zone: `staff` and
//! `hash-password`, which work on the data and config directories directly.

pub(crate) mod password;
pub(crate) mod staff;
