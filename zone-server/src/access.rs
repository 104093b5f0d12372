//! Who may run which command, until the player groups and the seven-step
//! ladder of DESIGN §5 arrive (issue 4).
//!
//! For now every player counts as the player group `default`, which accepts
//! the command group `default`: a command (form) registered under another
//! command group, such as `mod` or `sysop`, is denied to everyone. That is the
//! ladder's step 5 and step 7 for one fixed group; it makes denial replies,
//! stealth and "did you mean" real over TCP. [`Access::Everything`] lets
//! tests (and a zone with no outside players) run every command.

use cmdman::{Command, Player, RealmId, TargetForm};

/// The command group every player accepts under [`Access::DefaultGroup`].
pub const DEFAULT_COMMAND_GROUP: &str = "default";

/// The access policy the zone asks before running a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Only commands (forms) in the command group `default`.
    #[default]
    DefaultGroup,
    /// Every command: for tests and single-operator zones.
    Everything,
}

impl Access {
    /// Whether `sender` may run `command` in `form` (in `realm`).
    pub fn allows(
        &self,
        sender: &Player<'_>,
        command: &Command,
        form: TargetForm,
        realm: Option<RealmId>,
    ) -> bool {
        let _ = (sender, realm);
        match self {
            Access::Everything => true,
            Access::DefaultGroup => command.def().group(form) == Some(DEFAULT_COMMAND_GROUP),
        }
    }
}
