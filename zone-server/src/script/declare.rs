//! A script's `command { ... }` declarations, turned into the same
//! [`CommandDef`]s `#[command(...)]` emits (DESIGN §4.1), with the file and
//! line of each.
//!
//! ```lua
//! command {
//!     name = "roll",
//!     target_pub = true,
//!     group = "default",
//!     params = { "max: int?" },
//!     help = "Rolls a die from 1 to max (the config's default_max if not given).",
//!     run = function(ctx, max) ctx:reply("You roll " .. math.random(1, max or 6)) end,
//! }
//! ```
//!
//! A declaration takes the keys `#[command]` takes (`name`, `aliases`,
//! `char`, `source_in_scope`, `target_in_scope`, `target_pub`,
//! `target_team`, `target_remote_team`, `target_player`, `target_external`,
//! `group`, `group_pub` … `group_external`, `stealth`, `args`,
//! `catch_all`), and `help` (the `?man` text, whose first sentence is the
//! summary), `params` (typed arguments) and `run` (the handler). The
//! registry checks the rules of §4.1 when the component is added.
//!
//! Declarations become `'static`, as compiled ones are: each distinct
//! declaration is kept once for the life of the process (reinstalling the
//! same one costs nothing), up to [`KEPT_BYTES`] in all.

use std::collections::HashMap;
use std::sync::LazyLock;

use cmdman::{CommandDef, Forms, Handler, Param, Shape, TargetForm};
use parking_lot::Mutex;

/// The bytes of distinct declarations kept for the life of the process; a
/// component whose new declarations would pass it is refused until the
/// zone restarts.
pub const KEPT_BYTES: usize = 8 << 20;

/// The type of a typed argument, as `params` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `word`: one word, as a string.
    Word,
    /// `int`: a whole number.
    Int,
    /// `number`: any number.
    Number,
    /// `player`: an online player (a table with `name`, `id`, `realm`, `freq`).
    Player,
    /// `rest`: the rest of the line.
    Rest,
    /// `-x`: a flag, `true` when given.
    Flag(char),
}

/// One typed argument: its name, type, and whether it may be left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptParam {
    /// Its name in the usage line.
    pub name: String,
    /// Its type.
    pub kind: ParamType,
    /// Written with a trailing `?`.
    pub optional: bool,
}

impl ScriptParam {
    /// Reads `"name: type"`, `"name: type?"` or `"-x"`.
    ///
    /// # Errors
    /// What a parameter looks like.
    pub fn parse(text: &str) -> Result<ScriptParam, String> {
        let text = text.trim();
        if let Some(letter) = text.strip_prefix('-') {
            let mut chars = letter.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => {
                    Ok(ScriptParam { name: c.to_string(), kind: ParamType::Flag(c), optional: true })
                }
                _ => Err(format!("'{text}' is not a flag: write one letter after '-', as \"-s\"")),
            };
        }
        let bad = || {
            format!(
                "'{text}' is not a parameter: write \"name: type\" with a type of word, int, number, \
                 player or rest, and '?' after it if it may be left out (\"max: int?\"), or a flag (\"-s\")"
            )
        };
        let (name, kind) = text.split_once(':').ok_or_else(bad)?;
        let (name, kind) = (name.trim(), kind.trim());
        let (kind, optional) = match kind.strip_suffix('?') {
            Some(kind) => (kind.trim_end(), true),
            None => (kind, false),
        };
        let kind = match kind {
            "word" | "string" => ParamType::Word,
            "int" => ParamType::Int,
            "number" => ParamType::Number,
            "player" => ParamType::Player,
            "rest" => ParamType::Rest,
            _ => return Err(bad()),
        };
        let legal = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if name.is_empty() || name.len() > 32 || !name.chars().all(legal) {
            return Err(bad());
        }
        Ok(ScriptParam { name: name.to_owned(), kind, optional })
    }

    /// How it reads in the usage line.
    pub fn shape(&self) -> Shape {
        let shape = match self.kind {
            ParamType::Flag(c) => return Shape::Flag(c),
            ParamType::Rest => Shape::Rest,
            _ => Shape::Word,
        };
        if self.optional { shape.optional() } else { shape }
    }
}

/// A declaration as read from the script, before it is made `'static`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Declaration {
    /// `name`.
    pub name: String,
    /// `aliases`.
    pub aliases: Vec<String>,
    /// `char`.
    pub cmd_char: Option<char>,
    /// `source_in_scope` (default true).
    pub source_in_scope: bool,
    /// `target_in_scope` (default true).
    pub target_in_scope: bool,
    /// `target_pub` … `target_external`, in [`TargetForm`] order.
    pub forms: [bool; TargetForm::COUNT],
    /// The command group of each form.
    pub groups: [Option<String>; TargetForm::COUNT],
    /// `stealth`.
    pub stealth: bool,
    /// `catch_all`.
    pub catch_all: bool,
    /// `args`.
    pub args: Option<String>,
    /// `params`, as (name, shape).
    pub params: Vec<(String, ShapeKey)>,
    /// `help`.
    pub help: String,
    /// The script file.
    pub file: String,
    /// The line of `command {`.
    pub line: u32,
}

/// [`Shape`] as a hashable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShapeKey {
    /// [`Shape::Word`].
    Word,
    /// [`Shape::Optional`].
    Optional,
    /// [`Shape::Rest`].
    Rest,
    /// [`Shape::OptionalRest`].
    OptionalRest,
    /// [`Shape::Flag`].
    Flag(char),
}

