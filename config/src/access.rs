//! The schemas of `groups.ron` (player groups: what each may run, DESIGN §5.1)
//! and `staff.ron` (who is in which group, and group passwords). The server
//! adds moderators' runtime edits on top; it never rewrites these files.

use serde::Deserialize;

/// `groups.ron`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupsConfig {
    /// The player groups. `default` must be one: it is the group of every
    /// player without a membership.
    ///
    /// # Default
    /// `default`, `mod`, `smod` and `sysop`, as in the shipped `groups.ron`.
    pub groups: Vec<GroupConfig>,
}

/// One player group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// The group's name: lower-case ASCII letters, digits, `_` and `-`.
    pub name: String,
    /// Parent groups, earlier first: the group gets their rules, command
    /// groups and all access; its own rules win, then the earlier parent's.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub inherits: Vec<String>,
    /// Command groups the group accepts: every command registered under one
    /// of them is allowed unless a rule denies it (ladder step 5).
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub command_groups: Vec<String>,
    /// Rules that allow: `"usage"` (the command in every form) or
    /// `"usage:player"` (one form); `"*warn"` for a command bound to `*`.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub grant: Vec<String>,
    /// Rules that deny, written as in `grant`. A rule for one form beats a
    /// rule for the command in general.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub deny: Vec<String>,
    /// Whether the group may run every command not denied to it (step 6).
    ///
    /// # Default
    /// `false`
    #[serde(default)]
    pub all_access: bool,
    /// A moderator may edit the rules of, and put players into or out of,
    /// only groups whose rank is lower than their own group's.
    ///
    /// # Default
    /// `0`
    #[serde(default)]
    pub rank: u32,
}

impl Default for GroupsConfig {
    fn default() -> GroupsConfig {
        let group = |name: &str, inherits: &[&str], command_groups: &[&str], rank| GroupConfig {
            name: name.to_owned(),
            inherits: inherits.iter().map(|s| (*s).to_owned()).collect(),
            command_groups: command_groups.iter().map(|s| (*s).to_owned()).collect(),
            grant: Vec::new(),
            deny: Vec::new(),
            all_access: false,
            rank,
        };
        let mut default = group("default", &[], &["default"], 0);
        default.grant = vec!["usage:pub".to_owned()];
        default.deny = vec!["usage".to_owned()];
        let mut moderator = group("mod", &["default"], &["mod"], 10);
        moderator.grant = vec!["usage".to_owned()];
        let mut sysop = group("sysop", &[], &["sysop"], 30);
        sysop.all_access = true;
        GroupsConfig { groups: vec![default, moderator, group("smod", &["mod"], &["smod"], 20), sysop] }
    }
}

/// `staff.ron`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StaffConfig {
    /// Players' groups. A member without `realm` is in the group zone-wide;
    /// with one, only in that realm, where it wins over the zone-wide entry.
    ///
    /// # Default
    /// `[]`
    pub members: Vec<Member>,
    /// Passwords for `?grplogin`, which puts a player in a group for the
    /// session: argon2 hashes in PHC form (`zone-server hash-password` makes one).
    ///
    /// # Default
    /// `[]`
    pub group_passwords: Vec<GroupPassword>,
}

/// One membership.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The player's name (any case).
    pub name: String,
    /// The player group.
    pub group: String,
    /// The realm the membership holds in; none for zone-wide.
    ///
    /// # Default
    /// none
    #[serde(default)]
    pub realm: Option<String>,
}

/// A group's password for `?grplogin`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPassword {
    /// The player group.
    pub group: String,
    /// The argon2 hash, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub hash: String,
}
