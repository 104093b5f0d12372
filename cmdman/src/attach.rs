//! Where components are attached, and the lookup tables that follow from it
//! (DESIGN §3, §4.3).
//!
//! Every scope with attachments of its own (and the zone) has a merged table:
//! each name maps to one slot per depth along the scope's chain (zone, realm,
//! game), so one hash lookup finds every command of that name a player there
//! can reach, most specific last. Tables are rebuilt from the attachment list
//! on every attach or detach; dispatch only reads them.

use std::collections::HashMap as StdHashMap;

/// The tables' maps: std's `HashMap` with foldhash, several times faster than
/// SipHash on short names. The keys are our own command names and scopes, so
/// the hash need not resist chosen keys.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use crate::target::{Location, Scope};

/// One command index per depth (zone, realm, game) along a scope chain.
pub(crate) type Slots = [Option<u32>; 3];

/// The names reachable from one scope.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    general: HashMap<Box<str>, Slots>,
    by_char: Vec<(char, HashMap<Box<str>, Slots>)>,
    catch_all: Slots,
    catch_all_by_char: Vec<(char, Slots)>,
}

impl Table {
    /// The slots of `name` in the table of `cmd_char` (`None`: the general table).
    pub(crate) fn named(&self, cmd_char: Option<char>, name: &str) -> Option<&Slots> {
        match cmd_char {
            None => self.general.get(name),
            Some(c) => self.by_char.iter().find(|(table_char, _)| *table_char == c)?.1.get(name),
        }
    }

    /// The catch-all slots for `cmd_char` (`None`: the general catch-all).
    pub(crate) fn catch_all(&self, cmd_char: Option<char>) -> Option<&Slots> {
        match cmd_char {
            None => Some(&self.catch_all),
            Some(c) => self.catch_all_by_char.iter().find(|(table_char, _)| *table_char == c).map(|(_, s)| s),
        }
    }

    /// Every name's slots (a command with aliases appears once per name).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Slots> {
        self.general.values().chain(self.by_char.iter().flat_map(|(_, table)| table.values()))
    }

    fn slots_mut(&mut self, cmd_char: Option<char>, name: Option<&str>) -> &mut Slots {
        match (cmd_char, name) {
            (None, None) => &mut self.catch_all,
            (Some(c), None) => {
                let at = match self.catch_all_by_char.iter().position(|(table_char, _)| *table_char == c) {
                    Some(at) => at,
                    None => {
                        self.catch_all_by_char.push((c, Slots::default()));
                        self.catch_all_by_char.len() - 1
                    }
                };
                &mut self.catch_all_by_char[at].1
            }
            (None, Some(name)) => self.general.entry(name.into()).or_default(),
            (Some(c), Some(name)) => {
                let at = match self.by_char.iter().position(|(table_char, _)| *table_char == c) {
                    Some(at) => at,
                    None => {
                        self.by_char.push((c, HashMap::default()));
                        self.by_char.len() - 1
                    }
                };
                self.by_char[at].1.entry(name.into()).or_default()
            }
        }
    }

    /// Every slot set with its key, for overlaying.
    fn all(&self) -> Vec<(Option<char>, Option<&str>, &Slots)> {
        let mut all: Vec<(Option<char>, Option<&str>, &Slots)> = Vec::new();
        all.extend(self.general.iter().map(|(name, slots)| (None, Some(&**name), slots)));
        for (c, table) in &self.by_char {
            all.extend(table.iter().map(|(name, slots)| (Some(*c), Some(&**name), slots)));
        }
        all.push((None, None, &self.catch_all));
        all.extend(self.catch_all_by_char.iter().map(|(c, slots)| (Some(*c), None, slots)));
        all
    }
}

/// A name as conflicts and shadows write it: `score`, `*warn`, `catch-all`.
fn key_text(cmd_char: Option<char>, name: Option<&str>) -> String {
    let mut text = cmd_char.map(String::from).unwrap_or_default();
    text.push_str(name.unwrap_or("catch-all"));
    text
}

/// What the tables are built from, as plain entries, so the tables keep
/// their own invariants without reaching into the registry: each command's
/// component, cmd char, names and keys (in registry order), and each
/// component's commands.
#[derive(Debug, Default, Clone)]
pub(crate) struct Catalog {
    pub(crate) commands: Vec<Entry>,
    /// Each component, in registry order.
    pub(crate) components: Vec<CatalogComponent>,
}

/// One component in a [`Catalog`].
#[derive(Debug, Clone)]
pub(crate) struct CatalogComponent {
    pub(crate) name: &'static str,
    /// Its commands' indices.
    pub(crate) commands: Vec<usize>,
    /// Added at runtime: a compiled component wins a conflict over it.
    pub(crate) script: bool,
}

/// One command in a [`Catalog`].
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) component: &'static str,
    pub(crate) cmd_char: Option<char>,
    /// Its name and aliases; `None` alone for a catch-all.
    pub(crate) names: Vec<Option<&'static str>>,
    /// The key text of each name, as conflicts are reported (`?where`, `*catch-all`).
    pub(crate) keys: Vec<String>,
}

