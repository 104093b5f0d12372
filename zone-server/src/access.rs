//! Who may run what (DESIGN §5): the operator's `groups.ron` and `staff.ron`
//! with moderators' runtime edits (kept in the store) on top, compiled into
//! the ladder's fast path. Every edit or reload builds a new [`Snapshot`];
//! checks read the current one, so a change applies to online players at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use cmdman::ladder::rule_name;
use cmdman::registry::lowercase;
use cmdman::{Command, Compiled, Decision, Effect, Policy, Registry, RuleKey, TargetForm};
use config::{Config, ConfigError, DEFAULT_GROUP};
use parking_lot::Mutex;
use tracing::warn;

use crate::store::{MembershipEdit, Rows, RuleEdit, StoreError, StoreHandle, Time};

/// Where a rule or membership comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The operator's config files.
    Config,
    /// A moderator (or the `staff` command) at runtime.
    Runtime {
        /// Who.
        by: String,
        /// When.
        at: Time,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Config => f.write_str("config"),
            Origin::Runtime { by, at } => write!(f, "set by {by} at {at} UTC"),
        }
    }
}

/// One membership as `?listmod` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The player's name as written.
    pub name: String,
    /// The realm (lower case), or `None` for zone-wide.
    pub realm: Option<String>,
    /// The group.
    pub group: String,
    /// Where it comes from.
    pub origin: Origin,
}

/// The access state at one moment: the policy with edits applied, its
/// compiled table, memberships and group passwords.
///
/// An edit makes the next snapshot from this one (`Snapshot::with_rule_edit`,
/// `Snapshot::with_membership_edit`), sharing every part it does not
/// change: a rule edit copies the edited group's rules and origins and
/// compiles that group and those inheriting from it, whatever the number of
/// other groups' rules.
#[derive(Debug)]
pub struct Snapshot {
    policy: Policy,
    compiled: Compiled,
    /// The command set `compiled` is indexed by ([`cmdman::Tables::version`]).
    version: u64,
    /// Lower-case name → its memberships.
    members: Arc<HashMap<String, Vec<Membership>>>,
    passwords: Arc<HashMap<String, String>>,
    /// Per group (by [`Policy::index_of`]): where its own rules come from,
    /// and the rules moderators revoked.
    origins: Vec<Arc<GroupOrigins>>,
    /// Stored edits that did not decode, described (`?health`).
    bad_rows: Arc<Vec<String>>,
    /// Player groups that stored edits name and groups.ron lacks (in a
    /// network, another zone's groups): those edits are not applied here
    /// (`?health`).
    unknown_groups: Arc<Vec<String>>,
    /// Which snapshot this is ([`Snapshot::generation`]).
    generation: u64,
}

/// The next [`Snapshot::generation`]: one counter for the process, so no
/// two snapshots (of any zone) share one.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// Where one group's own rules come from, and what moderators revoked of it.
#[derive(Debug, Clone, Default)]
struct GroupOrigins {
    own: HashMap<RuleKey, Origin>,
    /// Revoked rules (hiding any in groups.ron), with who and when.
    revoked: Vec<(RuleKey, Origin)>,
}

impl GroupOrigins {
    /// A group as groups.ron has it: every own rule from there, none
    /// revoked.
    fn from_config(spec: &cmdman::GroupSpec) -> GroupOrigins {
        GroupOrigins {
            own: spec.rules.iter().map(|(key, _)| (key.clone(), Origin::Config)).collect(),
            revoked: Vec::new(),
        }
    }

    /// Records `key`'s latest edit, `effect` (`None`: revoked) by `origin`.
    fn set(&mut self, key: &RuleKey, effect: Option<Effect>, origin: Origin) {
        self.own.remove(key);
        self.revoked.retain(|(revoked, _)| revoked != key);
        match effect {
            Some(_) => {
                self.own.insert(key.clone(), origin);
            }
            None => self.revoked.push((key.clone(), origin)),
        }
    }
}

impl Snapshot {
    /// The policy, runtime edits included.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The group of `name` in `realm` (lower case), without a session group:
    /// the realm's membership, else the zone-wide one, else `default`.
    pub fn member_group(&self, name: &str, realm: Option<&str>) -> &str {
        let mut buf = [0u8; 64];
        let owned;
        let key = match lowercase(name, &mut buf) {
            Some(key) => key,
            None => {
                owned = name.to_ascii_lowercase();
                &owned
            }
        };
        let Some(entries) = self.members.get(key) else { return DEFAULT_GROUP };
        let in_realm = realm.and_then(|realm| entries.iter().find(|m| m.realm.as_deref() == Some(realm)));
        in_realm.or_else(|| entries.iter().find(|m| m.realm.is_none())).map_or(DEFAULT_GROUP, |m| &m.group)
    }

