//! The command table: every command compiled in, grouped into components,
//! checked once at start-up, and script components added and removed at
//! runtime; where each component is attached (DESIGN §3), which changes at
//! runtime; and per-command statistics. Every change publishes new
//! [`Tables`] (read-copy-update through `arc-swap`): dispatch never waits
//! for a lock.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use thread_local::ThreadLocal;

use crate::COMMANDS;
use crate::attach::{Attachments, Catalog, CatalogComponent, Conflict, Entry, Shadow};
use crate::context::Ctx;
use crate::def::{CommandDef, TargetForm};
use crate::error::{AttachError, CommandResult, RegistryError, Site};
use crate::target::{CommandRef, Location, Scope};

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

/// A registered command: its declaration, its component and its statistics.
#[derive(Clone)]
pub struct Command {
    def: &'static CommandDef,
    component: &'static str,
    index: usize,
    version: u64,
    /// Shared by every [`Tables`] the command is in, so a change of the
    /// command set keeps its statistics.
    stats: Arc<Stats>,
    /// The handler of a command added at runtime ([`Handler::Dynamic`](crate::Handler::Dynamic)).
    dynamic: Option<Arc<dyn DynamicHandler>>,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("name", &self.def.name)
            .field("component", &self.component)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// The handler of a command added at runtime (a script component's): what
/// [`Handler::Dynamic`](crate::Handler::Dynamic) in its declaration stands for. It runs to completion
/// on the dispatching task, so it must bound its own time (a script's
/// instruction budget).
pub trait DynamicHandler: Send + Sync {
    /// Runs the command.
    ///
    /// # Errors
    /// As any handler: the failure the player sees.
    fn call(&self, ctx: &mut Ctx<'_>) -> CommandResult;
}

impl Command {
    fn new(def: &'static CommandDef, dynamic: Option<Arc<dyn DynamicHandler>>) -> Command {
        Command { def, component: def.component_name(), index: 0, version: 0, stats: Arc::default(), dynamic }
    }

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

    /// The command's place in [`Tables::commands`], which
    /// [`Compiled`](crate::Compiled) tables are indexed by.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The [`Tables::version`] of the command set the index belongs to.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The handler of a command added at runtime.
    pub(crate) fn dynamic(&self) -> Option<&dyn DynamicHandler> {
        self.dynamic.as_deref()
    }

    /// The command as [`World::allows`](crate::World::allows) is asked about
    /// it for `form`.
    pub fn for_form(&self, form: TargetForm) -> CommandRef<'_> {
        CommandRef {
            index: self.index,
            version: self.version,
            name: self.def.name,
            cmd_char: self.def.cmd_char,
            group: self.def.group(form),
        }
    }

    /// The name as typed with a cmd char: `?usage`, or `*warn` for a command
    /// bound to `*`, or `?<any>` for a catch-all.
    pub fn display_name(&self, cmd_char: char) -> String {
        let cmd_char = self.def.cmd_char.unwrap_or(cmd_char);
        if self.def.catch_all { format!("{cmd_char}<any>") } else { format!("{cmd_char}{}", self.def.name) }
    }

    /// The usage line, generated from the declaration: `?usage [player]`, or
    /// `*warn <message>` for a command bound to `*`.
    pub fn usage(&self, cmd_char: char) -> String {
        let name = self.display_name(cmd_char);
        match self.def.usage_args() {
            Some(args) => format!("{name} {args}"),
            None => name,
        }
    }

