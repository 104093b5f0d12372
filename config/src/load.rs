//! Reading a config directory or the embedded default, validating it, and
//! writing the default out for `zone-server init`.

use std::path::{Path, PathBuf};

use zone_ladder::{Effect, Forms, GroupSpec, Policy, PolicyError, RuleKey};

use crate::access::{GroupsConfig, Member, StaffConfig};
use crate::error::ConfigError;
use crate::zone::{MAX_RUNTIME_THREADS, ZoneConfig, valid_realm_name};

/// The files of the default config directory, as `(file name, text)`. The
/// server embeds them (so it runs with no config directory) and `init` writes
/// them, so the two cannot differ.
pub const DEFAULT_FILES: &[(&str, &str)] = &[
    (ZONE_FILE, include_str!("../default/zone.ron")),
    (GROUPS_FILE, include_str!("../default/groups.ron")),
    (STAFF_FILE, include_str!("../default/staff.ron")),
];

/// The name of the zone file in a config directory.
pub const ZONE_FILE: &str = "zone.ron";
/// The name of the player groups file in a config directory.
pub const GROUPS_FILE: &str = "groups.ron";
/// The name of the staff file in a config directory.
pub const STAFF_FILE: &str = "staff.ron";

/// A config file's path and text, kept to place errors found after loading
/// (an unknown component or command).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// Where it was read from (`<embedded>/zone.ron` for the default).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `zone.ron`.
    pub zone: ZoneConfig,
    /// `groups.ron`.
    pub groups: GroupsConfig,
    /// `staff.ron`.
    pub staff: StaffConfig,
    /// The directory it came from; `None` for the embedded default.
    pub dir: Option<PathBuf>,
    /// The texts of `zone.ron`, `groups.ron` and `staff.ron`.
    pub sources: [Source; 3],
    /// The help topics of `help/*.txt`; none on the embedded default.
    pub help: crate::help::HelpTopics,
}

impl Config {
    /// The embedded default config.
    ///
    /// # Errors
    /// Only if the shipped default is broken, which a test rules out.
    pub fn embedded() -> Result<Config, ConfigError> {
        let sources = [ZONE_FILE, GROUPS_FILE, STAFF_FILE].map(|name| Source {
            path: PathBuf::from("<embedded>").join(name),
            text: default_text(name).to_owned(),
        });
        Config::parse(None, sources)
    }

    /// A config built in code rather than read from files, with the default
    /// groups and no staff: errors found later point at line 1, column 1.
    pub fn from_zone(zone: ZoneConfig) -> Config {
        let source =
            |name: &str| Source { path: PathBuf::from("<built-in>").join(name), text: String::new() };
        Config {
            zone,
            groups: GroupsConfig::default(),
            staff: StaffConfig::default(),
            dir: None,
            sources: [source(ZONE_FILE), source(GROUPS_FILE), source(STAFF_FILE)],
            help: crate::help::HelpTopics::default(),
        }
    }

