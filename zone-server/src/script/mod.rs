//! Script components (DESIGN §12): a folder with a manifest
//! (`component.ron`) and Luau sources, installed without rebuilding the
//! server. Their commands go into the same registry as compiled ones and
//! through the same scopes, forms, ladder, statistics, help and replies.
//!
//! # Layout of a component
//! ```text
//! dice/
//!   component.ron    (name: "dice", version: "1.0.0", description: "…",
//!                     main: "init.luau", config: {"default_max": 6})
//!   init.luau        command { … } declarations, run when the component loads
//! ```
//!
//! # Where things are kept
//! - `<data>/components/<name>/`: the installed copy of the folder.
//! - `<data>/component-files/<name>/`: its files folder (the `files` API).
//! - `<config>/components/<name>.ron`: the operator's config for it, over
//!   the manifest's defaults (the `config` API).
//! - `<data>/attachments.ron`: `?attach`/`?detach` changes ([`persist`]).
//!
//! # What a script reaches
//! Besides Luau's safe libraries ([`vm`]): `command { … }` (at load only),
//! `print(...)` (the zone's log, bounded), `config.get(key, default)`,
//! `files.read/write/append/remove/list`, and `zone.find(name)`,
//! `zone.tell(name, text)`, `zone.announce(realm or nil, text)`. A
//! command's handler gets `ctx` with `sender`, `target`, `form`,
//! `cmd_char`, `params`, `ctx:reply(text)`, `ctx:reply_target(text)` and
//! `ctx:fail(text)`, then its typed arguments.

pub mod declare;
pub mod events;
pub mod files;
pub mod persist;
pub mod vm;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};

use cmdman::{
    Arg, CommandDef, CommandError, CommandResult, Ctx, DynamicHandler, OnlinePlayer, Registry, Rest, Target,
    TargetForm,
};
use config::ScriptLimits;
use mlua::{Function, IntoLuaMulti as _, Lua, MultiValue, RegistryKey, Table, Value};
use parking_lot::Mutex;
use serde::Deserialize;
use tracing::{info, warn};

use crate::throttle::LogQuota;
use crate::zone::Zone;
use declare::{Declaration, ParamType, ScriptParam};
use files::Files;

/// The manifest's file name in a component's folder.
pub const MANIFEST: &str = "component.ron";

/// Script components one zone loads at most: each has a VM of up to
/// `scripts.memory_kib`, so this bounds their memory together.
pub const MAX_COMPONENTS: usize = 64;

/// The largest manifest, config file or source file read, in bytes.
const FILE_BOUND: u64 = 1 << 20;

/// Lines one call may send back (replies, tells and announcements); the
/// rest are left out, and the player is told how many.
const OUTPUT_LINES: usize = 50;

/// The longest line a script may send, in bytes; longer ones are cut.
const OUTPUT_LINE_BYTES: usize = 400;

/// `component.ron`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The component's name: lower-case letters, digits, `_` and `-`. It is
    /// what `?attach`, `zone.ron` and `?lsmod` call it.
    pub name: String,
    /// Its version, as its author numbers it.
    pub version: String,
    /// What it does, in a sentence.
    #[serde(default)]
    pub description: String,
    /// The source file run when it loads, in its folder.
    #[serde(default = "default_main")]
    pub main: String,
    /// Its config keys and their defaults; `components/<name>.ron` in the
    /// config directory may set them.
    #[serde(default)]
    pub config: BTreeMap<String, Setting>,
}

fn default_main() -> String {
    "init.luau".to_owned()
}

/// One config value: a number, a string or a truth value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Setting {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Text(String),
}

impl Setting {
    fn kind(&self) -> &'static str {
        match self {
            Setting::Bool(_) => "a truth value",
            Setting::Int(_) | Setting::Float(_) => "a number",
            Setting::Text(_) => "a string",
        }
    }

    fn to_lua(&self, lua: &Lua) -> mlua::Result<Value> {
        Ok(match self {
            Setting::Bool(value) => Value::Boolean(*value),
            #[allow(clippy::cast_precision_loss)]
            Setting::Int(value) => Value::Number(*value as f64),
            Setting::Float(value) => Value::Number(*value),
            Setting::Text(value) => Value::String(lua.create_string(value)?),
        })
    }
}

/// Why a component could not be loaded: the file, and where in it if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file at fault (the folder when the folder itself is).
    pub path: PathBuf,
    /// The line, from 1, when known.
    pub line: Option<usize>,
    /// The column, from 1, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    fn new(path: &Path, message: impl Into<String>) -> LoadError {
        LoadError { path: path.to_owned(), line: None, column: None, message: message.into() }
    }

    fn at(path: &Path, line: Option<usize>, message: impl Into<String>) -> LoadError {
        LoadError { path: path.to_owned(), line, column: None, message: message.into() }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}

/// Reads a file of at most [`FILE_BOUND`] bytes.
fn read_bounded(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| LoadError::new(path, error.to_string()))?;
    let mut text = String::new();
    file.take(FILE_BOUND + 1)
        .read_to_string(&mut text)
        .map_err(|error| LoadError::new(path, error.to_string()))?;
    if text.len() as u64 > FILE_BOUND {
        return Err(LoadError::new(path, format!("is larger than {} KiB", FILE_BOUND >> 10)));
    }
    Ok(text)
}

/// Parses RON with the error's line and column.
fn parse_ron<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, LoadError> {
    ron::from_str(text).map_err(|error: ron::error::SpannedError| LoadError {
        path: path.to_owned(),
        line: Some(error.span.start.line),
        column: Some(error.span.start.col),
        message: error.code.to_string(),
    })
}