impl From<Shape> for ShapeKey {
    fn from(shape: Shape) -> ShapeKey {
        match shape {
            Shape::Word => ShapeKey::Word,
            Shape::Optional => ShapeKey::Optional,
            Shape::Rest => ShapeKey::Rest,
            Shape::OptionalRest | Shape::OptionalFlag => ShapeKey::OptionalRest,
            Shape::Flag(c) => ShapeKey::Flag(c),
        }
    }
}

impl From<ShapeKey> for Shape {
    fn from(key: ShapeKey) -> Shape {
        match key {
            ShapeKey::Word => Shape::Word,
            ShapeKey::Optional => Shape::Optional,
            ShapeKey::Rest => Shape::Rest,
            ShapeKey::OptionalRest => Shape::OptionalRest,
            ShapeKey::Flag(c) => Shape::Flag(c),
        }
    }
}

/// The keys a declaration may have, as errors list them.
pub const KEYS: [&str; 23] = [
    "name",
    "aliases",
    "char",
    "source_in_scope",
    "target_in_scope",
    "target_pub",
    "target_team",
    "target_remote_team",
    "target_player",
    "target_external",
    "group",
    "group_pub",
    "group_team",
    "group_remote_team",
    "group_player",
    "group_external",
    "stealth",
    "args",
    "catch_all",
    "help",
    "params",
    "run",
    "component",
];

/// Distinct declarations kept, and their bytes.
struct Kept {
    defs: HashMap<(String, Declaration), &'static CommandDef>,
    strings: HashMap<String, &'static str>,
    bytes: usize,
}

static KEPT: LazyLock<Mutex<Kept>> =
    LazyLock::new(|| Mutex::new(Kept { defs: HashMap::new(), strings: HashMap::new(), bytes: 0 }));

impl Kept {
    fn str(&mut self, text: &str) -> &'static str {
        if let Some(kept) = self.strings.get(text) {
            return kept;
        }
        self.bytes += text.len();
        let kept: &'static str = Box::leak(text.to_owned().into_boxed_str());
        self.strings.insert(text.to_owned(), kept);
        kept
    }
}

/// `text` kept for the life of the process, once, with the declarations'
/// strings (the registry keeps component names `'static`).
pub fn keep_str(text: &str) -> &'static str {
    KEPT.lock().str(text)
}

/// The `'static` declaration of `declaration` in `component`, made once.
///
/// # Errors
/// When keeping it would pass [`KEPT_BYTES`].
pub fn make_static(component: &str, declaration: &Declaration) -> Result<&'static CommandDef, String> {
    let mut kept = KEPT.lock();
    let key = (component.to_owned(), declaration.clone());
    if let Some(def) = kept.defs.get(&key) {
        return Ok(def);
    }
    let size = std::mem::size_of::<CommandDef>()
        + declaration.help.len()
        + declaration.name.len()
        + declaration.aliases.iter().map(String::len).sum::<usize>()
        + declaration.params.len() * std::mem::size_of::<Param>()
        + 256;
    if kept.bytes + size > KEPT_BYTES {
        return Err(format!(
            "the zone keeps at most {} MiB of script declarations until it restarts, and this would pass it",
            KEPT_BYTES >> 20
        ));
    }
    kept.bytes += size;
    let aliases: Vec<&'static str> = declaration.aliases.iter().map(|alias| kept.str(alias)).collect();
    let params: Vec<Param> = declaration
        .params
        .iter()
        .map(|(name, shape)| Param { name: kept.str(name), shape: Shape::from(*shape) })
        .collect();
    let mut groups = [None; TargetForm::COUNT];
    for (slot, group) in groups.iter_mut().zip(&declaration.groups) {
        *slot = group.as_deref().map(|group| kept.str(group));
    }
    let [pub_, team, remote_team, player, external] = declaration.forms;
    let def = CommandDef {
        name: kept.str(&declaration.name),
        aliases: Box::leak(aliases.into_boxed_slice()),
        component: Some(kept.str(component)),
        module_path: "script",
        cmd_char: declaration.cmd_char,
        source_in_scope: declaration.source_in_scope,
        target_in_scope: declaration.target_in_scope,
        forms: Forms::new(pub_, team, remote_team, player, external),
        groups,
        stealth: declaration.stealth,
        catch_all: declaration.catch_all,
        args: declaration.args.as_deref().map(|args| kept.str(args)),
        params: Box::leak(params.into_boxed_slice()),
        help: kept.str(&declaration.help),
        file: kept.str(&declaration.file),
        line: declaration.line,
        handler: Handler::Dynamic,
    };
    let def: &'static CommandDef = Box::leak(Box::new(def));
    kept.defs.insert(key, def);
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_read_as_written_in_usage_lines() {
        let max = ScriptParam::parse("max: int?").unwrap();
        assert_eq!((max.kind, max.optional, max.shape()), (ParamType::Int, true, Shape::Optional));
        assert_eq!(ScriptParam::parse("text:rest").unwrap().shape(), Shape::Rest);
        assert_eq!(ScriptParam::parse("-s").unwrap().shape(), Shape::Flag('s'));
        for bad in ["max", "max: integer", "-", "-ab", ": int", "two words: int"] {
            assert!(ScriptParam::parse(bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn the_same_declaration_is_kept_once() {
        let declaration = Declaration {
            name: "roll".into(),
            forms: [true, false, false, false, false],
            help: "Rolls.".into(),
            file: "dice/init.luau".into(),
            line: 3,
            ..Declaration::default()
        };
        let first = make_static("dice", &declaration).unwrap();
        let second = make_static("dice", &declaration).unwrap();
        assert!(std::ptr::eq(first, second));
        assert_eq!((first.name, first.component, first.line), ("roll", Some("dice"), 3));
        let other = make_static("dice", &Declaration { line: 4, ..declaration }).unwrap();
        assert!(!std::ptr::eq(first, other));
    }
}
