//! zone-ladder: the access ladder (DESIGN §5.2, normative) and the target
//! forms it decides over, as a leaf crate the command manager and the config
//! share. Twice: a reference model that
//! reads like the seven steps ([`Policy::decide`]), and the precomputed table
//! dispatch uses ([`Compiled`]), rebuilt on every change. Property tests hold
//! the two equal.
//!
//! Effective rules of a player group G: G's own rules override its
//! ancestors' for the same key (a command, or a command and one form); among
//! parents, the earlier in `inherits` wins. Accepted command groups and
//! `all_access` are inherited (union). Then for command c and form f:
//!
//! 1. G denies exactly (c, f) → deny
//! 2. G grants exactly (c, f) → allow
//! 3. G denies c in general → deny
//! 4. G grants c in general → allow
//! 5. G accepts the command group c is registered under for f → allow
//! 6. G has all access → allow
//! 7. otherwise → deny

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;

/// What the compiled table needs of a command: the name its rules use, the
/// forms it takes and its command group per form. The command manager
/// implements it for its registered commands.
pub trait CommandRules {
    /// The name rules use: `usage`, or `*warn` when bound to `*`.
    fn rule_name(&self) -> String;
    /// The target forms it takes.
    fn forms(&self) -> Forms;
    /// Its command group for `form`, if any.
    fn group(&self, form: TargetForm) -> Option<&str>;
}

/// How a command line was addressed (DESIGN §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetForm {
    /// A public message or `SEND:CMD`; the target is the attach scope.
    Pub,
    /// A team message to the sender's own freq.
    Team,
    /// A team message to another freq.
    RemoteTeam,
    /// A private message to a player in the zone, in any realm.
    Player,
    /// A private message to a name not in the zone.
    External,
}

impl TargetForm {
    /// How many target forms there are.
    pub const COUNT: usize = 5;
    /// Every form, in declaration order.
    pub const ALL: [TargetForm; TargetForm::COUNT] =
        [TargetForm::Pub, TargetForm::Team, TargetForm::RemoteTeam, TargetForm::Player, TargetForm::External];

    /// The form's position in [`TargetForm::ALL`] and in a command's
    /// per-form command groups (`cmdman::CommandDef::groups`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The form's name as written in rules and help: `pub`, `team`,
    /// `remote_team`, `player`, `external`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TargetForm::Pub => "pub",
            TargetForm::Team => "team",
            TargetForm::RemoteTeam => "remote_team",
            TargetForm::Player => "player",
            TargetForm::External => "external",
        }
    }

    /// Parses a form name as written by [`as_str`](Self::as_str).
    pub fn from_name(name: &str) -> Option<TargetForm> {
        TargetForm::ALL.into_iter().find(|form| form.as_str() == name)
    }
}

impl fmt::Display for TargetForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`TargetForm`]s, one bit each.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Forms(u8);

impl Forms {
    /// No form at all (an illegal declaration).
    pub const EMPTY: Forms = Forms(0);

    /// The set with the given forms, in [`TargetForm::ALL`] order.
    pub const fn new(pub_: bool, team: bool, remote_team: bool, player: bool, external: bool) -> Forms {
        Forms(
            (pub_ as u8)
                | (team as u8) << 1
                | (remote_team as u8) << 2
                | (player as u8) << 3
                | (external as u8) << 4,
        )
    }

    /// This set plus `form`.
    pub const fn with(self, form: TargetForm) -> Forms {
        Forms(self.0 | 1 << form as u8)
    }