    /// Every membership, sorted by name then realm.
    pub fn memberships(&self) -> Vec<&Membership> {
        let mut all: Vec<&Membership> = self.members.values().flatten().collect();
        all.sort_by(|a, b| (a.name.to_lowercase(), &a.realm).cmp(&(b.name.to_lowercase(), &b.realm)));
        all
    }

    /// Where `group`'s own rule for `key` comes from.
    pub fn origin(&self, group: &str, key: &RuleKey) -> Option<&Origin> {
        self.origins.get(self.policy.index_of(group)?)?.own.get(key)
    }

    /// `group`'s rules revoked at runtime (hiding any in groups.ron), with who
    /// and when.
    pub fn revoked(&self, group: &str) -> impl Iterator<Item = (&RuleKey, &Origin)> {
        let origins = self.policy.index_of(group).and_then(|at| self.origins.get(at));
        origins.into_iter().flat_map(|origins| origins.revoked.iter().map(|(key, origin)| (key, origin)))
    }

    /// This snapshot with the rule edit `edit` applied on top (it is the
    /// latest edit of its group and key): the edited group's rules and
    /// origins are copied and it and the groups inheriting from it compiled
    /// again; the rest is shared. `None` when the group is not one of the
    /// policy's (a full rebuild reports it).
    fn with_rule_edit(&self, edit: &RuleEdit, registry: &Registry) -> Option<Snapshot> {
        let at = self.policy.index_of(&edit.group)?;
        let policy = self.policy.with_rule(&edit.group, &edit.key, edit.effect)?;
        let tables = registry.tables();
        let compiled = if tables.version() == self.version {
            self.compiled.rebuild(&policy, tables.commands(), at)
        } else {
            Compiled::build(&policy, tables.commands())
        };
        let mut origins = self.origins.clone();
        let mut group = GroupOrigins::clone(&origins[at]);
        group.set(&edit.key, edit.effect, Origin::Runtime { by: edit.by.clone(), at: edit.at });
        origins[at] = Arc::new(group);
        Some(Snapshot {
            policy,
            compiled,
            version: tables.version(),
            members: self.members.clone(),
            passwords: self.passwords.clone(),
            origins,
            bad_rows: self.bad_rows.clone(),
            unknown_groups: self.unknown_groups.clone(),
            generation: next_generation(),
        })
    }

    /// This snapshot with the membership edit `edit` applied on top (it is
    /// the latest for its name and realm); only the memberships change.
    /// `None` when it names a group the policy lacks (a full rebuild
    /// reports it).
    fn with_membership_edit(&self, edit: &MembershipEdit) -> Option<Snapshot> {
        if edit.group.as_deref().is_some_and(|group| self.policy.group(group).is_none()) {
            return None;
        }
        let mut members = HashMap::clone(&self.members);
        let origin = Origin::Runtime { by: edit.by.clone(), at: edit.at };
        place(&mut members, &edit.name, edit.realm.clone(), edit.group.clone(), origin);
        Some(Snapshot {
            policy: self.policy.clone(),
            compiled: self.compiled.clone(),
            version: self.version,
            members: Arc::new(members),
            passwords: self.passwords.clone(),
            origins: self.origins.clone(),
            bad_rows: self.bad_rows.clone(),
            unknown_groups: self.unknown_groups.clone(),
            generation: next_generation(),
        })
    }

    /// Which snapshot this is: a number no other snapshot in the process
    /// has, so what was worked out from one (a player's group) can be kept
    /// until the snapshot changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// `group`'s index in the compiled ladder, for
    /// [`Snapshot::allows_indexed`]; `None` for a group the policy lacks.
    pub fn group_index(&self, group: &str) -> Option<usize> {
        self.policy.index_of(group)
    }

    /// The fast path by group index ([`Snapshot::group_index`]): whether the
    /// group may run `command` in `form`; `None` when `command` is of
    /// another command set than the compiled ladder's (then ask
    /// [`Snapshot::allows_ref`] by name).
    pub fn allows_indexed(
        &self,
        group: usize,
        command: cmdman::CommandRef<'_>,
        form: TargetForm,
    ) -> Option<bool> {
        (command.version == self.version).then(|| self.compiled.allows(group, command.index, form))
    }

    /// The fast path: whether `group` may run `command` in `form`.
    pub fn allows(&self, group: &str, command: &Command, form: TargetForm) -> bool {
        self.allows_ref(group, command.for_form(form), form)
    }

    /// [`Snapshot::allows`] for a command as dispatch names it: by index in
    /// the compiled table when it is of the command's set, else (a component
    /// was just added or removed, and this snapshot is not rebuilt yet) by
    /// the reference model, which needs no index.
    pub fn allows_ref(&self, group: &str, command: cmdman::CommandRef<'_>, form: TargetForm) -> bool {
        if command.version == self.version {
            return self.policy.index_of(group).is_some_and(|g| self.compiled.allows(g, command.index, form));
        }
        let rule = match command.cmd_char {
            Some(c) => format!("{c}{}", command.name),
            None => command.name.to_owned(),
        };
        self.policy.decide(group, &rule, command.group, form).allowed()
    }