/// Reads and checks a component's manifest.
///
/// # Errors
/// A missing or unreadable manifest, a bad name, an empty version, a `main`
/// outside the folder.
pub fn read_manifest(dir: &Path) -> Result<Manifest, LoadError> {
    let path = dir.join(MANIFEST);
    let manifest: Manifest = parse_ron(&path, &read_bounded(&path)?)?;
    if !zone_names::is_group_name(&manifest.name) {
        return Err(LoadError::new(
            &path,
            format!("the name '{}' is not a component name: {}", manifest.name, zone_names::GROUP_NAME_RULE),
        ));
    }
    if manifest.version.trim().is_empty() || manifest.version.len() > 32 {
        return Err(LoadError::new(&path, "version must be 1 to 32 characters"));
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if manifest.main.is_empty() || !manifest.main.chars().all(legal) || manifest.main.starts_with('.') {
        return Err(LoadError::new(
            &path,
            format!("main '{}' must name a file in the folder", manifest.main),
        ));
    }
    Ok(manifest)
}

/// Where a component's pieces are, besides its own folder.
#[derive(Debug, Clone)]
pub struct Places {
    /// The config directory, for `components/<name>.ron` (`None`: the
    /// embedded config, so the manifest's defaults).
    pub config_dir: Option<PathBuf>,
    /// `<data>/component-files`: each component's files folder is inside.
    pub files_root: PathBuf,
    /// The bounds.
    pub limits: ScriptLimits,
}

/// A loaded script component: its VM and what it declared.
pub struct ScriptComponent {
    manifest: Manifest,
    dir: PathBuf,
    vm: Mutex<Lua>,
    budget: Arc<vm::Budget>,
    steps: u64,
    /// Its `on(kind, …)` handlers.
    handlers: BTreeMap<events::EventKind, RegistryKey>,
    /// Its timers, and whether it is attached anywhere.
    clock: Arc<events::Clock>,
    /// `ctx:reply` and the like, made once.
    api: CallApi,
    /// Failed calls logged a minute, at most.
    failures: LogQuota,
    /// What each call may send and file.
    quota: Arc<CallQuota>,
    /// Display forms of its commands (`?roll`), for listings.
    commands: Vec<&'static CommandDef>,
}

impl fmt::Debug for ScriptComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptComponent")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A component loaded and ready to add to the registry.
pub struct Loaded {
    /// The component.
    pub component: Arc<ScriptComponent>,
    /// Its commands, for [`Registry::install`].
    pub commands: Vec<(&'static CommandDef, Arc<dyn DynamicHandler>)>,
}

impl ScriptComponent {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The folder it was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its commands' declarations.
    pub fn commands(&self) -> &[&'static CommandDef] {
        &self.commands
    }

    /// Loads the component in `dir`: its manifest, its config over the
    /// defaults, then its main source in a new sandboxed VM, which declares
    /// its commands. `zone` is where its zone API acts once the zone runs.
    ///
    /// # Errors
    /// [`LoadError`] with the file, and the line where it is known: a bad
    /// manifest or config, a Luau error, an illegal declaration.
    pub fn load(dir: &Path, places: &Places, zone: &ZoneLink) -> Result<Loaded, LoadError> {
        let manifest = read_manifest(dir)?;
        let name = manifest.name.clone();
        let config = read_config(&manifest, places.config_dir.as_deref())?;
        let main = dir.join(&manifest.main);
        let source = read_bounded(&main)?;
        let limits = &places.limits;
        let (lua, budget) = vm::new(limits.memory_kib.saturating_mul(1024))
            .map_err(|error| LoadError::new(dir, format!("the Luau VM could not start: {error}")))?;
        let files = Arc::new(Files::new(places.files_root.join(&name), limits.clone()));
        let declared: Arc<Mutex<Option<Vec<Declared>>>> = Arc::new(Mutex::new(Some(Vec::new())));
        let handlers = Arc::new(Mutex::new(Some(BTreeMap::new())));
        let clock = Arc::new(events::Clock::default());
        let file_name = main.display().to_string();
        let quota = Arc::new(CallQuota::default());
        install_api(&lua, &name, &file_name, &config, &files, zone, &declared, &quota)
            .and_then(|()| events::install_api(&lua, &clock, &handlers, limits, &zone.emitter))
            .map_err(|error| {
                LoadError::new(&main, format!("the zone's functions could not be set: {error}"))
            })?;
        lua.sandbox(true).map_err(|error| LoadError::new(&main, error.to_string()))?;
        budget.reset(limits.budget);
        let ran = lua.load(&source).set_name(format!("@{file_name}")).exec();
        if let Err(error) = ran {
            let message = if budget.exhausted() {
                format!("loading used up the step budget ({} steps)", limits.budget)
            } else if vm::is_out_of_memory(&error) {
                format!("loading ran out of memory ({} KiB)", limits.memory_kib)
            } else {
                first_line(&error.to_string())
            };
            return Err(lua_error_at(&main, &message));
        }
        let declared = declared.lock().take().unwrap_or_default();
        let handlers = handlers.lock().take().unwrap_or_default();
        let api = CallApi::new(&lua).map_err(|error| LoadError::new(&main, error.to_string()))?;
        if let Some(problem) = declared.iter().find_map(|d| d.problem.clone()) {
            return Err(problem);
        }
        let mut commands = Vec::new();
        let mut defs = Vec::new();
        let mut runs = Vec::new();
        for declared in declared {
            let Some(run) = declared.run else { continue };
            let def = declare::make_static(&name, &declared.declaration)
                .map_err(|message| LoadError::at(&main, Some(declared.declaration.line as usize), message))?;
            defs.push(def);
            runs.push((def, run, declared.params));
        }
        let component = Arc::new(ScriptComponent {
            manifest,
            dir: dir.to_owned(),
            vm: Mutex::new(lua),
            budget,
            steps: limits.budget,
            handlers,
            clock,
            api,
            failures: LogQuota::new(60),
            quota,
            commands: defs,
        });
        for (def, run, params) in runs {
            let handler: Arc<dyn DynamicHandler> =
                Arc::new(ScriptCommand { component: component.clone(), def, run, params });
            commands.push((def, handler));
        }
        Ok(Loaded { component, commands })
    }

    /// Runs `call` in the VM with a fresh budget, one call at a time.
    fn run<R>(&self, call: impl FnOnce(&Lua) -> mlua::Result<R>) -> Result<R, ScriptFailure> {
        let lua = self.vm.lock();
        self.budget.reset(self.steps);
        self.quota.reset();
        let result = call(&lua);
        let exhausted = self.budget.exhausted();
        if result.is_err() {
            // A call cut off (out of memory, say) leaves its garbage; collect
            // it now, so the next call starts within the limit. Otherwise
            // Luau's incremental collector keeps up.
            let _ = lua.gc_collect();
        }
        result.map_err(|error| {
            if exhausted {
                ScriptFailure::Budget
            } else if vm::is_out_of_memory(&error) {
                ScriptFailure::Memory
            } else {
                ScriptFailure::Error(first_line(&error.to_string()))
            }
        })
    }
}

/// Why a call into a script did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptFailure {
    /// It used up its step budget.
    Budget,
    /// It ran out of memory.
    Memory,
    /// It raised an error.
    Error(String),
}

impl fmt::Display for ScriptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptFailure::Budget => f.write_str("it used up its step budget and was stopped"),
            ScriptFailure::Memory => f.write_str("it ran out of memory and was stopped"),
            ScriptFailure::Error(message) => write!(f, "it failed: {message}"),
        }
    }
}