    /// How often the command ran, failed, and how long it took.
    pub fn stats(&self) -> StatsSnapshot {
        let calls = self.stats.calls();
        let samples = self.stats.samples.load(Ordering::Relaxed);
        let sampled = u128::from(self.stats.sampled_nanos.load(Ordering::Relaxed));
        let nanos = match samples {
            0 => 0,
            _ => sampled * u128::from(calls) / u128::from(samples),
        };
        StatsSnapshot {
            calls,
            errors: self.stats.errors.load(Ordering::Relaxed),
            usage_errors: self.stats.usage_errors.load(Ordering::Relaxed),
            denied: self.stats.denied.load(Ordering::Relaxed),
            refused: self.stats.refused.load(Ordering::Relaxed),
            time: Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)),
        }
    }

    /// Counts a call; whether to time it: this thread's first, then every
    /// [`TIME_SAMPLE`]th of this thread's (reading the clock costs as much as
    /// a cheap handler).
    pub(crate) fn take_sample(&self) -> bool {
        // This thread's count: no other thread writes it, so a load and a
        // store count exactly, without a locked instruction.
        let mine = self.stats.calls.get_or_default();
        let before = mine.load(Ordering::Relaxed);
        mine.store(before + 1, Ordering::Relaxed);
        before.is_multiple_of(TIME_SAMPLE)
    }

    pub(crate) fn record_time(&self, nanos: u64) {
        self.stats.sampled_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.stats.samples.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a handler error; `usage` for an argument error.
    pub(crate) fn record_error(&self, usage: bool) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        if usage {
            self.stats.usage_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a line the ladder refused.
    pub(crate) fn record_denied(&self) {
        self.stats.denied.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a line sent in a form the command does not take, or aimed
    /// outside its attach scope.
    pub(crate) fn record_refused(&self) {
        self.stats.refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn site(&self) -> Site {
        Site { component: self.component, file: self.def.file, line: self.def.line }
    }
}

/// One call in this many is timed (the first always is).
pub const TIME_SAMPLE: u64 = 16;

#[derive(Debug, Default)]
struct Stats {
    /// The calls, a count per thread (issue 15): each thread adds to its own,
    /// alone on its cache line, so threads running the same command do not
    /// pass one line between their cores on every call. A thread that ends
    /// leaves its count to the next thread given its id (`thread_local`
    /// reuses ids), so the sum stays exact and the counts are bounded by the
    /// threads alive at once.
    calls: ThreadLocal<CachePadded<AtomicU64>>,
    errors: AtomicU64,
    usage_errors: AtomicU64,
    denied: AtomicU64,
    refused: AtomicU64,
    sampled_nanos: AtomicU64,
    samples: AtomicU64,
}

impl Stats {
    /// Every thread's calls.
    fn calls(&self) -> u64 {
        self.calls.iter().map(|mine| mine.load(Ordering::Relaxed)).sum()
    }
}

/// A command's statistics at one moment (seed `000`: per-plugin stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// How many times the handler ran.
    pub calls: u64,
    /// How many of those runs returned an error (argument errors included).
    pub errors: u64,
    /// How many of the errors were argument errors (a usage line was shown).
    pub usage_errors: u64,
    /// Lines that named the command and were refused by the ladder (the
    /// handler did not run; not in `calls`).
    pub denied: u64,
    /// Lines that named the command in a form it does not take, or aimed
    /// outside its attach scope (not in `calls`).
    pub refused: u64,
    /// Time spent in the handler over every call: the mean of the timed
    /// calls (on each thread, the first and every [`TIME_SAMPLE`]th) times
    /// the calls.
    pub time: Duration,
}

/// A component: a named set of commands, attached to scopes as a whole.
#[derive(Debug, Clone)]
pub struct Component {
    name: &'static str,
    script: bool,
    pub(crate) commands: Vec<usize>,
}

impl Component {
    /// The component's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether it was added at runtime ([`Registry::install`]) rather than
    /// compiled in. A compiled component wins a conflict over a script one.
    pub fn is_script(&self) -> bool {
        self.script
    }
}

/// What `?health` reports: problems with components and their attachments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Commands refused because another component offers the same name in the
    /// same scope (DESIGN §4.3).
    pub conflicts: Vec<Conflict>,
    /// Commands that hide a less specific one of the same name inside their
    /// scope: by design (the most specific scope wins), listed so it is seen.
    pub shadows: Vec<Shadow>,
    /// Components known but attached nowhere.
    pub unattached: Vec<&'static str>,
}

/// The command set: every command and component, checked, with the plain
/// entries the lookup tables are built from. Replaced whole when a
/// component is added or removed at runtime.
#[derive(Debug, Clone)]
struct CommandSet {
    version: u64,
    commands: Vec<Command>,
    components: Vec<Component>,
    catalog: Catalog,
    cmd_chars: Vec<char>,
}

impl CommandSet {
    /// Checks and sorts `commands` (by component, name, cmd char) and
    /// numbers them for `version`.
    fn build(
        mut commands: Vec<Command>,
        scripts: &[&'static str],
        version: u64,
        cmd_chars: Vec<char>,
    ) -> Result<CommandSet, RegistryError> {
        commands.sort_by(|a, b| {
            (a.component, a.def.name, a.def.cmd_char).cmp(&(b.component, b.def.name, b.def.cmd_char))
        });
        for (index, command) in commands.iter_mut().enumerate() {
            command.index = index;
            command.version = version;
        }
        let mut components: Vec<Component> = Vec::new();
        for (index, command) in commands.iter().enumerate() {
            check_declaration(command)?;
            match components.last_mut() {
                Some(last) if last.name == command.component => last.commands.push(index),
                _ => components.push(Component {
                    name: command.component,
                    script: scripts.contains(&command.component),
                    commands: vec![index],
                }),
            }
        }
        // A script component may have only event handlers and timers: it is
        // a component all the same, to attach and detach.
        for &name in scripts {
            if !components.iter().any(|component| component.name == name) {
                components.push(Component { name, script: true, commands: Vec::new() });
            }
        }
        components.sort_by(|a, b| a.name.cmp(b.name));
        for component in &components {
            let mut seen: Vec<(String, usize)> = Vec::new();
            for &index in &component.commands {
                let command = &commands[index];
                for key in keys(command.def) {
                    if let Some((_, first)) = seen.iter().find(|(seen_key, _)| *seen_key == key) {
                        return Err(RegistryError::Duplicate {
                            name: key,
                            first: commands[*first].site(),
                            second: command.site(),
                        });
                    }
                    seen.push((key, index));
                }
            }
        }
        let catalog = Catalog {
            commands: commands
                .iter()
                .map(|command| {
                    let def = command.def;
                    let names = if def.catch_all {
                        vec![None]
                    } else {
                        std::iter::once(def.name).chain(def.aliases.iter().copied()).map(Some).collect()
                    };
                    Entry { component: command.component, cmd_char: def.cmd_char, names, keys: keys(def) }
                })
                .collect(),
            components: components
                .iter()
                .map(|component| CatalogComponent {
                    name: component.name,
                    commands: component.commands.clone(),
                    script: component.script,
                })
                .collect(),
        };
        Ok(CommandSet { version, commands, components, catalog, cmd_chars })
    }

    fn component_index(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|component| component.name.eq_ignore_ascii_case(name))
    }
}

/// The command table at one moment: the command set and where each
/// component is attached, with the lookup tables built from both. Dispatch
/// reads one [`Tables`] from start to end; every change publishes a new one
/// (read-copy-update), so no lock is held on the dispatch path.
#[derive(Debug)]
pub struct Tables {
    /// Inline, not behind an `Arc` of its own: dispatch reads it on every
    /// line, and attach (rare) clones it.
    set: CommandSet,
    pub(crate) attachments: Attachments,
}

impl Tables {
    /// Which command set this is: it changes when a component is added or
    /// removed (the commands are renumbered then), not on attach or detach.
    /// An access table compiled for another version must not be read by
    /// index.
    pub fn version(&self) -> u64 {
        self.set.version
    }

    /// Every command, sorted by component, then name.
    pub fn commands(&self) -> &[Command] {
        &self.set.commands
    }

    /// Every component, sorted by name.
    pub fn components(&self) -> &[Component] {
        &self.set.components
    }

    /// The commands of `component`.
    pub fn commands_of<'r>(&'r self, component: &'r Component) -> impl Iterator<Item = &'r Command> + 'r {
        component.commands.iter().map(|&index| &self.set.commands[index])
    }

    /// The component called `name` (case is ignored).
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.set.component_index(name).map(|index| &self.set.components[index])
    }

    /// Every attachment, in the order they were made: component and scope.
    pub fn attachments(&self) -> Vec<(&'static str, Scope)> {
        self.attachments.list.iter().map(|&(index, scope)| (self.set.components[index].name, scope)).collect()
    }

    /// Conflicts, shadowed commands and unattached components.
    pub fn health(&self) -> Health {
        let unattached = self
            .set
            .components
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.attachments.list.iter().any(|(attached, _)| attached == index))
            .map(|(_, component)| component.name)
            .collect();
        Health {
            conflicts: self.attachments.conflicts.clone(),
            shadows: self.attachments.shadows.clone(),
            unattached,
        }
    }

    /// The commands a player at `location` can reach through their own scopes
    /// (the most specific of each name), with the scope each is attached to,
    /// sorted by name. Catch-alls and commands that need the sender outside
    /// are left out.
    pub fn available(&self, location: Location) -> Vec<(&Command, Scope)> {
        let mut found: Vec<(&Command, Scope)> = self
            .attachments
            .table_for(location)
            .entries()
            .filter_map(|slots| best_in_chain(self, slots, location, |def, _| def.source_in_scope))
            .map(|(index, scope)| (&self.set.commands[index], scope))
            .filter(|(command, _)| !command.def.catch_all)
            .collect();
        found.sort_by(|a, b| (a.0.def.name, a.0.def.cmd_char).cmp(&(b.0.def.name, b.0.def.cmd_char)));
        found.dedup_by(|a, b| std::ptr::eq(a.0, b.0) && a.1 == b.1);
        found
    }

    /// Looks `name` up for a player at `location` as dispatch does (the table
    /// of `cmd_char`, then the general table; the most specific scope first),
    /// for `?man`. Case is ignored.
    pub fn find(&self, location: Location, cmd_char: char, name: &str) -> Option<(&Command, Scope)> {
        let mut buf = [0u8; 64];
        let name = lowercase(name, &mut buf)?;
        let table = self.attachments.table_for(location);
        [table.named(Some(cmd_char), name), table.named(None, name)]
            .into_iter()
            .flatten()
            .find_map(|slots| best_in_chain(self, slots, location, |_, _| true))
            .map(|(index, scope)| (&self.set.commands[index], scope))
    }

    /// Every command answering to `name` (cmd chars in front are ignored) in
    /// any component, attached or not.
    pub fn find_all(&self, name: &str) -> impl Iterator<Item = &Command> {
        let name = name.trim_start_matches(|c| self.set.cmd_chars.contains(&c)).to_ascii_lowercase();
        self.set.commands.iter().filter(move |command| {
            !command.def.catch_all
                && (command.def.name == name || command.def.aliases.iter().any(|alias| *alias == name))
        })
    }
}

