//! The access ladder (DESIGN §5.2) lives in the leaf crate `zone-ladder`,
//! shared with the config; here, what ties it to registered commands: the
//! name rules use for a command, and [`CommandRules`] for [`Command`].

pub use zone_ladder::*;

use crate::def::CommandDef;
use crate::registry::Command;

/// The name rules use for a command: `usage`, or `*warn` when bound to `*`.
pub fn rule_name(def: &CommandDef) -> String {
    match def.cmd_char {
        Some(c) => format!("{c}{}", def.name),
        None => def.name.to_owned(),
    }
}

impl CommandRules for Command {
    fn rule_name(&self) -> String {
        rule_name(self.def())
    }

    fn forms(&self) -> Forms {
        self.def().forms
    }

    fn group(&self, form: TargetForm) -> Option<&str> {
        self.def().group(form)
    }
}