/// The first line of a Luau error (the rest is a traceback), cut to a
/// loggable length.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    clean_line(line.strip_prefix("runtime error: ").unwrap_or(line))
}

/// A Luau error as a [`LoadError`]: `file:line: message` messages are split.
fn lua_error_at(main: &Path, message: &str) -> LoadError {
    let file = main.display().to_string();
    if let Some(rest) = message.strip_prefix(&file).and_then(|rest| rest.strip_prefix(':'))
        && let Some((line, text)) = rest.split_once(':')
        && let Ok(line) = line.trim().parse::<usize>()
    {
        return LoadError::at(main, Some(line), text.trim());
    }
    LoadError::new(main, message)
}

/// The component's config: the manifest's defaults, with
/// `<config>/components/<name>.ron` over them.
fn read_config(
    manifest: &Manifest,
    config_dir: Option<&Path>,
) -> Result<BTreeMap<String, Setting>, LoadError> {
    let mut config = manifest.config.clone();
    let Some(dir) = config_dir else { return Ok(config) };
    let path = dir.join("components").join(format!("{}.ron", manifest.name));
    if !path.exists() {
        return Ok(config);
    }
    let set: BTreeMap<String, Setting> = parse_ron(&path, &read_bounded(&path)?)?;
    for (key, value) in set {
        let Some(default) = config.get(&key) else {
            let known: Vec<&str> = manifest.config.keys().map(String::as_str).collect();
            return Err(LoadError::new(
                &path,
                format!(
                    "'{key}' is not a config key of {}; its keys are: {}",
                    manifest.name,
                    known.join(", ")
                ),
            ));
        };
        if default.kind() != value.kind() {
            return Err(LoadError::new(
                &path,
                format!("'{key}' must be {}, as its default is, not {}", default.kind(), value.kind()),
            ));
        }
        config.insert(key, value);
    }
    Ok(config)
}

/// One `command { … }` as the script declared it.
struct Declared {
    declaration: Declaration,
    params: Vec<ScriptParam>,
    run: Option<RegistryKey>,
    /// The first thing wrong with it, reported at its line.
    problem: Option<LoadError>,
}

/// Where a component's zone API acts: set once the zone runs, so components
/// load before the zone exists and their functions reach it after; and the
/// queue of the `scripts` thread, which timers wake.
#[derive(Debug, Clone, Default)]
pub struct ZoneLink {
    zone: Arc<OnceLock<Weak<Zone>>>,
    emitter: Arc<events::Emitter>,
}

impl ZoneLink {
    /// Points the link at `zone`.
    pub fn set(&self, zone: &Arc<Zone>) {
        let _ = self.zone.set(Arc::downgrade(zone));
    }

    pub(crate) fn get(&self) -> Option<Arc<Zone>> {
        self.zone.get().and_then(Weak::upgrade)
    }
}

/// Sets `command`, `print`, `config`, `files` and `zone` in the VM.
#[allow(clippy::too_many_arguments)]
fn install_api(
    lua: &Lua,
    component: &str,
    file: &str,
    config: &BTreeMap<String, Setting>,
    files: &Arc<Files>,
    zone: &ZoneLink,
    declared: &Arc<Mutex<Option<Vec<Declared>>>>,
    quota: &Arc<CallQuota>,
) -> mlua::Result<()> {
    let globals = lua.globals();
    let (declared, file_name) = (declared.clone(), file.to_owned());
    globals.set(
        "command",
        lua.create_function(move |lua, table: Table| {
            let line = lua.inspect_stack(1, |debug| debug.current_line()).flatten().unwrap_or(0);
            let mut all = declared.lock();
            let Some(all) = all.as_mut() else {
                return Err(mlua::Error::runtime(
                    "commands are declared when the component loads, not later",
                ));
            };
            all.push(read_declaration(lua, &table, &file_name, line));
            Ok(())
        })?,
    )?;

    let (name, printed) = (component.to_owned(), Arc::new(LogQuota::new(60)));
    globals.set(
        "print",
        lua.create_function(move |_, values: MultiValue| {
            if let Some(left_out) = printed.take() {
                let text: Vec<String> = values
                    .iter()
                    .map(|value| match value {
                        Value::String(text) => text.to_string_lossy(),
                        Value::Integer(n) => n.to_string(),
                        Value::Number(n) => n.to_string(),
                        Value::Boolean(b) => b.to_string(),
                        other => other.type_name().to_owned(),
                    })
                    .collect();
                info!(component = %name, left_out, "{}", clean_line(&text.join(" ")));
            }
            Ok(())
        })?,
    )?;

    let config_table = lua.create_table()?;
    let settings = config.clone();
    config_table.set(
        "get",
        lua.create_function(move |lua, (key, default): (String, Value)| {
            let Some(setting) = settings.get(&key) else { return Ok(default) };
            let value = setting.to_lua(lua)?;
            let kind = |value: &Value| match value {
                Value::Integer(_) | Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Boolean(_) => "a truth value",
                _ => "something else",
            };
            if !default.is_nil() && kind(&default) != kind(&value) {
                return Err(mlua::Error::runtime(format!(
                    "config key '{key}' is {}, but the default given is {}",
                    setting.kind(),
                    kind(&default)
                )));
            }
            Ok(value)
        })?,
    )?;
    globals.set("config", config_table)?;

    // As Lua's io library does: the result, or nil and why not.
    fn answer<T: mlua::IntoLua>(lua: &Lua, result: Result<T, files::FileError>) -> mlua::Result<MultiValue> {
        match result {
            Ok(value) => (value,).into_lua_multi(lua),
            Err(error) => (Value::Nil, error.to_string()).into_lua_multi(lua),
        }
    }
    let files_table = lua.create_table()?;
    let (f, q) = (files.clone(), quota.clone());
    files_table.set(
        "read",
        lua.create_function(move |lua, name: String| answer(lua, q.file_op().and_then(|()| f.read(&name))))?,
    )?;
    let (f, q) = (files.clone(), quota.clone());
    files_table.set(
        "write",
        lua.create_function(move |lua, (name, text): (String, String)| {
            answer(lua, q.file_op().and_then(|()| f.write(&name, &text, false)).map(|()| true))
        })?,
    )?;
    let (f, q) = (files.clone(), quota.clone());
    files_table.set(
        "append",
        lua.create_function(move |lua, (name, text): (String, String)| {
            answer(lua, q.file_op().and_then(|()| f.write(&name, &text, true)).map(|()| true))
        })?,
    )?;
    let (f, q) = (files.clone(), quota.clone());
    files_table.set(
        "remove",
        lua.create_function(move |lua, name: String| {
            answer(lua, q.file_op().and_then(|()| f.remove(&name)))
        })?,
    )?;
    let (f, q) = (files.clone(), quota.clone());
    files_table
        .set("list", lua.create_function(move |lua, ()| answer(lua, q.file_op().map(|()| f.list())))?)?;
    globals.set("files", files_table)?;

    let zone_table = lua.create_table()?;
    let link = zone.clone();
    zone_table.set(
        "find",
        lua.create_function(move |lua, name: String| {
            let Some(zone) = link.get() else { return Ok(Value::Nil) };
            match zone.find(&name) {
                Some(info) => Ok(Value::Table(player_table(
                    lua,
                    &info.name,
                    info.id.0,
                    info.realm_name.as_deref(),
                    info.freq,
                )?)),
                None => Ok(Value::Nil),
            }
        })?,
    )?;
    let (link, q) = (zone.clone(), quota.clone());
    zone_table.set(
        "tell",
        lua.create_function(move |_, (name, text): (String, String)| {
            let Some(zone) = link.get() else { return Ok(false) };
            if !q.send() {
                return Ok(false);
            }
            let text = clean_line(&text);
            Ok(zone.tell(&name, &text))
        })?,
    )?;
    let (link, q) = (zone.clone(), quota.clone());
    zone_table.set(
        "announce",
        lua.create_function(move |_, (realm, text): (Option<String>, String)| {
            let Some(zone) = link.get() else { return Ok(false) };
            if !q.send() {
                return Ok(false);
            }
            let text = clean_line(&text);
            Ok(zone.announce_to(realm.as_deref(), &text))
        })?,
    )?;
    globals.set("zone", zone_table)?;
    Ok(())
}