    /// Whether `form` is in the set.
    pub const fn contains(self, form: TargetForm) -> bool {
        self.0 & (1 << form as u8) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The forms in the set, in [`TargetForm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = TargetForm> {
        TargetForm::ALL.into_iter().filter(move |form| self.contains(*form))
    }
}

impl fmt::Debug for Forms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Forms {
    /// `pub, player`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, form) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(form.as_str())?;
        }
        Ok(())
    }
}

/// What a rule names: a command in general (`usage`) or one of its forms
/// (`usage:player`). A command bound to one cmd char is written with it
/// (`*warn`, `*warn:pub`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    /// The command's name, with its cmd char if it is bound to one.
    pub command: String,
    /// The form, or `None` for the command in general.
    pub form: Option<TargetForm>,
}

impl RuleKey {
    /// The key of `command` in general.
    pub fn general(command: impl Into<String>) -> RuleKey {
        RuleKey { command: command.into(), form: None }
    }

    /// The key of `command` in `form`.
    pub fn exact(command: impl Into<String>, form: TargetForm) -> RuleKey {
        RuleKey { command: command.into(), form: Some(form) }
    }
}

/// Why a rule key does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleKeyError {
    /// Nothing before the `:`.
    #[error("a rule names a command: `usage` or `usage:player`")]
    Empty,
    /// The part after `:` is not a form.
    #[error("'{0}' is not a target form: use pub, team, remote_team, player or external")]
    UnknownForm(String),
}

impl FromStr for RuleKey {
    type Err = RuleKeyError;

    /// `usage`, `usage:player`, `*warn:pub`; case is ignored.
    fn from_str(text: &str) -> Result<RuleKey, RuleKeyError> {
        let text = text.trim().to_ascii_lowercase();
        let (command, form) = match text.split_once(':') {
            Some((command, form)) => {
                let form =
                    TargetForm::from_name(form).ok_or_else(|| RuleKeyError::UnknownForm(form.to_owned()))?;
                (command, Some(form))
            }
            None => (text.as_str(), None),
        };
        if command.is_empty() {
            return Err(RuleKeyError::Empty);
        }
        Ok(RuleKey { command: command.to_owned(), form })
    }
}

impl fmt::Display for RuleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            Some(form) => write!(f, "{}:{form}", self.command),
            None => f.write_str(&self.command),
        }
    }
}

/// A rule's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    /// Allows what it names.
    Grant,
    /// Denies what it names.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Grant => "grant",
            Effect::Deny => "deny",
        })
    }
}

/// One player group as the ladder sees it: config and runtime edits merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupSpec {
    /// The group's name.
    pub name: String,
    /// Parents, earlier first: an earlier parent's rule wins over a later one's.
    pub inherits: Vec<String>,
    /// Command groups this group accepts (step 5).
    pub command_groups: Vec<String>,
    /// The group's own rules, at most one per key.
    pub rules: Vec<(RuleKey, Effect)>,
    /// Whether the group may run everything not denied (step 6).
    pub all_access: bool,
    /// A moderator may edit and assign only groups of lower rank than their own.
    pub rank: u32,
}

impl GroupSpec {
    /// Sets the group's own rule for `key` to `effect` (`None`: removes it),
    /// replacing any it had: what a moderator's edit does to the group.
    pub fn set_rule(&mut self, key: &RuleKey, effect: Option<Effect>) {
        self.rules.retain(|(own, _)| own != key);
        if let Some(effect) = effect {
            self.rules.push((key.clone(), effect));
        }
    }
}

/// A player group graph that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// Two groups share a name.
    #[error("player group '{0}' is defined twice")]
    Duplicate(String),
    /// `inherits` names a group that does not exist.
    #[error("player group '{group}' inherits '{parent}', which is not a player group")]
    UnknownParent {
        /// The group.
        group: String,
        /// The missing parent.
        parent: String,
    },
    /// Inheritance goes round in a circle; the path starts and ends at the same group.
    #[error("player groups inherit in a circle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// One group both grants and denies the same key.
    #[error("player group '{group}' both grants and denies '{key}'")]
    Contradiction {
        /// The group.
        group: String,
        /// The key.
        key: RuleKey,
    },
}

/// Which step of the ladder decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// 1: an exact deny.
    DenyExact = 1,
    /// 2: an exact grant.
    GrantExact = 2,
    /// 3: a general deny.
    DenyGeneral = 3,
    /// 4: a general grant.
    GrantGeneral = 4,
    /// 5: an accepted command group.
    CommandGroup = 5,
    /// 6: all access.
    AllAccess = 6,
    /// 7: nothing allowed it.
    Otherwise = 7,
}

impl Step {
    /// Whether this step allows.
    pub fn allows(self) -> bool {
        matches!(self, Step::GrantExact | Step::GrantGeneral | Step::CommandGroup | Step::AllAccess)
    }
}

/// What the ladder decided and why: the step, and the group whose rule (or
/// accepted command group, or all access) it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The step that decided.
    pub step: Step,
    /// The group the deciding rule came from (the player's group or an
    /// ancestor); `None` for step 7.
    pub from: Option<String>,
}

impl Decision {
    /// Whether access is allowed.
    pub fn allowed(&self) -> bool {
        self.step.allows()
    }
}

/// A group's state in the cycle search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnPath,
    Done,
}

/// The player groups, checked: names unique, parents known, no cycles.
///
/// Each group's spec is shared (`Arc`) between a policy and the one made
/// from it by an edit ([`Policy::with_rule`]), which copies one spec and
/// the list of pointers, not every group's rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    groups: Vec<Arc<GroupSpec>>,
    /// Group name → index. Names come from the zone's own files, not from
    /// clients: foldhash, looked up once a command.
    index: Arc<HashMap<String, usize, foldhash::fast::RandomState>>,
    /// Each group's children: the groups whose `inherits` names it.
    children: Arc<Vec<Vec<usize>>>,
    /// Every group, each after all it inherits from.
    order: Arc<Vec<usize>>,
}

impl Policy {
    /// Checks `groups`.
    ///
    /// # Errors
    /// [`PolicyError`] for a duplicate name, an unknown parent, a cycle (with
    /// its path), or a group that grants and denies one key.
    pub fn new(groups: Vec<GroupSpec>) -> Result<Policy, PolicyError> {
        let mut index = HashMap::with_hasher(foldhash::fast::RandomState::default());
        for (i, group) in groups.iter().enumerate() {
            if index.insert(group.name.clone(), i).is_some() {
                return Err(PolicyError::Duplicate(group.name.clone()));
            }
        }
        let mut children = vec![Vec::new(); groups.len()];
        for (i, group) in groups.iter().enumerate() {
            for parent in &group.inherits {
                let Some(&p) = index.get(parent) else {
                    return Err(PolicyError::UnknownParent {
                        group: group.name.clone(),
                        parent: parent.clone(),
                    });
                };
                children[p].push(i);
            }
            for (i, (key, effect)) in group.rules.iter().enumerate() {
                if group.rules[..i].iter().any(|(k, e)| k == key && e != effect) {
                    return Err(PolicyError::Contradiction { group: group.name.clone(), key: key.clone() });
                }
            }
        }
        let mut policy = Policy {
            groups: groups.into_iter().map(Arc::new).collect(),
            index: Arc::new(index),
            children: Arc::new(children),
            order: Arc::default(),
        };
        // Depth-first with colours: each group is explored once, and is
        // done after its parents: that is the order.
        let mut state = vec![Visit::New; policy.groups.len()];
        let mut order = Vec::with_capacity(policy.groups.len());
        for start in 0..policy.groups.len() {
            let mut path = Vec::new();
            policy.find_cycle(start, &mut state, &mut path, &mut order)?;
        }
        policy.order = Arc::new(order);
        Ok(policy)
    }

    fn find_cycle(
        &self,
        at: usize,
        state: &mut [Visit],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), PolicyError> {
        match state[at] {
            Visit::Done => return Ok(()),
            Visit::OnPath => {
                let first = path.iter().position(|&p| p == at).unwrap_or(0);
                let mut cycle: Vec<String> =
                    path[first..].iter().map(|&i| self.groups[i].name.clone()).collect();
                cycle.push(self.groups[at].name.clone());
                return Err(PolicyError::Cycle(cycle));
            }
            Visit::New => {}
        }
        state[at] = Visit::OnPath;
        path.push(at);
        for parent in &self.groups[at].inherits {
            self.find_cycle(self.index[parent], state, path, order)?;
        }
        path.pop();
        state[at] = Visit::Done;
        order.push(at);
        Ok(())
    }

    /// This policy with `group`'s own rule for `key` set to `effect`
    /// (`None`: removed); `None` for an unknown group. Costs one group's
    /// rules and a pointer a group: the other specs, the names and the
    /// inheritance are shared, and need no check (an edit changes neither
    /// names nor parents, and replaces the key's rule).
    pub fn with_rule(&self, group: &str, key: &RuleKey, effect: Option<Effect>) -> Option<Policy> {
        let at = self.index_of(group)?;
        let mut spec = GroupSpec::clone(&self.groups[at]);
        spec.set_rule(key, effect);
        let mut policy = self.clone();
        policy.groups[at] = Arc::new(spec);
        Some(policy)
    }

    /// `group` (an index) and every group that inherits from it, at any
    /// depth: the groups an edit of `group`'s rules can change, each after
    /// all it inherits from.
    pub fn reached_from(&self, group: usize) -> Vec<usize> {
        let mut reached = vec![false; self.groups.len()];
        let mut stack = vec![group];
        while let Some(at) = stack.pop() {
            if let Some(seen) = reached.get_mut(at)
                && !std::mem::replace(seen, true)
            {
                stack.extend(self.children[at].iter().copied());
            }
        }
        self.order.iter().copied().filter(|&g| reached[g]).collect()
    }

    /// Every group, in definition order.
    pub fn groups(&self) -> &[Arc<GroupSpec>] {
        &self.groups
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&GroupSpec> {
        self.index.get(name).map(|&i| &*self.groups[i])
    }

    /// The index of the group called `name`, as [`Compiled`] uses.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    // ---- The reference model: plain recursion over the graph. ----

    /// G's effective rule for `key`: its own, else its first parent's
    /// effective rule, else its second parent's, …; with the group it came from.
    pub fn effective_rule(&self, group: &str, key: &RuleKey) -> Option<(Effect, &str)> {
        let spec = self.group(group)?;
        if let Some((_, effect)) = spec.rules.iter().find(|(k, _)| k == key) {
            return Some((*effect, &spec.name));
        }
        spec.inherits.iter().find_map(|parent| self.effective_rule(parent, key))
    }

    /// The group (G or an ancestor) that accepts `command_group`, if any.
    pub fn accepting(&self, group: &str, command_group: &str) -> Option<&str> {
        let spec = self.group(group)?;
        if spec.command_groups.iter().any(|accepted| accepted == command_group) {
            return Some(&spec.name);
        }
        spec.inherits.iter().find_map(|parent| self.accepting(parent, command_group))
    }

    /// The group (G or an ancestor) that has all access, if any.
    pub fn all_access(&self, group: &str) -> Option<&str> {
        let spec = self.group(group)?;
        if spec.all_access {
            return Some(&spec.name);
        }
        spec.inherits.iter().find_map(|parent| self.all_access(parent))
    }

    /// The ladder for a player of `group` running `command` (its rule name)
    /// in `form`, the command being registered under `command_group` for that
    /// form. An unknown group decides nothing: step 7.
    pub fn decide(
        &self,
        group: &str,
        command: &str,
        command_group: Option<&str>,
        form: TargetForm,
    ) -> Decision {
        let decided = |step, from: &str| Decision { step, from: Some(from.to_owned()) };
        let exact = RuleKey::exact(command, form);
        let general = RuleKey::general(command);
        // 1, 2
        match self.effective_rule(group, &exact) {
            Some((Effect::Deny, from)) => return decided(Step::DenyExact, from),
            Some((Effect::Grant, from)) => return decided(Step::GrantExact, from),
            None => {}
        }
        // 3, 4
        match self.effective_rule(group, &general) {
            Some((Effect::Deny, from)) => return decided(Step::DenyGeneral, from),
            Some((Effect::Grant, from)) => return decided(Step::GrantGeneral, from),
            None => {}
        }
        // 5
        if let Some(from) = command_group.and_then(|cg| self.accepting(group, cg)) {
            return decided(Step::CommandGroup, from);
        }
        // 6
        if let Some(from) = self.all_access(group) {
            return decided(Step::AllAccess, from);
        }
        // 7
        Decision { step: Step::Otherwise, from: None }
    }
}

/// The fast path: for every group and every registered command, one byte
/// whose bit `form.index()` says whether that form is allowed.
///
/// Built group by group, each after the groups it inherits from: a group's
/// effective rules for the registered commands (2 bits a key: none, grant or
/// deny; the general key and one per form) are its own, then its parents'
/// where it has none, the earlier parent first; its command groups and all
/// access are its own and its parents'. The byte follows from those in one
/// step per form. An edit of one group's rules rebuilds only that group and
/// those that inherit from it ([`Compiled::rebuild`]); every other group's
/// tables are shared with the compiled policy before it.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    allowed: Vec<Arc<[u8]>>,
    effective: Vec<Arc<[u16]>>,
    accepts: Vec<Arc<Accepts>>,
    /// Rule name → the indices of the commands it names.
    names: Arc<HashMap<String, Vec<usize>>>,
}

/// The command groups a group accepts (its own and inherited) and whether it
/// has all access.
#[derive(Debug, Default)]
struct Accepts {
    command_groups: Vec<String>,
    all_access: bool,
}

/// An effective rule in a 2-bit slot.
const GRANT: u16 = 1;
const DENY: u16 = 2;

/// Where `key`'s slot is in a command's effective rules: 0 for the general
/// key, `2 + 2 × form` for a form's.
fn slot(form: Option<TargetForm>) -> u32 {
    form.map_or(0, |form| 2 + 2 * form.index() as u32)
}

/// The slots of `rules` that hold a rule, all bits of each.
fn taken(rules: u16) -> u16 {
    let set = (rules | (rules >> 1)) & 0x5555;
    set | (set << 1)
}

impl Compiled {
    /// Precomputes `policy` for `commands` (in registry order).
    pub fn build<C: CommandRules>(policy: &Policy, commands: &[C]) -> Compiled {
        let mut names: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, command) in commands.iter().enumerate() {
            names.entry(command.rule_name()).or_default().push(i);
        }
        let groups = policy.groups.len();
        let mut compiled = Compiled {
            allowed: vec![Arc::from([]); groups],
            effective: vec![Arc::from([]); groups],
            accepts: vec![Arc::default(); groups],
            names: Arc::new(names),
        };
        for &group in policy.order.iter() {
            compiled.compile(policy, commands, group);
        }
        compiled
    }

    /// These tables after an edit of `group`'s own rules gave `policy`
    /// (the same groups and commands as they were built for): only `group`
    /// and the groups that inherit from it are compiled again.
    pub fn rebuild<C: CommandRules>(&self, policy: &Policy, commands: &[C], group: usize) -> Compiled {
        let mut compiled = self.clone();
        for reached in policy.reached_from(group) {
            compiled.compile(policy, commands, reached);
        }
        compiled
    }

    /// Compiles `group`, whose parents are compiled.
    fn compile<C: CommandRules>(&mut self, policy: &Policy, commands: &[C], group: usize) {
        let spec = &policy.groups[group];
        let mut effective = vec![0u16; commands.len()];
        for (key, effect) in &spec.rules {
            let Some(named) = self.names.get(&key.command) else { continue };
            let shift = slot(key.form);
            let value = if *effect == Effect::Grant { GRANT } else { DENY };
            for &command in named {
                effective[command] = (effective[command] & !(3 << shift)) | (value << shift);
            }
        }
        let mut accepts =
            Accepts { command_groups: spec.command_groups.clone(), all_access: spec.all_access };
        for parent in &spec.inherits {
            let parent = policy.index[parent];
            for (own, theirs) in effective.iter_mut().zip(self.effective[parent].iter()) {
                *own |= theirs & !taken(*own);
            }
            let inherited = &self.accepts[parent];
            for command_group in &inherited.command_groups {
                if !accepts.command_groups.contains(command_group) {
                    accepts.command_groups.push(command_group.clone());
                }
            }
            accepts.all_access |= inherited.all_access;
        }
        let allowed = commands
            .iter()
            .zip(&effective)
            .map(|(command, &rules)| {
                let mut bits = 0u8;
                for form in command.forms().iter() {
                    let exact = (rules >> slot(Some(form))) & 3;
                    let general = rules & 3;
                    let allow = match (exact, general) {
                        (0, 0) => {
                            command
                                .group(form)
                                .is_some_and(|cg| accepts.command_groups.iter().any(|g| g == cg))
                                || accepts.all_access
                        }
                        (0, general) => general == GRANT,
                        (exact, _) => exact == GRANT,
                    };
                    if allow {
                        bits |= 1 << form.index();
                    }
                }
                bits
            })
            .collect();
        self.allowed[group] = allowed;
        self.effective[group] = effective.into();
        self.accepts[group] = Arc::new(accepts);
    }

    /// Whether a player of group `group` (its [`Policy::index_of`]) may run
    /// the command at index `command` of the list it was built for (the
    /// command manager's registry order) in `form`. Out of range is a denial.
    pub fn allows(&self, group: usize, command: usize, form: TargetForm) -> bool {
        self.allowed
            .get(group)
            .and_then(|row| row.get(command))
            .is_some_and(|bits| bits & (1 << form.index()) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, inherits: &[&str], command_groups: &[&str], rules: &[(&str, Effect)]) -> GroupSpec {
        GroupSpec {
            name: name.into(),
            inherits: inherits.iter().map(|s| (*s).into()).collect(),
            command_groups: command_groups.iter().map(|s| (*s).into()).collect(),
            rules: rules.iter().map(|(key, effect)| (key.parse().unwrap(), *effect)).collect(),
            all_access: false,
            rank: 0,
        }
    }

    /// DESIGN §5.2's seed example, on the reference model.
    #[test]
    fn the_seed_usage_example() {
        let policy = Policy::new(vec![
            group("default", &[], &["default"], &[("usage:pub", Effect::Grant), ("usage", Effect::Deny)]),
            group("mod", &["default"], &["default"], &[("usage", Effect::Grant)]),
        ])
        .unwrap();
        let decide = |group, form| policy.decide(group, "usage", Some("default"), form);
        assert_eq!(
            decide("default", TargetForm::Pub),
            Decision { step: Step::GrantExact, from: Some("default".into()) }
        );
        assert_eq!(
            decide("default", TargetForm::Player),
            Decision { step: Step::DenyGeneral, from: Some("default".into()) }
        );
        // mod's own general grant hides default's general deny; default's exact
        // grant of the pub form still comes first.
        assert_eq!(
            decide("mod", TargetForm::Pub),
            Decision { step: Step::GrantExact, from: Some("default".into()) }
        );
        assert_eq!(
            decide("mod", TargetForm::Player),
            Decision { step: Step::GrantGeneral, from: Some("mod".into()) }
        );
    }

    #[test]
    fn earlier_parents_win_and_command_groups_and_all_access_are_inherited() {
        let mut root = group("root", &[], &[], &[]);
        root.all_access = true;
        let policy = Policy::new(vec![
            group("a", &[], &["a"], &[("x", Effect::Deny)]),
            group("b", &[], &["b"], &[("x", Effect::Grant)]),
            group("ab", &["a", "b"], &[], &[]),
            group("ba", &["b", "a"], &[], &[]),
            root,
            group("child", &["root"], &[], &[("y:team", Effect::Deny)]),
        ])
        .unwrap();
        assert_eq!(policy.decide("ab", "x", None, TargetForm::Pub).step, Step::DenyGeneral);
        assert_eq!(policy.decide("ba", "x", None, TargetForm::Pub).step, Step::GrantGeneral);
        assert_eq!(policy.decide("ab", "z", Some("b"), TargetForm::Pub).from.as_deref(), Some("b"));
        assert_eq!(policy.decide("child", "y", None, TargetForm::Team).step, Step::DenyExact);
        assert_eq!(
            policy.decide("child", "y", None, TargetForm::Pub),
            Decision { step: Step::AllAccess, from: Some("root".into()) }
        );
        assert_eq!(policy.decide("nobody", "y", Some("a"), TargetForm::Pub).step, Step::Otherwise);
    }

    #[test]
    fn bad_graphs_are_refused_with_the_reason() {
        let cycle = Policy::new(vec![
            group("a", &["b"], &[], &[]),
            group("b", &["c"], &[], &[]),
            group("c", &["a"], &[], &[]),
        ]);
        assert_eq!(cycle.unwrap_err().to_string(), "player groups inherit in a circle: a -> b -> c -> a");
        let unknown = Policy::new(vec![group("a", &["zz"], &[], &[])]);
        assert_eq!(
            unknown.unwrap_err().to_string(),
            "player group 'a' inherits 'zz', which is not a player group"
        );
        let twice = Policy::new(vec![group("a", &[], &[], &[]), group("a", &[], &[], &[])]);
        assert_eq!(twice.unwrap_err(), PolicyError::Duplicate("a".into()));
        let both = Policy::new(vec![group("a", &[], &[], &[("x", Effect::Grant), ("x", Effect::Deny)])]);
        assert!(matches!(both.unwrap_err(), PolicyError::Contradiction { .. }));
    }

    #[test]
    fn rule_keys_parse_and_print() {
        assert_eq!("usage:player".parse::<RuleKey>().unwrap(), RuleKey::exact("usage", TargetForm::Player));
        assert_eq!("*Warn".parse::<RuleKey>().unwrap().to_string(), "*warn");
        assert_eq!(
            "usage:players".parse::<RuleKey>().unwrap_err(),
            RuleKeyError::UnknownForm("players".into())
        );
        assert_eq!(":pub".parse::<RuleKey>().unwrap_err(), RuleKeyError::Empty);
    }
}