/// The command table. Built once from the compiled commands; components may
/// be added and removed, and attached and detached, at runtime: each change
/// builds new [`Tables`] and publishes them at once, while dispatch keeps
/// reading the ones it started with.
pub struct Registry {
    pub(crate) settings: Settings,
    /// The cmd chars as a set of ASCII codes: bit `c` for `c`.
    cmd_char_set: u128,
    tables: ArcSwap<Tables>,
    /// Serialises changes: each builds on the tables the last one published.
    changing: Mutex<()>,
    /// Times handlers for the statistics.
    pub(crate) clock: quanta::Clock,
    /// Lines that named no command (or a stealth command hidden from the sender).
    unknown: AtomicU64,
    /// The timed calls' durations, while [`Registry::keep_latency`] is on.
    latency: Latency,
    keep_latency: AtomicBool,
}

/// Upper bounds of the [`LatencySnapshot`] buckets, in nanoseconds: 1 µs
/// to 1 s; a last bucket holds everything slower.
pub const LATENCY_BUCKETS_NS: [u64; 16] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    10_000_000,
    25_000_000,
    100_000_000,
    250_000_000,
    1_000_000_000,
];

/// Handler durations of the timed calls, in fixed buckets: one relaxed add
/// per bucket and per sum, no lock.
#[derive(Debug, Default)]
struct Latency {
    buckets: [AtomicU64; LATENCY_BUCKETS_NS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Latency {
    fn record(&self, nanos: u64) {
        let bucket =
            LATENCY_BUCKETS_NS.iter().position(|&bound| nanos <= bound).unwrap_or(LATENCY_BUCKETS_NS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// The handler durations of timed calls (on each thread, the first of each
/// command and every [`TIME_SAMPLE`]th after) since
/// [`Registry::keep_latency`] was turned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySnapshot {
    /// Calls per bucket, not cumulative: `buckets[i]` took at most
    /// [`LATENCY_BUCKETS_NS`]`[i]` and more than the bound before; the last
    /// took more than 1 s.
    pub buckets: [u64; LATENCY_BUCKETS_NS.len() + 1],
    /// Their total time.
    pub sum: Duration,
}

impl LatencySnapshot {
    /// The timed calls counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("settings", &self.settings)
            .field("tables", &self.tables.load())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// The table of every command linked into the binary with `#[command]`.
    ///
    /// # Errors
    /// As [`Registry::new`].
    pub fn linked(settings: Settings) -> Result<Registry, RegistryError> {
        Registry::new(COMMANDS.iter(), settings)
    }

    /// A table of the given declarations, with no component attached anywhere.
    ///
    /// # Errors
    /// [`RegistryError::Illegal`] for a declaration that breaks DESIGN §4.1,
    /// [`RegistryError::Duplicate`] when two commands of one component answer to
    /// one name for one cmd char (or are both its catch-all),
    /// [`RegistryError::BadCmdChar`] for a cmd char that cannot start a command.
    pub fn new(
        defs: impl IntoIterator<Item = &'static CommandDef>,
        settings: Settings,
    ) -> Result<Registry, RegistryError> {
        if let Some(&bad) = settings.cmd_chars.iter().find(|c| !zone_names::is_cmd_char(**c)) {
            return Err(RegistryError::BadCmdChar(bad));
        }
        let commands = defs.into_iter().map(|def| Command::new(def, None)).collect();
        let set = CommandSet::build(commands, &[], 0, settings.cmd_chars.clone())?;
        let tables = Tables { set, attachments: Attachments::default() };
        let cmd_char_set = settings.cmd_chars.iter().fold(0u128, |set, &c| set | 1 << u32::from(c));
        Ok(Registry {
            cmd_char_set,
            settings,
            tables: ArcSwap::from_pointee(tables),
            changing: Mutex::new(()),
            clock: quanta::Clock::new(),
            unknown: AtomicU64::new(0),
            latency: Latency::default(),
            keep_latency: AtomicBool::new(false),
        })
    }

    /// Lines dispatched that named no command the sender could see.
    pub fn unknown_commands(&self) -> u64 {
        self.unknown.load(Ordering::Relaxed)
    }

    pub(crate) fn record_unknown(&self) {
        self.unknown.fetch_add(1, Ordering::Relaxed);
    }

    /// Turns the latency histogram ([`Registry::latency`]) on or off: a
    /// zone with metrics on keeps it. Off, timed calls feed only the
    /// per-command statistics.
    pub fn keep_latency(&self, on: bool) {
        self.keep_latency.store(on, Ordering::Relaxed);
    }

    /// The durations of timed handler calls, bucketed.
    pub fn latency(&self) -> LatencySnapshot {
        let mut snapshot = LatencySnapshot {
            sum: Duration::from_nanos(self.latency.sum_nanos.load(Ordering::Relaxed)),
            ..LatencySnapshot::default()
        };
        for (slot, bucket) in snapshot.buckets.iter_mut().zip(&self.latency.buckets) {
            *slot = bucket.load(Ordering::Relaxed);
        }
        snapshot
    }

    pub(crate) fn record_latency(&self, nanos: u64) {
        if self.keep_latency.load(Ordering::Relaxed) {
            self.latency.record(nanos);
        }
    }

    /// The tables as they are now. Hold them no longer than needed: they
    /// keep removed components' commands alive.
    pub fn tables(&self) -> Arc<Tables> {
        self.tables.load_full()
    }

    /// The tables as they are now, for dispatch: a read guard that costs
    /// no shared reference count (arc-swap's debt slots).
    pub(crate) fn guard(&self) -> arc_swap::Guard<Arc<Tables>> {
        self.tables.load()
    }

    /// Adds a component at runtime (a script component), not attached
    /// anywhere: each command is a declaration with [`Handler::Dynamic`](crate::Handler::Dynamic)
    /// and the handler that runs it. Returns the new [`Tables::version`];
    /// access tables compiled before it must be rebuilt.
    ///
    /// # Errors
    /// [`RegistryError::ComponentExists`] when a component of that name is
    /// there, [`RegistryError::Illegal`] or [`RegistryError::Duplicate`] as
    /// for [`Registry::new`] (nothing is added then).
    pub fn install(
        &self,
        component: &'static str,
        commands: Vec<(&'static CommandDef, Arc<dyn DynamicHandler>)>,
    ) -> Result<u64, RegistryError> {
        let _one_at_a_time = self.changing.lock();
        let current = self.tables.load_full();
        if let Some(existing) = current.component(component) {
            let kind = if existing.script { "script" } else { "compiled" };
            return Err(RegistryError::ComponentExists { name: existing.name.to_owned(), kind });
        }
        if let Some((def, _)) = commands.iter().find(|(def, _)| def.component_name() != component) {
            return Err(RegistryError::Illegal {
                name: def.name.to_owned(),
                site: Site { component, file: def.file, line: def.line },
                reason: "a command added with its component must belong to it",
            });
        }
        let mut all: Vec<Command> = current.set.commands.clone();
        all.extend(commands.into_iter().map(|(def, handler)| Command::new(def, Some(handler))));
        let mut scripts: Vec<&'static str> =
            current.set.components.iter().filter(|c| c.script).map(|c| c.name).collect();
        scripts.push(component);
        self.replace_set(&current, all, &scripts)
    }

    /// Removes a component added with [`Registry::install`], detaching it
    /// everywhere. Returns the new [`Tables::version`].
    ///
    /// # Errors
    /// [`RegistryError::NoSuchComponent`], or [`RegistryError::Compiled`]
    /// for a compiled component.
    pub fn uninstall(&self, component: &str) -> Result<u64, RegistryError> {
        let _one_at_a_time = self.changing.lock();
        let current = self.tables.load_full();
        let found = current
            .component(component)
            .ok_or_else(|| RegistryError::NoSuchComponent(component.to_owned()))?;
        if !found.script {
            return Err(RegistryError::Compiled(found.name.to_owned()));
        }
        let name = found.name;
        let all: Vec<Command> =
            current.set.commands.iter().filter(|c| c.component != name).cloned().collect();
        let scripts: Vec<&'static str> =
            current.set.components.iter().filter(|c| c.script && c.name != name).map(|c| c.name).collect();
        self.replace_set(&current, all, &scripts)
    }

    /// Publishes a new command set built from `commands`, keeping every
    /// attachment of the components still there, in order.
    fn replace_set(
        &self,
        current: &Tables,
        commands: Vec<Command>,
        scripts: &[&'static str],
    ) -> Result<u64, RegistryError> {
        let version = current.set.version + 1;
        let set = CommandSet::build(commands, scripts, version, self.settings.cmd_chars.clone())?;
        let mut attachments = Attachments::default();
        attachments.list = current
            .attachments
            .list
            .iter()
            .filter_map(|&(index, scope)| {
                let name = current.set.components[index].name;
                set.component_index(name).map(|index| (index, scope))
            })
            .collect();
        attachments.rebuild(&set.catalog);
        self.tables.store(Arc::new(Tables { set, attachments }));
        Ok(version)
    }

    /// Builds new tables with `change` made to the current attachment list,
    /// and publishes them if `change` returns `Ok`.
    fn change_attachments<T>(
        &self,
        change: impl FnOnce(&CommandSet, &mut Vec<(usize, Scope)>) -> Result<T, AttachError>,
    ) -> Result<(T, Arc<Tables>), AttachError> {
        let _one_at_a_time = self.changing.lock();
        let current = self.tables.load_full();
        let mut attachments = Attachments::default();
        attachments.list.clone_from(&current.attachments.list);
        let result = change(&current.set, &mut attachments.list)?;
        attachments.rebuild(&current.set.catalog);
        let tables = Arc::new(Tables { set: current.set.clone(), attachments });
        self.tables.store(tables.clone());
        Ok((result, tables))
    }

    /// The settings the table was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cmd char `SEND:CMD` lines without one are taken to use.
    pub fn default_cmd_char(&self) -> char {
        self.settings.cmd_chars.first().copied().unwrap_or('?')
    }

    /// A command line's cmd char and the text after it: a line that does not
    /// start with one uses the default, as ChatNet's `SEND:CMD` allows
    /// (`?usage` → `('?', "usage")`, `usage` → `('?', "usage")`).
    pub fn cmd_char_of<'l>(&self, line: &'l str) -> (char, &'l str) {
        self.strip_cmd_char(line).unwrap_or_else(|| (self.default_cmd_char(), line))
    }

    /// The cmd char `text` starts with and the text after it; `None` when
    /// it starts with none.
    pub(crate) fn strip_cmd_char<'l>(&self, text: &'l str) -> Option<(char, &'l str)> {
        // Cmd chars are ASCII (checked in `Registry::new`): one byte, and
        // the rest starts at a character boundary.
        match text.as_bytes().first() {
            Some(&b) if b < 128 && (self.cmd_char_set >> b) & 1 == 1 => Some((char::from(b), &text[1..])),
            _ => None,
        }
    }

    /// Whether `text` starts with a cmd char, which makes a chat line a command.
    pub fn is_command(&self, text: &str) -> bool {
        self.strip_cmd_char(text).is_some()
    }

    /// Attaches `component` to `scope`: its commands become available there.
    /// A command whose name another component already offers in that very
    /// scope is not added (a compiled component's wins over a script's; of
    /// two compiled ones, the one attached first; of two script ones, the
    /// first in name order); the conflicts are returned and kept for
    /// [`Tables::health`].
    ///
    /// # Errors
    /// [`AttachError::UnknownComponent`], or [`AttachError::AlreadyAttached`].
    pub fn attach(&self, component: &str, scope: Scope) -> Result<Vec<Conflict>, AttachError> {
        let (name, tables) = self.change_attachments(|set, list| {
            let index = set
                .component_index(component)
                .ok_or_else(|| AttachError::UnknownComponent(component.to_owned()))?;
            let name = set.components[index].name;
            if list.contains(&(index, scope)) {
                return Err(AttachError::AlreadyAttached(name.to_owned()));
            }
            list.push((index, scope));
            Ok(name)
        })?;
        Ok(tables
            .attachments
            .conflicts
            .iter()
            .filter(|c| c.refused == name && c.scope == scope)
            .cloned()
            .collect())
    }

    /// Detaches `component` from `scope`.
    ///
    /// # Errors
    /// [`AttachError::UnknownComponent`], or [`AttachError::NotAttached`].
    pub fn detach(&self, component: &str, scope: Scope) -> Result<(), AttachError> {
        self.change_attachments(|set, list| {
            let index = set
                .component_index(component)
                .ok_or_else(|| AttachError::UnknownComponent(component.to_owned()))?;
            let before = list.len();
            list.retain(|&attached| attached != (index, scope));
            if list.len() == before {
                return Err(AttachError::NotAttached(set.components[index].name.to_owned()));
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// Detaches every component from `scope` and the scopes inside it, as when
    /// a realm closes. Returns how many attachments went.
    pub fn detach_scope(&self, scope: Scope) -> usize {
        if !self.tables.load().attachments.list.iter().any(|&(_, attached)| scope.contains_scope(attached)) {
            return 0;
        }
        let result = self.change_attachments(|_, list| {
            let before = list.len();
            list.retain(|&(_, attached)| !scope.contains_scope(attached));
            Ok(before - list.len())
        });
        result.map_or(0, |(removed, _)| removed)
    }
}

/// The most specific command in `slots` (one per depth along `location`'s
/// chain) that `accept` takes, with its scope.
pub(crate) fn best_in_chain(
    tables: &Tables,
    slots: &crate::attach::Slots,
    location: Location,
    accept: impl Fn(&CommandDef, Scope) -> bool,
) -> Option<(usize, Scope)> {
    (0..slots.len()).rev().find_map(|depth| {
        let index = slots[depth]? as usize;
        let scope = Scope::at_depth(location, depth)?;
        accept(tables.set.commands[index].def, scope).then_some((index, scope))
    })
}

/// The keys a command answers to, as written in conflicts: `usage`, `*warn`,
/// `catch-all`, `*catch-all`.
fn keys(def: &CommandDef) -> Vec<String> {
    let prefix = def.cmd_char.map(String::from).unwrap_or_default();
    if def.catch_all {
        return vec![format!("{prefix}catch-all")];
    }
    std::iter::once(def.name)
        .chain(def.aliases.iter().copied())
        .map(|name| format!("{prefix}{name}"))
        .collect()
}

/// `name` in ASCII lower case without allocating: `name` itself when it has
/// no capitals, else a copy in `buf`; `None` if it is longer than `buf` (no
/// command or player name is).
pub fn lowercase<'b>(name: &'b str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let bytes = name.as_bytes();
    if bytes.len() > buf.len() {
        return None;
    }
    // Most names are typed in lower case already.
    if !bytes.iter().any(u8::is_ascii_uppercase) {
        return Some(name);
    }
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
    let valid_name = zone_names::is_command_name;
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
    if def.catch_all && !def.aliases.is_empty() {
        return Err(illegal("a catch-all answers to every unknown name and takes no aliases"));
    }
    if def.catch_all && !def.source_in_scope {
        return Err(illegal("a catch-all is found through the sender's scopes: it needs source_in_scope"));
    }
    if !zone_names::is_group_name(command.component) {
        return Err(illegal("a component name is lower-case ASCII letters, digits, '_' and '-'"));
    }
    if let Some(c) = def.cmd_char
        && !zone_names::is_cmd_char(c)
    {
        return Err(illegal("a command's cmd char must be ASCII punctuation other than '|' and ':'"));
    }
    Ok(())
}