    /// Loads and validates the config directory `dir`. `zone.ron` must be
    /// there; a missing `groups.ron` or `staff.ron` means the embedded default.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when a file cannot be read, [`ConfigError::Parse`] and
    /// [`ConfigError::Invalid`] with the file, line and column at fault.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let read = |name: &str, required: bool| {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Source { path, text }),
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Source {
                    path: PathBuf::from("<embedded>").join(name),
                    text: default_text(name).to_owned(),
                }),
                Err(source) => Err(ConfigError::Io { path, source }),
            }
        };
        let sources = [read(ZONE_FILE, true)?, read(GROUPS_FILE, false)?, read(STAFF_FILE, false)?];
        let mut config = Config::parse(Some(dir.to_owned()), sources)?;
        config.help = crate::help::HelpTopics::load(dir)?;
        Ok(config)
    }

    fn parse(dir: Option<PathBuf>, sources: [Source; 3]) -> Result<Config, ConfigError> {
        let [zone_source, groups_source, staff_source] = &sources;
        let zone = parse_zone(&zone_source.path, &zone_source.text)?;
        let groups: GroupsConfig = parse_ron(groups_source)?;
        let staff: StaffConfig = parse_ron(staff_source)?;
        let policy = validate_groups(&groups)
            .map_err(|(needles, problem)| invalid(groups_source, &needles, problem))?;
        validate_staff(&staff, &policy, &zone)
            .map_err(|(needles, problem)| invalid(staff_source, &needles, problem))?;
        Ok(Config { zone, groups, staff, dir, sources, help: crate::help::HelpTopics::default() })
    }

    /// The player groups as the ladder takes them (config rules only).
    pub fn policy(&self) -> Policy {
        // Validated at load; a config built in code has the default groups.
        validate_groups(&self.groups).unwrap_or_default()
    }

    /// Every component the zone file attaches: zone-wide, then each realm's
    /// and its games'. A name that is not there is reported at start-up, not
    /// refused (a script component may fail to load).
    pub fn named_components(&self) -> impl Iterator<Item = &str> {
        let zone = &self.zone;
        zone.components
            .iter()
            .chain(zone.realms.iter().flat_map(|realm| {
                realm.components.iter().chain(realm.games.iter().flat_map(|game| game.components.iter()))
            }))
            .map(String::as_str)
    }

    /// Checks the rules and command groups of `groups.ron` against the
    /// commands compiled in: `commands` are their rule names (`usage`,
    /// `*warn`) with the forms each takes, `command_groups` every command group
    /// some command registers under.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] at a rule naming an unknown command or a form
    /// the command does not take, or an unknown command group.
    pub fn check_commands(
        &self,
        commands: &[(String, Forms)],
        command_groups: &[&str],
    ) -> Result<(), ConfigError> {
        let source = &self.sources[1];
        for group in &self.groups.groups {
            for text in group.grant.iter().chain(&group.deny) {
                let Ok(key) = text.parse::<RuleKey>() else { continue };
                let named: Vec<Forms> = commands
                    .iter()
                    .filter(|(name, _)| *name == key.command)
                    .map(|(_, forms)| *forms)
                    .collect();
                let problem = match named.first() {
                    None => Some(format!(
                        "there is no command '{}' (a rule names a command by its name, with its cmd char if it is bound to one: usage, *warn)",
                        key.command
                    )),
                    Some(forms) => {
                        key.form.filter(|form| !named.iter().any(|forms| forms.contains(*form))).map(|form| {
                            format!("{} does not take the {form} form; it takes {forms}", key.command)
                        })
                    }
                };
                if let Some(problem) = problem {
                    return Err(invalid(source, &[at(format!("\"{text}\""))], problem));
                }
            }
            for command_group in &group.command_groups {
                if !command_groups.contains(&command_group.as_str()) {
                    return Err(invalid(
                        source,
                        &[at(format!("\"{command_group}\""))],
                        format!(
                            "no command is registered under command group '{command_group}'; the command groups are {}",
                            command_groups.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn invalid(source: &Source, needles: &[(String, usize)], problem: String) -> ConfigError {
    ConfigError::invalid(source.path.clone(), &source.text, needles, problem)
}

fn parse_ron<T: serde::de::DeserializeOwned>(source: &Source) -> Result<T, ConfigError> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&source.text)
        .map_err(|error| ConfigError::parse(source.path.clone(), &source.text, error))
}

/// Checks `groups.ron` and builds the ladder's policy from it.
fn validate_groups(config: &GroupsConfig) -> Result<Policy, (Vec<(String, usize)>, String)> {
    let mut specs = Vec::new();
    for group in &config.groups {
        if !zone_names::is_group_name(&group.name) {
            return Err((
                vec![at(format!("\"{}\"", group.name))],
                format!(
                    "player group name '{}' must be lower-case ASCII letters, digits, '_' or '-'",
                    group.name
                ),
            ));
        }
        let mut rules = Vec::new();
        for (texts, effect) in [(&group.grant, Effect::Grant), (&group.deny, Effect::Deny)] {
            for text in texts {
                let key: RuleKey = text.parse().map_err(|error: zone_ladder::RuleKeyError| {
                    (vec![at(format!("\"{text}\""))], format!("rule '{text}': {error}"))
                })?;
                rules.push((key, effect));
            }
        }
        specs.push(GroupSpec {
            name: group.name.clone(),
            inherits: group.inherits.clone(),
            command_groups: group.command_groups.clone(),
            rules,
            all_access: group.all_access,
            rank: group.rank,
        });
    }
    let policy = Policy::new(specs).map_err(|error| {
        let needles = match &error {
            PolicyError::Duplicate(name) => {
                vec![(format!("name: \"{name}\""), 1), (format!("\"{name}\""), 1)]
            }
            PolicyError::UnknownParent { parent, .. } => vec![at(format!("\"{parent}\""))],
            PolicyError::Cycle(path) => {
                path.first().map(|first| vec![at(format!("name: \"{first}\""))]).unwrap_or_default()
            }
            PolicyError::Contradiction { key, .. } => {
                vec![(format!("\"{key}\""), 1), at(format!("\"{key}\""))]
            }
        };
        (needles, error.to_string())
    })?;
    if policy.group(DEFAULT_GROUP).is_none() {
        return Err((
            vec![at("groups:")],
            format!(
                "there must be a player group '{DEFAULT_GROUP}': it is every player's group until one is set"
            ),
        ));
    }
    Ok(policy)
}

/// Checks `staff.ron` against the groups.
fn validate_staff(
    staff: &StaffConfig,
    policy: &Policy,
    zone: &ZoneConfig,
) -> Result<(), (Vec<(String, usize)>, String)> {
    for (i, member) in staff.members.iter().enumerate() {
        let quoted = |text: &str| at(format!("\"{text}\""));
        if let Err(rule) = zone_names::check_player_name(&member.name, zone.limits.name_length) {
            return Err((
                vec![quoted(&member.name)],
                format!("'{}' is not a player name: {rule}", member.name),
            ));
        }
        if policy.group(&member.group).is_none() {
            return Err((
                vec![quoted(&member.group)],
                format!("there is no player group '{}'", member.group),
            ));
        }
        if let Some(realm) = &member.realm
            && !valid_realm_name(realm, zone.limits.realm_name_length)
        {
            return Err((vec![quoted(realm)], format!("'{realm}' is not a realm name")));
        }
        let same = |other: &Member| {
            other.name.eq_ignore_ascii_case(&member.name)
                && other.realm.as_deref().map(str::to_ascii_lowercase)
                    == member.realm.as_deref().map(str::to_ascii_lowercase)
        };
        if staff.members[..i].iter().any(same) {
            return Err((
                vec![(format!("\"{}\"", member.name), 1)],
                format!("{} is listed twice for the same place", member.name),
            ));
        }
    }
    for password in &staff.group_passwords {
        if policy.group(&password.group).is_none() {
            return Err((
                vec![at(format!("\"{}\"", password.group))],
                format!("there is no player group '{}'", password.group),
            ));
        }
        if password_hash::PasswordHash::new(&password.hash).is_err() {
            return Err((
                vec![at(format!("\"{}\"", password.hash))],
                "not an argon2 hash in PHC form; make one with `zone-server hash-password`".to_owned(),
            ));
        }
    }
    Ok(())
}

/// The group every player is in until a membership says otherwise.
pub const DEFAULT_GROUP: &str = "default";

/// Writes the default config into `dir` (created if missing) and returns the
/// files written. Existing files are never overwritten.
///
/// # Errors
/// [`ConfigError::Io`] when `dir` cannot be created, a file exists already, or
/// a write fails.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    std::fs::create_dir_all(dir).map_err(|source| ConfigError::Io { path: dir.to_owned(), source })?;
    let mut written = Vec::new();
    for (name, text) in DEFAULT_FILES {
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path);
        let result = file.and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
        result.map_err(|source| ConfigError::Io { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

fn default_text(name: &str) -> &'static str {
    DEFAULT_FILES.iter().find(|(file, _)| *file == name).map_or("", |(_, text)| text)
}

/// Parses and validates the text of a `zone.ron`.
///
/// # Errors
/// [`ConfigError::Parse`] or [`ConfigError::Invalid`], naming `path`.
pub fn parse_zone(path: &Path, text: &str) -> Result<ZoneConfig, ConfigError> {
    let zone: ZoneConfig = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|error| ConfigError::parse(path.to_owned(), text, error))?;
    validate_zone(&zone)
        .map_err(|(needles, problem)| ConfigError::invalid(path.to_owned(), text, &needles, problem))?;
    Ok(zone)
}

/// The first occurrence of `needle`.
fn at(needle: impl Into<String>) -> (String, usize) {
    (needle.into(), 0)
}

/// The most lines the message of the day may have.
const MOTD_LINES: usize = 20;

/// The shortest a configured period may be (login timeout, keepalive, usage
/// checkpoint).
const SHORTEST_PERIOD: std::time::Duration = std::time::Duration::from_millis(100);
/// The longest: one day.
const LONGEST_PERIOD: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Checks the rules serde cannot: on failure, the places to point at (tried
/// in turn) and the problem.
fn validate_zone(zone: &ZoneConfig) -> Result<(), (Vec<(String, usize)>, String)> {
    if zone.cmd_chars.is_empty() {
        return Err((vec![at("cmd_chars")], "cmd_chars needs at least one cmd char, such as '?'".into()));
    }
    for (i, &c) in zone.cmd_chars.iter().enumerate() {
        if !zone_names::is_cmd_char(c) {
            return Err((
                vec![at(format!("'{c}'")), at("cmd_chars")],
                format!("'{c}' cannot be a cmd char: {}", zone_names::CMD_CHAR_RULE),
            ));
        }
        if zone.cmd_chars[..i].contains(&c) {
            return Err((vec![at("cmd_chars")], format!("cmd char '{c}' is listed twice")));
        }
    }
    if let Some(threads) = zone.runtime_threads
        && !(1..=MAX_RUNTIME_THREADS).contains(&threads)
    {
        return Err((
            vec![at("runtime_threads:")],
            format!("runtime_threads must be between 1 and {MAX_RUNTIME_THREADS}, not {threads}"),
        ));
    }
    let limits = &zone.limits;
    let positive = [
        ("line_length", limits.line_length as u64),
        ("lines_per_second", limits.lines_per_second as u64),
        ("connections", limits.connections as u64),
        ("outbound_queue", limits.outbound_queue as u64),
        ("name_length", limits.name_length as u64),
        ("realm_name_length", limits.realm_name_length as u64),
        ("realms", limits.realms as u64),
        ("multi_commands", limits.multi_commands as u64),
        ("pre_login_connections", limits.pre_login_connections as u64),
        ("players_per_address", limits.players_per_address as u64),
        ("password_queue", limits.password_queue as u64),
        ("pre_login_per_address", limits.pre_login_per_address as u64),
        ("login_attempts_per_minute", u64::from(limits.login_attempts_per_minute)),
        ("flood_disconnect_secs", u64::from(limits.flood_disconnect_secs)),
        ("flood_mute_secs", limits.flood_mute_secs),
        ("base_secs", limits.login_backoff.base_secs),
        ("max_entries", limits.login_backoff.max_entries as u64),
        ("audit_window_secs", limits.login_backoff.audit_window_secs),
        ("forget_secs", limits.login_backoff.forget_secs),
        ("ignores_per_player", limits.ignores_per_player as u64),
        ("messages_per_recipient", limits.messages_per_recipient as u64),
        ("messages_per_day", limits.messages_per_day as u64),
    ];
    if let Some((field, _)) = positive.iter().find(|(_, value)| *value == 0) {
        return Err((vec![at(format!("{field}:"))], format!("limits.{field} must be at least 1")));
    }
    let scripts = &zone.scripts;
    let positive = [
        ("memory_kib", scripts.memory_kib as u64),
        ("budget", scripts.budget),
        ("timers", scripts.timers as u64),
        ("files", scripts.files as u64),
        ("file_bytes", scripts.file_bytes as u64),
        ("files_bytes", scripts.files_bytes as u64),
    ];
    if let Some((field, _)) = positive.iter().find(|(_, value)| *value == 0) {
        return Err((vec![at(format!("{field}:"))], format!("scripts.{field} must be at least 1")));
    }
    let http = &zone.http;
    let positive = [
        ("connections_per_listener", http.connections_per_listener as u64),
        ("sessions", http.sessions as u64),
        ("sessions_per_account", http.sessions_per_account as u64),
    ];
    if let Some((field, _)) = positive.iter().find(|(_, value)| *value == 0) {
        return Err((vec![at(format!("{field}:"))], format!("http.{field} must be at least 1")));
    }
    if http.body_bytes < 1024 {
        return Err((vec![at("body_bytes:")], "http.body_bytes must be at least 1024 bytes".into()));
    }
    // Shorter would spin a timer per connection; longer overflows timers
    // and means nothing to an operator anyway.
    let periods = [
        ("limits.login_timeout", limits.login_timeout),
        ("limits.keepalive", limits.keepalive),
        ("accounts.usage_checkpoint", zone.accounts.usage_checkpoint),
        ("scripts.min_period", zone.scripts.min_period),
        ("http.header_timeout", http.header_timeout),
        ("http.connection_time", http.connection_time),
        ("http.session_idle", http.session_idle),
        ("http.session_lifetime", http.session_lifetime),
    ];
    for (field, duration) in periods {
        if !(SHORTEST_PERIOD..=LONGEST_PERIOD).contains(&duration) {
            let key = field.rsplit('.').next().unwrap_or(field);
            return Err((
                vec![at(format!("{key}:"))],
                format!("{field} must be between 100ms and 1d, not {duration:?}"),
            ));
        }
    }
    if let Err((line, column, problem)) = crate::help::text_lines(&zone.motd, MOTD_LINES) {
        return Err((vec![at("motd:")], format!("motd, line {line}, column {column}: {problem}")));
    }
    if limits.line_length < 64 {
        return Err((vec![at("line_length:")], "limits.line_length must be at least 64 bytes".into()));
    }
    if zone.realms.len() > limits.realms {
        return Err((
            vec![at("realms:")],
            format!("{} realms are declared but limits.realms allows {}", zone.realms.len(), limits.realms),
        ));
    }
    for (i, realm) in zone.realms.iter().enumerate() {
        let quoted = format!("\"{}\"", realm.name);
        if !valid_realm_name(&realm.name, limits.realm_name_length) {
            return Err((
                vec![at(quoted)],
                format!(
                    "realm name '{}' must be 1 to {} ASCII letters, digits, '_' or '-'",
                    realm.name, limits.realm_name_length
                ),
            ));
        }
        if zone.realms[..i].iter().any(|other| other.name.eq_ignore_ascii_case(&realm.name)) {
            let earlier = zone.realms[..i].iter().filter(|other| other.name == realm.name).count();
            return Err((vec![(quoted, earlier)], format!("realm '{}' is declared twice", realm.name)));
        }
    }
    check_component_list(&zone.components)?;
    for realm in &zone.realms {
        check_component_list(&realm.components)?;
        for (i, game) in realm.games.iter().enumerate() {
            let quoted = format!("\"{}\"", game.name);
            if !valid_realm_name(&game.name, limits.realm_name_length) {
                return Err((
                    vec![at(quoted)],
                    format!(
                        "game name '{}' must be 1 to {} ASCII letters, digits, '_' or '-'",
                        game.name, limits.realm_name_length
                    ),
                ));
            }
            if realm.games[..i].iter().any(|other| other.name.eq_ignore_ascii_case(&game.name)) {
                return Err((
                    vec![(quoted, 1)],
                    format!("game '{}' is declared twice in realm '{}'", game.name, realm.name),
                ));
            }
            check_component_list(&game.components)?;
        }
    }
    let backoff = &limits.login_backoff;
    if backoff.max_secs < backoff.base_secs
        || backoff.max_secs > backoff.forget_secs
        || backoff.max_secs > 30 * 86_400
    {
        return Err((
            vec![at("max_secs:")],
            "limits.login_backoff.max_secs must be from base_secs to forget_secs, and at most 30 days".into(),
        ));
    }
    if limits.flood_mute_secs > 10 * 365 * 86_400 {
        return Err((
            vec![at("flood_mute_secs:")],
            "limits.flood_mute_secs must be at most ten years".into(),
        ));
    }
    let hashing = &zone.accounts.password_hashing;
    // argon2's own bounds (RFC 9106 §3.1): at least 8 KiB of memory per lane.
    let lanes_ok = (1..=0x00ff_ffff).contains(&hashing.parallelism);
    if !lanes_ok || hashing.iterations == 0 || hashing.memory_kib / 8 < hashing.parallelism {
        return Err((
            vec![at("password_hashing:")],
            "password_hashing is outside argon2's limits (memory_kib ≥ 8 × parallelism, iterations ≥ 1, parallelism ≥ 1)".into(),
        ));
    }
    Ok(())
}

/// A component list names each component once.
fn check_component_list(components: &[String]) -> Result<(), (Vec<(String, usize)>, String)> {
    for (i, name) in components.iter().enumerate() {
        if components[..i].contains(name) {
            return Err((vec![(format!("\"{name}\""), 1)], format!("component '{name}' is listed twice")));
        }
    }
    Ok(())
}