/// A command that was not added because another component offers the same
/// name for the same cmd char in the same scope (DESIGN §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The name at issue: `score`, `*warn`, or `catch-all`.
    pub name: String,
    /// The scope both components are attached to.
    pub scope: Scope,
    /// The component whose command stays: a compiled one over a script
    /// one; of two compiled ones the one attached first; of two script ones
    /// the first in name order.
    pub kept: &'static str,
    /// The component whose command was not added.
    pub refused: &'static str,
}

/// A command hiding a less specific one of the same name inside its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    /// The name at issue.
    pub name: String,
    /// The more specific scope, where `component`'s command wins.
    pub scope: Scope,
    /// The component whose command wins in `scope`.
    pub component: &'static str,
    /// The component whose command is hidden there, and its scope.
    pub hides: (&'static str, Scope),
}

/// The attachment list and the tables built from it.
#[derive(Debug, Default)]
pub(crate) struct Attachments {
    /// (component index, scope), in the order attached: the earlier wins a
    /// conflict between two compiled or two script components.
    pub(crate) list: Vec<(usize, Scope)>,
    tables: HashMap<Scope, Table>,
    zone: Table,
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) shadows: Vec<Shadow>,
}

impl Attachments {
    /// The table for a player (or team) at `location`: its game's if the game
    /// has attachments, else its realm's, else the zone's.
    pub(crate) fn table_for(&self, location: Location) -> &Table {
        // Usually nothing is attached below the zone: no lookups then.
        if self.tables.is_empty() {
            return &self.zone;
        }
        if let (Some(realm), Some(game)) = (location.realm, location.game)
            && let Some(table) = self.tables.get(&Scope::Game(realm, game))
        {
            return table;
        }
        if let Some(realm) = location.realm
            && let Some(table) = self.tables.get(&Scope::Realm(realm))
        {
            return table;
        }
        &self.zone
    }

    /// Rebuilds every table from `list`.
    pub(crate) fn rebuild(&mut self, catalog: &Catalog) {
        self.conflicts.clear();
        self.shadows.clear();
        // Each scope's own entries first, conflicts refused in attach order
        // among compiled components, which come before script ones, and in
        // name order among script ones (seed 001: the first in name order wins).
        let mut order: Vec<(usize, Scope)> = self.list.clone();
        order.sort_by_key(|&(component, _)| {
            let entry = &catalog.components[component];
            (entry.script, if entry.script { entry.name } else { "" })
        });
        let mut own: Vec<(Scope, Table)> = Vec::new();
        for &(component, scope) in &order {
            let at = match own.iter().position(|(s, _)| *s == scope) {
                Some(at) => at,
                None => {
                    own.push((scope, Table::default()));
                    own.len() - 1
                }
            };
            let depth = scope.depth();
            for command_index in &catalog.components[component].commands {
                let entry = &catalog.commands[*command_index];
                for (name, key) in entry.names.iter().zip(&entry.keys) {
                    let slot = &mut own[at].1.slots_mut(entry.cmd_char, *name)[depth];
                    match *slot {
                        Some(first) => self.conflicts.push(Conflict {
                            name: key.clone(),
                            scope,
                            kept: catalog.commands[first as usize].component,
                            refused: catalog.components[component].name,
                        }),
                        None => *slot = Some(*command_index as u32),
                    }
                }
            }
        }
        // Then merged tables, outer scopes first so inner ones overlay them.
        own.sort_by_key(|(scope, _)| scope.depth());
        self.zone = Table::default();
        self.tables.clear();
        for (scope, table) in &own {
            let mut merged = match scope.parent() {
                None => Table::default(),
                Some(Scope::Zone) => self.zone.clone(),
                Some(parent) => self.tables.get(&parent).unwrap_or(&self.zone).clone(),
            };
            let depth = scope.depth();
            for (cmd_char, name, slots) in table.all() {
                let Some(index) = slots[depth] else { continue };
                let target = merged.slots_mut(cmd_char, name);
                let hidden = (0..depth).rev().find_map(|d| target[d].map(|i| (i, d)));
                // A component attached both outside and inside hides nothing of note.
                let hidden = hidden.filter(|&(i, _)| {
                    catalog.commands[i as usize].component != catalog.commands[index as usize].component
                });
                if let Some(hidden) = hidden {
                    let hidden_command = &catalog.commands[hidden.0 as usize];
                    let hidden_scope = match (hidden.1, *scope) {
                        (0, _) => Scope::Zone,
                        (_, Scope::Game(realm, _)) => Scope::Realm(realm),
                        _ => Scope::Zone,
                    };
                    self.shadows.push(Shadow {
                        name: key_text(cmd_char, name),
                        scope: *scope,
                        component: catalog.commands[index as usize].component,
                        hides: (hidden_command.component, hidden_scope),
                    });
                }
                target[depth] = Some(index);
            }
            match scope {
                Scope::Zone => self.zone = merged,
                _ => {
                    self.tables.insert(*scope, merged);
                }
            }
        }
        // A realm whose games have attachments but which has none of its own
        // needs no table: its games' tables were built on the zone's.
    }
}