/// File operations one call may make.
pub const FILE_OPS_PER_CALL: usize = 64;

/// What one call (a command, an event, a timer) may do besides computing:
/// lines to other players (`zone.tell`, `zone.announce`, at most
/// [`OUTPUT_LINES`]) and file operations (at most [`FILE_OPS_PER_CALL`]).
/// Reset at each call.
#[derive(Debug, Default)]
pub(crate) struct CallQuota {
    sent: std::sync::atomic::AtomicUsize,
    file_ops: std::sync::atomic::AtomicUsize,
}

impl CallQuota {
    fn reset(&self) {
        self.sent.store(0, std::sync::atomic::Ordering::Relaxed);
        self.file_ops.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether one more line may go out in this call.
    fn send(&self) -> bool {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < OUTPUT_LINES
    }

    /// One more file operation in this call, or why not.
    fn file_op(&self) -> Result<(), files::FileError> {
        if self.file_ops.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < FILE_OPS_PER_CALL {
            Ok(())
        } else {
            Err(files::FileError::TooMany(FILE_OPS_PER_CALL))
        }
    }
}

/// A player as scripts see one.
fn player_table(
    lua: &Lua,
    name: &str,
    id: u32,
    realm: Option<&str>,
    freq: Option<u16>,
) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.set("name", name)?;
    table.set("id", id)?;
    table.set("realm", realm)?;
    table.set("freq", freq)?;
    Ok(table)
}

/// A script's line as it may be sent: none of the characters refused from
/// players ([`zone_names::is_forbidden_in_text`]), at most
/// [`OUTPUT_LINE_BYTES`].
fn clean_line(text: &str) -> String {
    let cut = &text[..text.floor_char_boundary(OUTPUT_LINE_BYTES)];
    cut.chars().map(|c| if zone_names::is_forbidden_in_text(c) { ' ' } else { c }).collect()
}

/// Reads one `command { … }` table.
fn read_declaration(lua: &Lua, table: &Table, file: &str, line: usize) -> Declared {
    let path = Path::new(file);
    let mut declared = Declared {
        declaration: Declaration {
            source_in_scope: true,
            target_in_scope: true,
            file: file.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            ..Declaration::default()
        },
        params: Vec::new(),
        run: None,
        problem: None,
    };
    if let Err(message) = fill_declaration(lua, table, &mut declared) {
        declared.problem = Some(LoadError::at(path, Some(line), message));
    }
    declared
}