    /// The reference model's decision, with the step and the group it came from.
    pub fn decide(&self, group: &str, command: &Command, form: TargetForm) -> Decision {
        let def = command.def();
        self.policy.decide(group, &rule_name(def), def.group(form), form)
    }

    /// The policy as it would be with `group`'s own rule for `key` set to
    /// `effect` (`None`: removed), to see what an edit would change.
    pub fn policy_with(&self, group: &str, key: &RuleKey, effect: Option<Effect>) -> Option<Policy> {
        self.policy.with_rule(group, key, effect)
    }

    /// The group's rank; 0 for an unknown group.
    pub fn rank(&self, group: &str) -> u32 {
        self.policy.group(group).map_or(0, |spec| spec.rank)
    }

    /// Some group's password hash, if any group has one: `?grplogin` checks a
    /// group without a password against it, so it takes as long as one with.
    pub fn any_password_hash(&self) -> Option<&str> {
        self.passwords.values().next().map(String::as_str)
    }

    /// Stored edits this server could not read, one sentence each: they are
    /// not applied, and `?health` and the log say so.
    pub fn bad_rows(&self) -> &[String] {
        &self.bad_rows
    }

    /// Player groups stored edits name that groups.ron lacks, in name order.
    pub fn unknown_groups(&self) -> &[String] {
        &self.unknown_groups
    }

    /// The argon2 hash of `group`'s password, if it has one.
    pub fn password_hash(&self, group: &str) -> Option<&str> {
        self.passwords.get(group).map(String::as_str)
    }

    /// Everything `?grants` and the admin page show of `group`: rank,
    /// parents, command groups, all access, and its rules with where each
    /// comes from; `None` when there is no such group.
    pub fn report(&self, group: &str) -> Option<GroupReport> {
        let policy = &self.policy;
        let spec = policy.group(group)?;
        // Its own command groups first, then inherited ones with where from.
        let mut command_groups: Vec<(String, Option<String>)> =
            spec.command_groups.iter().map(|name| (name.clone(), None)).collect();
        for command_group in policy.groups().iter().flat_map(|g| g.command_groups.iter()) {
            if command_groups.iter().any(|(name, _)| name == command_group) {
                continue;
            }
            if let Some(from) = policy.accepting(group, command_group) {
                command_groups.push((command_group.clone(), Some(from.to_owned())));
            }
        }
        let mut own: Vec<(&RuleKey, Effect)> =
            spec.rules.iter().map(|(key, effect)| (key, *effect)).collect();
        own.sort();
        let mut rules: Vec<ReportedRule> = own
            .into_iter()
            .map(|(key, effect)| ReportedRule {
                key: key.clone(),
                effect: Some(effect),
                source: RuleSource::Own(self.origin(group, key).cloned().unwrap_or(Origin::Config)),
            })
            .collect();
        let mut revoked: Vec<(&RuleKey, &Origin)> = self.revoked(group).collect();
        revoked.sort_by(|a, b| a.0.cmp(b.0));
        for (key, origin) in revoked {
            rules.push(ReportedRule {
                key: key.clone(),
                effect: None,
                source: RuleSource::Own(origin.clone()),
            });
        }
        // Inherited rules that still apply (not hidden by an own rule),
        // nearest parents first.
        let mut seen: Vec<&RuleKey> = spec.rules.iter().map(|(key, _)| key).collect();
        let mut queue: std::collections::VecDeque<&str> = spec.inherits.iter().map(String::as_str).collect();
        let mut visited: Vec<&str> = Vec::new();
        while let Some(parent) = queue.pop_front() {
            if visited.contains(&parent) {
                continue;
            }
            visited.push(parent);
            let Some(parent_spec) = policy.group(parent) else { continue };
            for (key, _) in &parent_spec.rules {
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                if let Some((effect, from)) = policy.effective_rule(group, key) {
                    rules.push(ReportedRule {
                        key: key.clone(),
                        effect: Some(effect),
                        source: RuleSource::Inherited(from.to_owned()),
                    });
                }
            }
            queue.extend(parent_spec.inherits.iter().map(String::as_str));
        }
        Some(GroupReport {
            name: spec.name.clone(),
            rank: spec.rank,
            inherits: spec.inherits.clone(),
            command_groups,
            all_access: policy.all_access(group).map(str::to_owned),
            rules,
        })
    }
}

