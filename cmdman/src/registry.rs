//! The command table: built once at start-up from the linked [`COMMANDS`]
//! (or from given declarations), checked for illegal declarations and duplicate
//! names, then only read by dispatch.

use std::collections::HashMap;

use crate::COMMANDS;
use crate::def::{CommandDef, TargetForm};
use crate::error::{RegistryError, Site};

/// Settings of the command table that come from the zone's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The cmd chars, first one the default for `SEND:CMD` lines without one.
    ///
    /// # Default
    /// `['?', '*']`
    pub cmd_chars: Vec<char>,
    /// How many commands one `?|a|b|c` line may run; the rest are refused.
    ///
    /// # Default
    /// 5
    pub multi_limit: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { cmd_chars: vec!['?', '*'], multi_limit: 5 }
    }
}

/// A registered command: its declaration and the component it belongs to.
#[derive(Debug)]
pub struct Command {
    def: &'static CommandDef,
    component: &'static str,
}

impl Command {
    /// The declaration.
    pub fn def(&self) -> &'static CommandDef {
        self.def
    }

    /// The command's name.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The component the command belongs to.
    pub fn component(&self) -> &'static str {
        self.component
    }

    /// The usage line, generated from the declaration: `?usage [player]`, or
    /// `*warn <message>` for a command bound to `*`.
    pub fn usage(&self, cmd_char: char) -> String {
        let cmd_char = self.def.cmd_char.unwrap_or(cmd_char);
        match self.def.args {
            Some(args) => format!("{cmd_char}{} {args}", self.def.name),
            None => format!("{cmd_char}{}", self.def.name),
        }
    }

    fn site(&self) -> Site {
        Site { component: self.component, file: self.def.file, line: self.def.line }
    }
}

/// The command table. Build it once; dispatch only reads it.
#[derive(Debug)]
pub struct Registry {
    pub(crate) commands: Vec<Command>,
    pub(crate) general: HashMap<Box<str>, usize>,
    pub(crate) by_char: Vec<(char, HashMap<Box<str>, usize>)>,
    pub(crate) settings: Settings,
}

impl Registry {
    /// The table of every command linked into the binary with `#[command]`.
    ///
    /// # Errors
    /// As [`Registry::new`].
    pub fn linked(settings: Settings) -> Result<Registry, RegistryError> {
        Registry::new(COMMANDS.iter(), settings)
    }

    /// A table of the given declarations.
    ///
    /// # Errors
    /// [`RegistryError::Illegal`] for a declaration that breaks DESIGN §4.1,
    /// [`RegistryError::Duplicate`] when two declarations answer to one name for
    /// one cmd char, [`RegistryError::BadCmdChar`] for a cmd char that cannot
    /// start a command.
    pub fn new(
        defs: impl IntoIterator<Item = &'static CommandDef>,
        settings: Settings,
    ) -> Result<Registry, RegistryError> {
        if let Some(&bad) = settings
            .cmd_chars
            .iter()
            .find(|c| c.is_alphanumeric() || c.is_whitespace() || **c == '|' || **c == ':')
        {
            return Err(RegistryError::BadCmdChar(bad));
        }
        let mut commands: Vec<Command> =
            defs.into_iter().map(|def| Command { def, component: def.component_name() }).collect();
        commands.sort_by(|a, b| a.def.name.cmp(b.def.name).then(a.def.cmd_char.cmp(&b.def.cmd_char)));

        let mut general = HashMap::new();
        let mut by_char: Vec<(char, HashMap<Box<str>, usize>)> = Vec::new();
        for (index, command) in commands.iter().enumerate() {
            check_declaration(command)?;
            let table = match command.def.cmd_char {
                None => &mut general,
                Some(c) => match by_char.iter().position(|(table_char, _)| *table_char == c) {
                    Some(at) => &mut by_char[at].1,
                    None => {
                        by_char.push((c, HashMap::new()));
                        &mut by_char.last_mut().expect("just pushed").1
                    }
                },
            };
            for name in std::iter::once(command.def.name).chain(command.def.aliases.iter().copied()) {
                if let Some(&first) = table.get(name) {
                    let first: &Command = &commands[first];
                    return Err(RegistryError::Duplicate {
                        name: match command.def.cmd_char {
                            Some(c) => format!("{c}{name}"),
                            None => name.to_owned(),
                        },
                        first: first.site(),
                        second: command.site(),
                    });
                }
                table.insert(name.into(), index);
            }
        }
        Ok(Registry { commands, general, by_char, settings })
    }

    /// Every command, sorted by name.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The settings the table was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cmd char `SEND:CMD` lines without one are taken to use.
    pub fn default_cmd_char(&self) -> char {
        self.settings.cmd_chars.first().copied().unwrap_or('?')
    }

    /// Whether `text` starts with a cmd char, which makes a chat line a command.
    pub fn is_command(&self, text: &str) -> bool {
        text.chars().next().is_some_and(|c| self.settings.cmd_chars.contains(&c))
    }

    /// Looks a name up as dispatch does (DESIGN §4.4, step 2): the table of
    /// `cmd_char` first, then the general table. Case is ignored.
    pub fn find(&self, cmd_char: char, name: &str) -> Option<&Command> {
        let mut buf = [0u8; 64];
        let name = lowercase(name, &mut buf)?;
        let specific =
            self.by_char.iter().find(|(c, _)| *c == cmd_char).and_then(|(_, table)| table.get(name));
        specific.or_else(|| self.general.get(name)).map(|&index| &self.commands[index])
    }

    /// Looks a name up in every table, for `?man`: a command bound to another
    /// cmd char is found too.
    pub fn find_any(&self, name: &str) -> Option<&Command> {
        let name = name.trim_start_matches(|c| self.settings.cmd_chars.contains(&c));
        let mut buf = [0u8; 64];
        let name = lowercase(name, &mut buf)?;
        self.general
            .get(name)
            .or_else(|| self.by_char.iter().find_map(|(_, table)| table.get(name)))
            .map(|&index| &self.commands[index])
    }
}

/// `name` in ASCII lower case, in `buf`; `None` if it does not fit (no command
/// has such a long name).
fn lowercase<'b>(name: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let bytes = name.as_bytes();
    let out = buf.get_mut(..bytes.len())?;
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_lowercase();
    }
    // ASCII lower-casing keeps UTF-8 valid.
    std::str::from_utf8(out).ok()
}

fn check_declaration(command: &Command) -> Result<(), RegistryError> {
    let def = command.def;
    let illegal = |reason| RegistryError::Illegal { name: def.name.to_owned(), site: command.site(), reason };
    let valid_name = |name: &str| {
        !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if !valid_name(def.name) || !def.aliases.iter().all(|alias| valid_name(alias)) {
        return Err(illegal("names and aliases are 1 to 32 lower-case ASCII letters and digits"));
    }
    if !def.source_in_scope && !def.target_in_scope {
        return Err(illegal("source_in_scope = false with target_in_scope = false is illegal"));
    }
    if def.forms.is_empty() {
        return Err(illegal("a command needs at least one target form"));
    }
    if def.forms.contains(TargetForm::External) && def.target_in_scope {
        return Err(illegal("target_external needs target_in_scope = false"));
    }
    if let Some(c) = def.cmd_char
        && (c.is_alphanumeric() || c.is_whitespace() || c == '|')
    {
        return Err(illegal("a command's cmd char must be punctuation such as '?' or '*'"));
    }
    Ok(())
}