fn fill_declaration(lua: &Lua, table: &Table, declared: &mut Declared) -> Result<(), String> {
    let d = &mut declared.declaration;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(|error| error.to_string())?;
        let Value::String(key) = key else {
            return Err("declaration keys are names, as name = \"roll\"".into());
        };
        let key = key.to_string_lossy();
        let boolean = |value: &Value| match value {
            Value::Boolean(b) => Ok(*b),
            _ => Err(format!("{key} must be true or false")),
        };
        let string = |value: &Value| match value {
            Value::String(s) => Ok(s.to_string_lossy()),
            _ => Err(format!("{key} must be a string")),
        };
        let strings = |value: &Value| -> Result<Vec<String>, String> {
            let Value::Table(list) = value else { return Err(format!("{key} must be a list of strings")) };
            list.sequence_values::<Value>()
                .map(|item| match item {
                    Ok(Value::String(s)) => Ok(s.to_string_lossy()),
                    _ => Err(format!("{key} must be a list of strings")),
                })
                .collect()
        };
        let form = |name: &str| TargetForm::ALL.iter().position(|form| form.as_str() == name);
        match key.as_str() {
            "name" => d.name = string(&value)?,
            "aliases" => d.aliases = strings(&value)?,
            "char" => {
                let text = string(&value)?;
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => d.cmd_char = Some(c),
                    _ => return Err("char must be one character, as char = \"*\"".into()),
                }
            }
            "source_in_scope" => d.source_in_scope = boolean(&value)?,
            "target_in_scope" => d.target_in_scope = boolean(&value)?,
            "stealth" => d.stealth = boolean(&value)?,
            "catch_all" => d.catch_all = boolean(&value)?,
            // Fills the forms without a group_<form> of their own, in
            // whichever order the keys come.
            "group" => {
                let group = string(&value)?;
                for slot in &mut d.groups {
                    slot.get_or_insert_with(|| group.clone());
                }
            }
            "args" => d.args = Some(string(&value)?),
            "help" => d.help = string(&value)?,
            "params" => {
                declared.params =
                    strings(&value)?.iter().map(|text| ScriptParam::parse(text)).collect::<Result<_, _>>()?;
            }
            "run" => match value {
                Value::Function(function) => {
                    declared.run = Some(lua.create_registry_value(function).map_err(|e| e.to_string())?);
                }
                _ => return Err("run must be a function, as run = function(ctx) ... end".into()),
            },
            "component" => {
                return Err(
                    "a script's commands belong to the component its manifest names; leave out component"
                        .into(),
                );
            }
            other => {
                if let Some(index) = other.strip_prefix("target_").and_then(form) {
                    d.forms[index] = boolean(&value)?;
                } else if let Some(index) = other.strip_prefix("group_").and_then(form) {
                    d.groups[index] = Some(string(&value)?);
                } else {
                    return Err(format!(
                        "unknown key '{other}'; a declaration takes {}",
                        declare::KEYS.join(", ")
                    ));
                }
            }
        }
    }
    if d.name.is_empty() && !d.catch_all {
        return Err("a command needs a name, as name = \"roll\"".into());
    }
    if d.catch_all && d.name.is_empty() {
        d.name = "any".to_owned();
    }
    if d.help.trim().is_empty() {
        return Err(format!("{} needs a help text (help = \"…\"): ?man shows it", d.name));
    }
    if declared.run.is_none() {
        return Err(format!("{} needs run = function(ctx, ...) ... end", d.name));
    }
    if let Some(at) = declared.params.iter().position(|p| p.kind == ParamType::Rest)
        && at + 1 < declared.params.len()
    {
        return Err("a rest parameter takes the rest of the line, so it must come last".into());
    }
    d.params = declared.params.iter().map(|p| (p.name.clone(), p.shape().into())).collect();
    Ok(())
}