/// One player group as [`Snapshot::report`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReport {
    /// Its name.
    pub name: String,
    /// Its rank (a moderator edits only groups ranked below their own).
    pub rank: u32,
    /// The groups it inherits from, in order.
    pub inherits: Vec<String>,
    /// The command groups it accepts, each with the group it inherits it
    /// from (`None`: its own).
    pub command_groups: Vec<(String, Option<String>)>,
    /// The group its all access comes from (itself or a parent), if it has it.
    pub all_access: Option<String>,
    /// Its own rules (sorted), its revoked ones, then inherited rules that
    /// still apply to it.
    pub rules: Vec<ReportedRule>,
}

/// A rule of a [`GroupReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedRule {
    /// `command` or `command:form`.
    pub key: RuleKey,
    /// Grant or deny; `None` for a groups.ron rule revoked at runtime.
    pub effect: Option<Effect>,
    /// Where it comes from.
    pub source: RuleSource,
}

/// Where a [`ReportedRule`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSource {
    /// The group's own: groups.ron or a runtime edit.
    Own(Origin),
    /// Inherited from this group.
    Inherited(String),
}

impl std::fmt::Display for ReportedRule {
    /// `grant usage (config)`, `deny kick (from mod)`, `revoked warn (set by …)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.effect {
            Some(effect) => write!(f, "{effect} {}", self.key)?,
            None => write!(f, "revoked {}", self.key)?,
        }
        match &self.source {
            RuleSource::Own(origin) => write!(f, " ({origin})"),
            RuleSource::Inherited(from) => write!(f, " (from {from})"),
        }
    }
}

/// Why a moderator's edit was refused; the text is the sentence they see.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The group does not exist.
    #[error("There is no player group '{0}'. ?grants lists a group's rules.")]
    NoSuchGroup(String),
    /// The rule names no command compiled in.
    #[error(
        "There is no command '{0}'. Name it as ?man shows it, with its cmd char if it is bound to one (*warn)."
    )]
    NoSuchCommand(String),
    /// The rule names a form the command does not take.
    #[error("{command} does not take the {form} form; it takes {forms}.")]
    NoSuchForm {
        /// The command as the rule names it.
        command: String,
        /// The form named.
        form: TargetForm,
        /// The forms it takes.
        forms: cmdman::Forms,
    },
    /// The group is not ranked below the editor's.
    #[error("You may edit only groups ranked below yours ({own}, rank {own_rank}); {group} has rank {rank}.")]
    Rank {
        /// The editor's group.
        own: String,
        /// Its rank.
        own_rank: u32,
        /// The group edited.
        group: String,
        /// Its rank.
        rank: u32,
    },
    /// A grant of what the editor may not run.
    #[error("You may grant only what you may run yourself; you may not run {command}:{form}.")]
    BeyondOwn {
        /// The command.
        command: String,
        /// The form.
        form: TargetForm,
    },
    /// The edit would change, through inheritance, what a group of the
    /// editor's rank or above may run.
    #[error("That would change, through inheritance, what {0} may run; only a higher rank may.")]
    Escalation(String),
    /// A revoke of a rule the group does not have.
    #[error("{group} has no rule of its own for {key}.")]
    NoOwnRule {
        /// The group.
        group: String,
        /// The rule key.
        key: RuleKey,
    },
    /// A membership in a group that does not exist.
    #[error("There is no player group '{0}'.")]
    UnknownGroup(String),
    /// A removal of a membership the player does not have there.
    #[error("{name} has no group {place}.")]
    NoMembership {
        /// The player.
        name: String,
        /// `zone-wide`, or `in realm duel`.
        place: String,
    },
    /// A membership given or taken at or above the editor's rank.
    #[error("You may set only groups ranked below yours ({own}, rank {own_rank}); {group} has rank {rank}.")]
    SetRank {
        /// The editor's group there.
        own: String,
        /// Its rank.
        own_rank: u32,
        /// The group given, or the player's current one.
        group: String,
        /// Its rank.
        rank: u32,
    },
    /// The store failed: nothing changed.
    #[error("The zone could not store this (its database failed), so nothing was changed. Try again later.")]
    Store(#[source] StoreError),
}

/// `zone-wide`, or `in realm duel`: where a membership holds, in words.
pub fn place_text(realm: Option<&str>) -> String {
    match realm {
        None => "zone-wide".to_owned(),
        Some(realm) => format!("in realm {realm}"),
    }
}

/// Who makes an edit: their name and how to find the group that counts for
/// them where the edit reaches (zone-wide for rules). The group is looked up
/// under the edit lock, so an edit that lands just before cannot leave the
/// check using a group the editor no longer has.
#[derive(Clone, Copy)]
pub struct Editor<'a> {
    /// The moderator's name.
    pub name: &'a str,
    /// Their group where the edit reaches, as it is when called.
    pub group: &'a (dyn Fn() -> Arc<str> + Send + Sync),
}

impl std::fmt::Debug for Editor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor").field("name", &self.name).field("group", &(self.group)()).finish()
    }
}

