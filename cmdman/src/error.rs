//! Errors: what a handler returns (and the player sees), and what registration
//! refuses at start-up.

use thiserror::Error;

/// What a handler returns.
pub type CommandResult = Result<(), CommandError>;

/// A command that did not do what was asked. Each variant knows the reply the
/// player sees, the way axum's rejections carry their status and message.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The params did not fit; the player is shown the command's usage line.
    #[error("bad arguments: {0}")]
    Usage(String),
    /// The command ran but could not do it; the player sees the message.
    #[error("{0}")]
    Failed(String),
}

impl CommandError {
    /// A failure the player sees as it is (`no player named 'Bob' is online`).
    pub fn failed(message: impl Into<String>) -> CommandError {
        CommandError::Failed(message.into())
    }

    /// Bad params: the player sees `message` and the usage line.
    pub fn usage(message: impl Into<String>) -> CommandError {
        CommandError::Usage(message.into())
    }
}

/// Where a command was declared: `file:line (component)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The component.
    pub component: &'static str,
    /// `file!()` of the declaration.
    pub file: &'static str,
    /// `line!()` of the declaration.
    pub line: u32,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} (component {})", self.file, self.line, self.component)
    }
}

/// A command table that cannot be built. Start-up stops with this error.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// Two commands answer to the same name for the same cmd char.
    #[error("command name '{name}' is registered twice: at {first} and at {second}")]
    Duplicate {
        /// The name (or alias), with its cmd char if bound to one (`*warn`).
        name: String,
        /// The declaration that came first.
        first: Site,
        /// The declaration that was refused.
        second: Site,
    },
    /// A declaration breaks a rule of DESIGN §4.1 (the macro refuses these at
    /// compile time; this catches commands built at runtime).
    #[error("command '{name}' at {site}: {reason}")]
    Illegal {
        /// The command name.
        name: String,
        /// Where it was declared.
        site: Site,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A cmd char that cannot start a command (alphanumeric, white space, `|`).
    #[error("'{0}' cannot be a cmd char: use punctuation such as '?' or '*'")]
    BadCmdChar(char),
    /// A component added at runtime has the name of one already there.
    #[error("there is already a {kind} component called '{name}'")]
    ComponentExists {
        /// The name.
        name: String,
        /// `compiled` or `script`: what the existing one is.
        kind: &'static str,
    },
    /// Only components added at runtime can be removed.
    #[error("'{0}' is compiled into the server; only script components can be removed")]
    Compiled(String),
    /// No component of that name.
    #[error("there is no component called '{0}'")]
    NoSuchComponent(String),
}

/// Why a component could not be attached or detached; each text is the
/// sentence the moderator sees.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AttachError {
    /// No component of that name is compiled in.
    #[error("There is no component called '{0}'.")]
    UnknownComponent(String),
    /// The component is already attached to that scope.
    #[error("Component '{0}' is already attached there.")]
    AlreadyAttached(String),
    /// The component is not attached to that scope.
    #[error("Component '{0}' is not attached there.")]
    NotAttached(String),
}