/// The text of `ctx:reply(text)` or `ctx.reply(text)`: the last argument,
/// a string or a number (nothing that could run a `__tostring` metamethod
/// while a lock is held).
fn text_of(values: &MultiValue) -> String {
    match values.iter().next_back() {
        Some(Value::String(text)) => text.to_string_lossy(),
        Some(Value::Integer(n)) => n.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The functions a command's `ctx` carries, made once per component: each
/// call's lines go to `output` (one call at a time holds the VM).
struct CallApi {
    output: Arc<Mutex<Output>>,
    reply: Function,
    reply_target: Function,
    fail: Function,
}

impl CallApi {
    fn new(lua: &Lua) -> mlua::Result<CallApi> {
        let output = Arc::new(Mutex::new(Output::default()));
        let to = |target: bool| {
            let output = output.clone();
            move |_: &Lua, values: MultiValue| {
                let text = text_of(&values);
                output.lock().push(target, &text);
                Ok(())
            }
        };
        let reply = lua.create_function(to(false))?;
        let reply_target = lua.create_function(to(true))?;
        let failed = output.clone();
        let fail = lua.create_function(move |_, values: MultiValue| {
            let text = clean_line(&text_of(&values));
            let mut output = failed.lock();
            if output.active {
                output.failure = Some(text);
            }
            Ok(())
        })?;
        Ok(CallApi { output, reply, reply_target, fail })
    }
}

/// A script command's handler.
struct ScriptCommand {
    component: Arc<ScriptComponent>,
    def: &'static CommandDef,
    run: RegistryKey,
    params: Vec<ScriptParam>,
}

/// What a command call sends back.
#[derive(Default)]
struct Output {
    /// A command is running: `ctx:reply` kept for later (in a timer) and
    /// called outside one is dropped.
    active: bool,
    sender: Vec<String>,
    target: Vec<String>,
    left_out: usize,
    failure: Option<String>,
}

impl Output {
    fn push(&mut self, to_target: bool, text: &str) {
        if !self.active {
            return;
        }
        for line in text.lines() {
            if self.sender.len() + self.target.len() >= OUTPUT_LINES {
                self.left_out += 1;
                continue;
            }
            let line = clean_line(line);
            if to_target { self.target.push(line) } else { self.sender.push(line) }
        }
    }
}

/// A typed argument's value, before it becomes a Luau value.
enum ArgValue {
    Nil,
    Bool(bool),
    Number(f64),
    Text(String),
    Player(OnlinePlayer),
}

impl ScriptCommand {
    fn parse_args(&self, ctx: &Ctx<'_>) -> Result<Vec<ArgValue>, CommandError> {
        let flags: Vec<Option<char>> = self
            .params
            .iter()
            .map(|p| match p.kind {
                ParamType::Flag(c) => Some(c),
                _ => None,
            })
            .collect();
        let mut parser = ctx.args(&flags);
        let mut values = Vec::with_capacity(self.params.len());
        for param in &self.params {
            let name: &'static str =
                self.def.params.iter().find(|p| p.name == param.name).map_or("arg", |p| p.name);
            if let ParamType::Flag(c) = param.kind {
                values.push(ArgValue::Bool(parser.flag(c)));
                continue;
            }
            if param.optional && parser.is_empty() {
                values.push(ArgValue::Nil);
                continue;
            }
            let value = match param.kind {
                ParamType::Word => ArgValue::Text(String::parse(&mut parser, name)?),
                ParamType::Int => {
                    #[allow(clippy::cast_precision_loss)]
                    let number = i64::parse(&mut parser, name)? as f64;
                    ArgValue::Number(number)
                }
                ParamType::Number => {
                    let text = String::parse(&mut parser, name)?;
                    let number: f64 =
                        text.parse().ok().filter(|n: &f64| n.is_finite()).ok_or_else(|| {
                            CommandError::usage(format!("<{name}> is a number, not '{text}'."))
                        })?;
                    ArgValue::Number(number)
                }
                ParamType::Player => ArgValue::Player(OnlinePlayer::parse(&mut parser, name)?),
                ParamType::Rest => ArgValue::Text(Rest::parse(&mut parser, name)?.0.to_owned()),
                ParamType::Flag(_) => ArgValue::Nil,
            };
            values.push(value);
        }
        if !self.params.is_empty() {
            parser.finish()?;
        }
        Ok(values)
    }
}

impl DynamicHandler for ScriptCommand {
    fn call(&self, ctx: &mut Ctx<'_>) -> CommandResult {
        let args = self.parse_args(ctx)?;
        let sender = ctx.sender();
        let zone = ctx.world::<Zone>();
        let realm_of = |id| zone.and_then(|zone| zone.player(id)).and_then(|info| info.realm_name);
        let sender_realm = realm_of(sender.id);
        let target = ctx.target();
        let target_realm = match target {
            Target::Player(player) => realm_of(player.id),
            _ => None,
        };
        let (form, cmd_char, params) = (ctx.form(), ctx.cmd_char(), ctx.params().to_owned());
        let api = &self.component.api;
        let taken = std::cell::RefCell::new(None);
        let result = self.component.run(|lua| {
            *api.output.lock() = Output { active: true, ..Output::default() };
            {
                let table = lua.create_table()?;
                table.set(
                    "sender",
                    player_table(lua, sender.name, sender.id.0, sender_realm.as_deref(), sender.freq)?,
                )?;
                let target_table = lua.create_table()?;
                match target {
                    Target::Player(player) => {
                        target_table.set("kind", "player")?;
                        target_table.set("name", player.name)?;
                        target_table.set("id", player.id.0)?;
                        target_table.set("realm", target_realm.as_deref())?;
                        target_table.set("freq", player.freq)?;
                    }
                    Target::Team { freq, .. } => {
                        target_table.set("kind", "team")?;
                        target_table.set("freq", freq)?;
                    }
                    Target::External(name) => {
                        target_table.set("kind", "external")?;
                        target_table.set("name", name)?;
                    }
                    Target::Scope(_) => target_table.set("kind", "scope")?,
                }
                table.set("target", target_table)?;
                table.set("form", form.as_str())?;
                table.set("cmd_char", cmd_char.to_string())?;
                table.set("params", params.as_str())?;
                table.set("command", self.def.name)?;
                table.set("reply", &api.reply)?;
                table.set("reply_target", &api.reply_target)?;
                table.set("fail", &api.fail)?;
                let mut values = vec![Value::Table(table)];
                for arg in &args {
                    values.push(match arg {
                        ArgValue::Nil => Value::Nil,
                        ArgValue::Bool(b) => Value::Boolean(*b),
                        ArgValue::Number(n) => Value::Number(*n),
                        ArgValue::Text(text) => Value::String(lua.create_string(text)?),
                        ArgValue::Player(p) => {
                            let realm = realm_of(p.id);
                            Value::Table(player_table(lua, &p.name, p.id.0, realm.as_deref(), p.freq)?)
                        }
                    });
                }
                let run: Function = lua.registry_value(&self.run)?;
                let ran = run.call::<()>(MultiValue::from_iter(values));
                // Taken while the VM is still this call's, so no other
                // call's lines mix in.
                *taken.borrow_mut() = Some(std::mem::take(&mut *api.output.lock()));
                ran
            }
        });
        let output = taken.into_inner().unwrap_or_default();
        let shown = format!("{}{}", self.def.cmd_char.unwrap_or(cmd_char), self.def.name);
        {
            let mut reply = ctx.reply();
            for line in &output.sender {
                reply.line(line);
            }
        }
        {
            let mut reply = ctx.reply_to_target();
            for line in &output.target {
                reply.line(line);
            }
        }
        if output.left_out > 0 {
            ctx.reply().line(&format!("({} more lines from {shown} were left out.)", output.left_out));
        }
        match result {
            Ok(()) => match output.failure {
                Some(failure) => Err(CommandError::failed(failure)),
                None => Ok(()),
            },
            Err(failure) => {
                let component = &self.component.manifest.name;
                if let Some(left_out) = self.component.failures.take() {
                    warn!(component = %component, command = %shown, player = %sender.name, left_out, "script command: {failure}");
                }
                let apology = match failure {
                    ScriptFailure::Budget => format!("Sorry, {shown} took too long and was stopped."),
                    ScriptFailure::Memory => format!("Sorry, {shown} ran out of memory and was stopped."),
                    ScriptFailure::Error(_) => {
                        format!(
                            "Sorry, {shown} failed (an error in component {component}; the zone's log has it)."
                        )
                    }
                };
                Err(CommandError::failed(apology))
            }
        }
    }
}

/// One component's state as `component list` and `?health` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The name (the folder's name when the manifest cannot be read).
    pub name: String,
    /// The version, if known.
    pub version: Option<String>,
    /// `Ok(commands)` when loaded, else why not.
    pub status: Result<Vec<String>, String>,
}

/// The zone's script components: the installed ones, loaded in name order
/// at start-up, and what failed.
#[derive(Debug)]
pub struct Scripts {
    data_dir: PathBuf,
    places: Places,
    zone: ZoneLink,
    loaded: Arc<Mutex<BTreeMap<String, Arc<ScriptComponent>>>>,
    failed: Mutex<BTreeMap<String, (Option<String>, String)>>,
    /// The kept `?attach`/`?detach` changes.
    kept: persist::Kept,
    /// Other problems for `?health`: a bad attachments file, components
    /// `zone.ron` names that are not there.
    problems: Mutex<Vec<String>>,
}

impl Scripts {
    /// The script components of a zone whose data directory is `data_dir`,
    /// with its kept attachment changes (none loaded yet).
    pub fn new(data_dir: &Path, config_dir: Option<PathBuf>, limits: ScriptLimits) -> Scripts {
        let (kept, problem) = persist::Kept::load(data_dir);
        if let Some(problem) = &problem {
            warn!("kept attachments: {problem}");
        }
        Scripts {
            data_dir: data_dir.to_owned(),
            places: Places { config_dir, files_root: data_dir.join("component-files"), limits },
            zone: ZoneLink::default(),
            loaded: Arc::new(Mutex::new(BTreeMap::new())),
            failed: Mutex::new(BTreeMap::new()),
            kept,
            problems: Mutex::new(problem.into_iter().collect()),
        }
    }

    /// The kept `?attach`/`?detach` changes.
    pub fn kept(&self) -> &persist::Kept {
        &self.kept
    }

    /// Records a problem for `?health` (logged by the caller).
    pub fn report(&self, problem: String) {
        let mut problems = self.problems.lock();
        if !problems.contains(&problem) && problems.len() < 100 {
            problems.push(problem);
        }
    }

    /// The problems recorded: failed components first, then the others.
    pub fn problems(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .failed
            .lock()
            .iter()
            .map(|(name, (_, reason))| format!("Script component {name} is not loaded: {reason}"))
            .collect();
        all.extend(self.problems.lock().iter().cloned());
        all
    }

    /// Where installed components are kept: `<data>/components`.
    pub fn installed_dir(&self) -> PathBuf {
        installed_dir(&self.data_dir)
    }

    /// Lets the components' zone API reach `zone`, and starts the thread
    /// that delivers events and fires timers.
    pub fn link(&self, zone: &Arc<Zone>) {
        self.zone.set(zone);
        events::start(self.loaded.clone(), self.zone.clone(), &self.zone.emitter);
        self.zone.emitter.set_wanted(events::wanted(&self.loaded));
    }

    /// Where the zone's events go.
    pub fn emitter(&self) -> Arc<events::Emitter> {
        self.zone.emitter.clone()
    }

    /// Tells the components whose attachment changed (attached somewhere
    /// after nowhere, or the reverse): after every attach or detach.
    pub fn attachments_changed(&self, registry: &Registry) {
        events::attachments_changed(&self.loaded, &registry.tables().attachments(), &self.zone.emitter);
    }

    /// Loads every installed component, in name order, into `registry`. A
    /// component that fails is recorded with its reason and left out.
    pub fn load_installed(&self, registry: &Registry) {
        for dir in installed(&self.data_dir) {
            let folder = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            if folder.starts_with('.') {
                // A copy left half-done by a crash during an install.
                continue;
            }
            if self.loaded.lock().len() >= MAX_COMPONENTS {
                let problem = format!(
                    "Script component {folder} is not loaded: a zone loads at most {MAX_COMPONENTS} script components"
                );
                warn!("{problem}");
                self.report(problem);
                continue;
            }
            if let Err(error) = self.load_into(registry, &dir) {
                warn!("script component {folder} not loaded: {error}");
                let (name, version) = match read_manifest(&dir) {
                    Ok(manifest) => (manifest.name, Some(manifest.version)),
                    Err(_) => (folder, None),
                };
                self.failed.lock().insert(name, (version, error));
            }
        }
    }

    /// Loads the component in `dir` and adds it to `registry`.
    fn load_into(&self, registry: &Registry, dir: &Path) -> Result<Arc<ScriptComponent>, String> {
        let loaded =
            ScriptComponent::load(dir, &self.places, &self.zone).map_err(|error| error.to_string())?;
        let name = loaded.component.manifest.name.clone();
        registry.install(declare::keep_str(&name), loaded.commands).map_err(|error| error.to_string())?;
        info!(component = %name, version = %loaded.component.manifest.version, "script component loaded");
        self.loaded.lock().insert(name.clone(), loaded.component.clone());
        self.failed.lock().remove(&name);
        self.zone.emitter.set_wanted(events::wanted(&self.loaded));
        Ok(loaded.component)
    }

    /// Installs the component in `source` (a folder): checks it loads,
    /// copies it under the data directory, and adds it to `registry`. It
    /// is attached nowhere yet.
    ///
    /// # Errors
    /// Why not, in a sentence: it does not load, or one of that name is
    /// installed or compiled in.
    pub fn install(&self, registry: &Registry, source: &Path) -> Result<Arc<ScriptComponent>, String> {
        // A bare name is an installed folder (`zone-server component
        // install` while the zone ran).
        let installed = self.installed_dir().join(source);
        let is_name = source.components().count() == 1 && installed.join(MANIFEST).exists();
        let source = if is_name { installed.as_path() } else { source };
        if self.loaded.lock().len() >= MAX_COMPONENTS {
            return Err(format!(
                "a zone loads at most {MAX_COMPONENTS} script components; uninstall one first"
            ));
        }
        let manifest = check(source, &self.places)?.manifest;
        if registry.tables().component(&manifest.name).is_some() {
            return Err(format!("a component called {} is there already", manifest.name));
        }
        if is_name {
            return self.load_into(registry, source);
        }
        let dir = copy_in(source, &self.data_dir, &manifest.name)?;
        match self.load_into(registry, &dir) {
            Ok(component) => Ok(component),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(error)
            }
        }
    }

    /// Uninstalls `name`: out of `registry` (detached everywhere), and its
    /// folder removed. Its files folder stays, for a later install.
    ///
    /// # Errors
    /// Why not, in a sentence.
    pub fn uninstall(&self, registry: &Registry, name: &str) -> Result<(), String> {
        if !zone_names::is_group_name(name) {
            return Err(format!("'{name}' is not a component name"));
        }
        let dir = self.installed_dir().join(name);
        let known = self.loaded.lock().contains_key(name) || self.failed.lock().contains_key(name);
        if !known && !dir.join(MANIFEST).exists() {
            return Err(format!("no script component called {name} is installed"));
        }
        if self.loaded.lock().contains_key(name) {
            registry.uninstall(name).map_err(|error| error.to_string())?;
        }
        let removed = self.loaded.lock().remove(name);
        if let Some(component) = &removed {
            // Nothing of it runs again: no events, no timers.
            component.clock.cancel_all();
        }
        self.zone.emitter.set_wanted(events::wanted(&self.loaded));
        self.failed.lock().remove(name);
        if let Err(error) = self.kept.forget(name) {
            warn!("kept attachments of {name} not forgotten: {error}");
        }
        // The folder it was loaded from (its folder's name may differ from
        // its manifest's), when that is one of the installed ones.
        if let Some(component) = removed
            && component.dir.parent() == Some(self.installed_dir().as_path())
            && component.dir.join(MANIFEST).exists()
        {
            return std::fs::remove_dir_all(&component.dir)
                .map_err(|error| format!("{}: {error}", component.dir.display()));
        }
        remove_installed(&self.data_dir, name)
    }

    /// Every installed component: loaded ones with their commands, failed
    /// ones with their reason, in name order.
    pub fn list(&self) -> Vec<Listed> {
        let mut all: Vec<Listed> = self
            .loaded
            .lock()
            .values()
            .map(|component| Listed {
                name: component.manifest.name.clone(),
                version: Some(component.manifest.version.clone()),
                status: Ok(component.commands.iter().map(|def| def.name.to_owned()).collect()),
            })
            .collect();
        all.extend(self.failed.lock().iter().map(|(name, (version, reason))| Listed {
            name: name.clone(),
            version: version.clone(),
            status: Err(reason.clone()),
        }));
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Whether some installed component failed to load.
    pub fn any_failed(&self) -> bool {
        !self.failed.lock().is_empty()
    }

    /// Whether `name` is a script component this zone loaded.
    pub fn is_loaded(&self, name: &str) -> bool {
        self.loaded.lock().contains_key(name)
    }
}

/// `<data>/components`.
pub fn installed_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("components")
}