/// The access control of a running zone.
#[derive(Debug)]
pub struct AccessControl {
    sources: Mutex<Sources>,
    /// Swapped whole on every change; readers take no lock.
    snapshot: ArcSwap<Snapshot>,
    edits: tokio::sync::Mutex<()>,
}

/// What snapshots are built from: the config and the runtime edits, which
/// are written to the store first and then kept here.
#[derive(Debug)]
struct Sources {
    /// zone.ron as the zone started with it: its changes need a restart.
    started_zone: config::ZoneConfig,
    /// The config's player groups, validated once when the config is read,
    /// not again at every rebuild.
    policy: Policy,
    config: Config,
    /// The latest edit of each group and key: the one that counts, so
    /// their order does not matter.
    rules: HashMap<(String, RuleKey), RuleEdit>,
    members: Vec<MembershipEdit>,
    bad_rows: Vec<String>,
}

impl Sources {
    fn build(&self, registry: &Registry) -> Snapshot {
        let rules: Vec<&RuleEdit> = self.rules.values().collect();
        let mut snapshot = build(&self.config, &self.policy, &rules, &self.members, registry);
        snapshot.bad_rows = Arc::new(self.bad_rows.clone());
        snapshot
    }

    /// Takes the stored edits, logging the rows that do not decode.
    fn take_edits(&mut self, rules: Rows<RuleEdit>, members: Rows<MembershipEdit>) {
        self.bad_rows = rules.bad.into_iter().chain(members.bad).collect();
        for bad in &self.bad_rows {
            warn!("a stored edit is not applied, it cannot be read: {bad}");
        }
        // In stored order: a later edit of a key replaces an earlier one.
        self.rules =
            rules.rows.into_iter().map(|edit| ((edit.group.clone(), edit.key.clone()), edit)).collect();
        self.members = members.rows;
    }
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The directory read; `None` on the embedded config.
    pub dir: Option<PathBuf>,
    /// Whether `zone.ron` differs from the one the zone started with; its
    /// changes apply at the next start.
    pub zone_changed: bool,
    /// A rule or command group that names what no command declares, let
    /// through because a script component did not load (`?health` has it).
    pub unchecked: Option<String>,
}

/// Why a reload was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// A file is invalid; the running config stays.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be read; the running config stays.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the files failed unexpectedly (their task died); the running
    /// config stays.
    #[error("reading the config files failed: {0}")]
    Reading(String),
}