/// The folders of installed components, in name order.
pub fn installed(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(installed_dir(data_dir)) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A component that loads: its manifest and its commands' names.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The manifest.
    pub manifest: Manifest,
    /// Its commands, as `?roll` (with `*` for one bound to `*`).
    pub commands: Vec<String>,
}

/// Checks that the component in `source` loads (in a VM of its own that is
/// then dropped): its manifest, config and sources, and that its
/// declarations keep the rules of DESIGN §4.1 (checked by a registry of its
/// own, as the zone's will).
///
/// # Errors
/// The load error, with its file and line.
pub fn check(source: &Path, places: &Places) -> Result<Checked, String> {
    // Its top-level code runs: whatever it writes goes to a folder dropped
    // after, not to the real files folder.
    let scratch = tempfile::tempdir().map_err(|error| error.to_string())?;
    let places = &Places { files_root: scratch.path().to_owned(), ..places.clone() };
    let loaded =
        ScriptComponent::load(source, places, &ZoneLink::default()).map_err(|error| error.to_string())?;
    let registry =
        Registry::new(std::iter::empty(), cmdman::Settings::default()).map_err(|e| e.to_string())?;
    let name = declare::keep_str(&loaded.component.manifest.name);
    registry.install(name, loaded.commands).map_err(|error| error.to_string())?;
    let commands = loaded
        .component
        .commands
        .iter()
        .map(|def| format!("{}{}", def.cmd_char.unwrap_or('?'), def.name))
        .collect();
    Ok(Checked { manifest: loaded.component.manifest.clone(), commands })
}

/// The entries one zip may hold.
const ZIP_ENTRIES: usize = 256;

/// Unpacks a component's `.zip` into a temporary folder and returns the
/// folder holding its `component.ron`: the zip's top, or its one folder.
/// Entries whose names would leave the folder (`..`, absolute paths) are
/// refused, and so are more than 256 entries or one over 1 MiB.
///
/// # Errors
/// An unreadable or refused zip, in a sentence.
pub fn unzip(path: &Path) -> Result<Unpacked, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|error| format!("{}: {error}", path.display()))?;
    if archive.len() > ZIP_ENTRIES {
        return Err(format!(
            "{} holds {} entries; a component holds at most {ZIP_ENTRIES}",
            path.display(),
            archive.len()
        ));
    }
    let temp = tempfile::tempdir().map_err(|error| error.to_string())?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|error| format!("{}: {error}", path.display()))?;
        let shown = entry.name().map_or_else(|_| "?".to_owned(), |name| name.into_owned());
        let Some(name) = entry.enclosed_name() else {
            return Err(format!("{} holds '{}', which would leave its folder", path.display(), shown));
        };
        let target = temp.path().join(name);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|error| error.to_string())?;
            continue;
        }
        if entry.size() > FILE_BOUND {
            return Err(format!(
                "{} holds '{}', larger than {} KiB",
                path.display(),
                shown,
                FILE_BOUND >> 10
            ));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|error| error.to_string())?;
        }
        let mut bytes = Vec::new();
        // The size in the header may lie; never read past the bound.
        entry.by_ref().take(FILE_BOUND + 1).read_to_end(&mut bytes).map_err(|error| error.to_string())?;
        if bytes.len() as u64 > FILE_BOUND {
            return Err(format!(
                "{} holds '{}', larger than {} KiB",
                path.display(),
                shown,
                FILE_BOUND >> 10
            ));
        }
        std::fs::write(&target, bytes).map_err(|error| error.to_string())?;
    }
    let top = temp.path().to_owned();
    let folder = if top.join(MANIFEST).exists() {
        top
    } else {
        let dirs: Vec<PathBuf> = std::fs::read_dir(&top)
            .map_err(|error| error.to_string())?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.join(MANIFEST).exists())
            .collect();
        match dirs.as_slice() {
            [one] => one.clone(),
            _ => return Err(format!("{} has no {MANIFEST} at its top or in one folder", path.display())),
        }
    };
    Ok(Unpacked { _temp: temp, folder })
}

/// A zip unpacked by [`unzip`]; removed when dropped.
#[derive(Debug)]
pub struct Unpacked {
    _temp: tempfile::TempDir,
    folder: PathBuf,
}

impl Unpacked {
    /// The folder holding `component.ron`.
    pub fn path(&self) -> &Path {
        &self.folder
    }
}

/// Copies the folder `source` to `<data>/components/<name>`: its regular
/// files and folders, at most 1 MiB each and 256 files.
///
/// # Errors
/// When one of that name is installed, or the copy fails (nothing is left
/// behind then).
pub fn copy_in(source: &Path, data_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = installed_dir(data_dir).join(name);
    if dir.exists() {
        return Err(format!("a component called {name} is installed already ({})", dir.display()));
    }
    let staging = installed_dir(data_dir).join(format!(".{name}.installing"));
    let _ = std::fs::remove_dir_all(&staging);
    let copied = copy_tree(source, &staging, &mut 0);
    match copied.and_then(|()| std::fs::rename(&staging, &dir).map_err(|e| e.to_string())) {
        Ok(()) => Ok(dir),
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(format!("copying {} failed: {error}", source.display()))
        }
    }
}

fn copy_tree(from: &Path, to: &Path, count: &mut usize) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, count)?;
        } else if kind.is_file() {
            *count += 1;
            if *count > 256 {
                return Err("a component folder holds at most 256 files".to_owned());
            }
            if entry.metadata().map_err(|e| e.to_string())?.len() > FILE_BOUND {
                return Err(format!("{} is larger than {} KiB", entry.path().display(), FILE_BOUND >> 10));
            }
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", entry.path().display()))?;
        }
        // Links and other kinds are left behind: a component is plain files.
    }
    Ok(())
}

/// Removes `<data>/components/<name>`.
///
/// # Errors
/// The OS's refusal.
pub fn remove_installed(data_dir: &Path, name: &str) -> Result<(), String> {
    if !zone_names::is_group_name(name) {
        return Err(format!("'{name}' is not a component name"));
    }
    let dir = installed_dir(data_dir).join(name);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("{}: {error}", dir.display())),
    }
}