impl AccessControl {
    /// The access control for `config` with the stored edits `rules` and
    /// `members` (rows that do not decode are logged and kept for `?health`).
    pub fn new(
        config: Config,
        rules: Rows<RuleEdit>,
        members: Rows<MembershipEdit>,
        registry: &Registry,
    ) -> AccessControl {
        let mut sources = Sources {
            started_zone: config.zone.clone(),
            policy: config.policy(),
            config,
            rules: HashMap::new(),
            members: Vec::new(),
            bad_rows: Vec::new(),
        };
        sources.take_edits(rules, members);
        let snapshot = sources.build(registry);
        AccessControl {
            sources: Mutex::new(sources),
            snapshot: ArcSwap::from_pointee(snapshot),
            edits: tokio::sync::Mutex::new(()),
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The current snapshot for a check on the hot path: no lock and no
    /// shared reference count (arc-swap's guard). Hold it briefly.
    pub fn current(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// Sets `group`'s own rule for `key` to `effect` (`None`: revokes it), as
    /// `editor` (DESIGN §5.3): only a group ranked below the editor's; a
    /// grant only of what the editor may run; never changing, through
    /// inheritance, what a group of the editor's rank or above may run (the
    /// editor's own included). Checked and applied under the edit lock, so
    /// two edits at once cannot both pass checks made before the other;
    /// written to the store (with its audit row) before it applies. Returns
    /// the action, in words (`granted usage to default`).
    ///
    /// # Errors
    /// [`EditError`], the sentence the moderator sees; nothing changed.
    pub async fn edit_rule(
        &self,
        editor: Editor<'_>,
        group: &str,
        key: RuleKey,
        effect: Option<Effect>,
        store: &StoreHandle,
        registry: &Registry,
    ) -> Result<String, EditError> {
        let _one_at_a_time = self.edits.lock().await;
        let snapshot = self.snapshot();
        let own_group = (editor.group)();
        let spec = snapshot.policy().group(group).ok_or_else(|| EditError::NoSuchGroup(group.to_owned()))?;
        let tables = registry.tables();
        let named: Vec<&Command> =
            tables.commands().iter().filter(|command| rule_name(command.def()) == key.command).collect();
        let Some(first) = named.first() else { return Err(EditError::NoSuchCommand(key.command.clone())) };
        if let Some(form) = key.form
            && !named.iter().any(|command| command.def().forms.contains(form))
        {
            return Err(EditError::NoSuchForm {
                command: key.command.clone(),
                form,
                forms: first.def().forms,
            });
        }
        let (own_rank, their_rank) = (snapshot.rank(&own_group), spec.rank);
        if own_rank <= their_rank {
            return Err(EditError::Rank {
                own: own_group.to_string(),
                own_rank,
                group: group.to_owned(),
                rank: their_rank,
            });
        }
        let forms = |command: &Command| -> Vec<TargetForm> {
            let def = command.def();
            match key.form {
                Some(form) => vec![form],
                None => def.forms.iter().collect(),
            }
            .into_iter()
            .filter(|form| def.forms.contains(*form))
            .collect()
        };
        if effect == Some(Effect::Grant) {
            for command in &named {
                if let Some(form) = forms(command)
                    .into_iter()
                    .find(|form| !snapshot.decide(&own_group, command, *form).allowed())
                {
                    return Err(EditError::BeyondOwn { command: key.command.clone(), form });
                }
            }
        }
        if let Some(after) = snapshot.policy_with(group, &key, effect) {
            // Only the edited group and those inheriting from it can change.
            let reached =
                snapshot.policy().index_of(group).map(|at| after.reached_from(at)).unwrap_or_default();
            let changed: Vec<String> = reached
                .into_iter()
                .map(|at| &snapshot.policy().groups()[at])
                .filter(|other| other.rank >= own_rank)
                .filter(|other| {
                    named.iter().any(|command| {
                        let def = command.def();
                        forms(command).into_iter().any(|form| {
                            snapshot.decide(&other.name, command, form).allowed()
                                != after.decide(&other.name, &key.command, def.group(form), form).allowed()
                        })
                    })
                })
                .map(|other| format!("{} (rank {})", other.name, other.rank))
                .collect();
            if !changed.is_empty() {
                return Err(EditError::Escalation(changed.join(", ")));
            }
        }
        if effect.is_none() && !spec.rules.iter().any(|(own_key, _)| *own_key == key) {
            return Err(EditError::NoOwnRule { group: group.to_owned(), key });
        }
        let action = match effect {
            Some(Effect::Grant) => format!("granted {key} to {group}"),
            Some(Effect::Deny) => format!("denied {key} to {group}"),
            None => format!("revoked {group}'s rule for {key}"),
        };
        let (group_name, stored_key, by) = (group.to_owned(), key.clone(), editor.name.to_owned());
        let (log_action, log_by) = (action.clone(), by.clone());
        let at = store
            .run(move |store| store.set_rule(&group_name, &stored_key, effect, &log_by, &log_action))
            .await
            .map_err(EditError::Store)?;
        let edit = RuleEdit { group: group.to_owned(), key, effect, by, at };
        self.record_rule(edit, registry);
        Ok(action)
    }

    /// Puts `name` in `group` (`None`: takes them out of theirs), zone-wide
    /// or in `realm` (lower case), as `editor`, whose group is the one that
    /// counts at that place (DESIGN §5.3): only groups ranked below the
    /// editor's, given to or taken from a player whose group there is ranked
    /// below too. Checked and applied under the edit lock; written to the
    /// store (with its audit row) before it applies. Returns the action, in
    /// words (`set Bob's group zone-wide to mod`).
    ///
    /// # Errors
    /// [`EditError`], the sentence the moderator sees; nothing changed.
    pub async fn edit_membership(
        &self,
        editor: Editor<'_>,
        name: &str,
        realm: Option<String>,
        group: Option<String>,
        store: &StoreHandle,
        registry: &Registry,
    ) -> Result<String, EditError> {
        let _one_at_a_time = self.edits.lock().await;
        let snapshot = self.snapshot();
        let place = place_text(realm.as_deref());
        match &group {
            Some(group) if snapshot.policy().group(group).is_none() => {
                return Err(EditError::UnknownGroup(group.clone()));
            }
            None => {
                let has = snapshot
                    .memberships()
                    .iter()
                    .any(|m| m.name.eq_ignore_ascii_case(name) && m.realm.as_deref() == realm.as_deref());
                if !has {
                    return Err(EditError::NoMembership { name: name.to_owned(), place });
                }
            }
            Some(_) => {}
        }
        let own_group = (editor.group)();
        let own_rank = snapshot.rank(&own_group);
        let current = snapshot.member_group(name, realm.as_deref()).to_owned();
        for checked in group.iter().chain(std::iter::once(&current)) {
            let rank = snapshot.rank(checked);
            if rank >= own_rank {
                return Err(EditError::SetRank {
                    own: own_group.to_string(),
                    own_rank,
                    group: checked.clone(),
                    rank,
                });
            }
        }
        let action = match &group {
            Some(group) => format!("set {name}'s group {place} to {group}"),
            None => format!("removed {name}'s group {place}"),
        };
        let by = editor.name.to_owned();
        let (owned, stored_realm, stored_group, log_by, log_action) =
            (name.to_owned(), realm.clone(), group.clone(), by.clone(), action.clone());
        let at = store
            .run(move |store| {
                store.set_membership(
                    &owned,
                    stored_realm.as_deref(),
                    stored_group.as_deref(),
                    &log_by,
                    &log_action,
                )
            })
            .await
            .map_err(EditError::Store)?;
        self.record_membership(MembershipEdit { name: name.to_owned(), realm, group, by, at }, registry);
        Ok(action)
    }

    /// Compiles the ladder again for the registry's commands as they are now,
    /// after a component was installed or uninstalled. Until then checks of
    /// the new command set go through the reference model.
    pub fn commands_changed(&self, registry: &Registry) {
        let sources = self.sources.lock();
        self.snapshot.store(Arc::new(sources.build(registry)));
    }

    /// Applies a rule edit already written to the store (under the edit
    /// lock): on top of the current snapshot, at the cost of what it
    /// reaches ([`Snapshot::with_rule_edit`]).
    fn record_rule(&self, edit: RuleEdit, registry: &Registry) {
        let mut sources = self.sources.lock();
        // Under the sources lock, as every change of the snapshot: the
        // current one is the latest.
        let next = self.snapshot.load().with_rule_edit(&edit, registry);
        sources.rules.insert((edit.group.clone(), edit.key.clone()), edit);
        let next = next.unwrap_or_else(|| sources.build(registry));
        self.snapshot.store(Arc::new(next));
    }

    /// Applies a membership edit already written to the store (under the edit
    /// lock), on top of the current snapshot.
    fn record_membership(&self, edit: MembershipEdit, registry: &Registry) {
        let mut sources = self.sources.lock();
        sources.members.retain(|old| {
            !(old.name.eq_ignore_ascii_case(&edit.name) && old.realm.as_deref() == edit.realm.as_deref())
        });
        let next = self.snapshot.load().with_membership_edit(&edit);
        sources.members.push(edit);
        let next = next.unwrap_or_else(|| sources.build(registry));
        self.snapshot.store(Arc::new(next));
    }

    /// Reads the config directory again (a zone on the embedded config keeps
    /// it) and the runtime edits in `store` (so `zone-server staff` changes
    /// made while the zone runs apply). A valid `groups.ron` and `staff.ron`
    /// apply at once; an invalid file (any of the three) is refused and the
    /// running config stays.
    ///
    /// # Errors
    /// [`ReloadError`], saying which file and where.
    ///
    /// With `lenient` (a script component failed to load), a rule or
    /// command group naming what no command declares is not a reason to
    /// refuse: it is returned in [`Reloaded::unchecked`] instead, as at
    /// start-up.
    pub async fn reload(
        &self,
        store: &StoreHandle,
        registry: &Registry,
        lenient: bool,
    ) -> Result<Reloaded, ReloadError> {
        // One edit or reload at a time; files and the database are read off
        // the async threads, and no lock but the edit lock is held meanwhile.
        let _one_at_a_time = self.edits.lock().await;
        let dir = self.sources.lock().config.dir.clone();
        let mut unchecked = None;
        let fresh = match dir {
            Some(dir) => {
                let loaded = tokio::task::spawn_blocking(move || Config::load(&dir)).await;
                let fresh = loaded.map_err(|error| ReloadError::Reading(error.to_string()))??;
                match check_against_registry(&fresh, registry) {
                    Ok(()) => {}
                    Err(error) if lenient => unchecked = Some(error.to_string()),
                    Err(error) => return Err(error.into()),
                }
                Some(fresh)
            }
            None => None,
        };
        let (rules, members) = store.edits().await?;
        let mut sources = self.sources.lock();
        let zone_changed = fresh.as_ref().is_some_and(|fresh| fresh.zone != sources.started_zone);
        if let Some(fresh) = fresh {
            sources.policy = fresh.policy();
            sources.config = fresh;
        }
        sources.take_edits(rules, members);
        self.snapshot.store(Arc::new(sources.build(registry)));
        Ok(Reloaded { dir: sources.config.dir.clone(), zone_changed, unchecked })
    }

    /// Reads the runtime edits in `store` again (another zone of the network
    /// changed them, or this one reconnected), keeping the config files.
    ///
    /// # Errors
    /// The store could not be read; the running edits stay.
    pub async fn refresh_edits(&self, store: &StoreHandle, registry: &Registry) -> Result<(), StoreError> {
        let _one_at_a_time = self.edits.lock().await;
        let (rules, members) = store.edits().await?;
        let mut sources = self.sources.lock();
        sources.take_edits(rules, members);
        self.snapshot.store(Arc::new(sources.build(registry)));
        Ok(())
    }

    /// The config directory, if the zone was started with one.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.sources.lock().config.dir.clone()
    }

    /// The lines of help topic `name` (any case), as the config was last
    /// read (`help/NAME.txt`).
    pub fn help_topic(&self, name: &str) -> Option<Vec<String>> {
        self.sources.lock().config.help.get(name).map(|topic| topic.lines.clone())
    }

    /// Every help topic's name and file, in name order.
    pub fn help_topics(&self) -> Vec<(String, PathBuf)> {
        self.sources.lock().config.help.iter().map(|topic| (topic.name.clone(), topic.path.clone())).collect()
    }
}

/// Checks what only the compiled-in commands can tell: components, rules and
/// command groups.
///
/// # Errors
/// [`ConfigError::Invalid`] at the first problem.
pub fn check_against_registry(config: &Config, registry: &Registry) -> Result<(), ConfigError> {
    // Components zone.ron names that are not there are reported at start-up
    // (`?health`), not refused: a script component may fail to load.
    let tables = registry.tables();
    let commands: Vec<(String, cmdman::Forms)> =
        tables.commands().iter().map(|command| (rule_name(command.def()), command.def().forms)).collect();
    let mut command_groups: Vec<&str> =
        tables.commands().iter().flat_map(|command| command.def().groups.iter().flatten().copied()).collect();
    command_groups.sort_unstable();
    command_groups.dedup();
    config.check_commands(&commands, &command_groups)
}

/// Puts `name` in `group` in `realm` (`None`: takes them out of their
/// group there), replacing their membership at that place.
fn place(
    members: &mut HashMap<String, Vec<Membership>>,
    name: &str,
    realm: Option<String>,
    group: Option<String>,
    origin: Origin,
) {
    let key = name.to_ascii_lowercase();
    let entries = members.entry(key.clone()).or_default();
    entries.retain(|m| m.realm != realm);
    if let Some(group) = group {
        entries.push(Membership { name: name.to_owned(), realm, group, origin });
    }
    if entries.is_empty() {
        members.remove(&key);
    }
}

fn build(
    config: &Config,
    policy: &Policy,
    rules: &[&RuleEdit],
    memberships: &[MembershipEdit],
    registry: &Registry,
) -> Snapshot {
    let mut specs: Vec<cmdman::GroupSpec> = policy.groups().iter().map(|spec| (**spec).clone()).collect();
    let mut origins: Vec<GroupOrigins> = specs.iter().map(GroupOrigins::from_config).collect();
    let mut unknown_groups: Vec<String> = Vec::new();
    for edit in rules {
        let Some(at) = policy.index_of(&edit.group) else {
            unknown_groups.push(edit.group.clone());
            warn!(
                "a runtime rule for player group '{}' is ignored: the group is not in groups.ron",
                edit.group
            );
            continue;
        };
        specs[at].set_rule(&edit.key, edit.effect);
        origins[at].set(&edit.key, edit.effect, Origin::Runtime { by: edit.by.clone(), at: edit.at });
    }
    let policy = match Policy::new(specs) {
        Ok(policy) => policy,
        // Edits only change rules of known groups, one per key: this cannot
        // fail, but if it did the config alone is still sound.
        Err(error) => {
            warn!("runtime rule edits ignored: {error}");
            origins = policy.groups().iter().map(|spec| GroupOrigins::from_config(spec)).collect();
            policy.clone()
        }
    };
    let tables = registry.tables();
    let compiled = Compiled::build(&policy, tables.commands());
    let version = tables.version();

    let mut members: HashMap<String, Vec<Membership>> = HashMap::new();
    let mut unknown = Vec::new();
    let mut place_known = |name: &str, realm: Option<String>, group: Option<String>, origin: Origin| {
        if let Some(group) = &group
            && policy.group(group).is_none()
        {
            unknown.push(group.clone());
            warn!("{name}'s membership in player group '{group}' is ignored: the group is not in groups.ron");
            // As before: the place is still cleared of what was there.
            place(&mut members, name, realm, None, origin);
            return;
        }
        place(&mut members, name, realm, group, origin);
    };
    for member in &config.staff.members {
        let realm = member.realm.as_deref().map(str::to_ascii_lowercase);
        place_known(&member.name, realm, Some(member.group.clone()), Origin::Config);
    }
    for edit in memberships {
        let origin = Origin::Runtime { by: edit.by.clone(), at: edit.at };
        place_known(&edit.name, edit.realm.clone(), edit.group.clone(), origin);
    }
    unknown_groups.extend(unknown);
    unknown_groups.sort();
    unknown_groups.dedup();
    let passwords = config
        .staff
        .group_passwords
        .iter()
        .map(|password| (password.group.clone(), password.hash.clone()))
        .collect();
    Snapshot {
        policy,
        compiled,
        version,
        members: Arc::new(members),
        passwords: Arc::new(passwords),
        origins: origins.into_iter().map(Arc::new).collect(),
        bad_rows: Arc::default(),
        unknown_groups: Arc::new(unknown_groups),
        generation: next_generation(),
    }
}
