//! Reading a config directory or the embedded default, validating it, and
//! writing the default out for `zone-server init`.

use std::path::{Path, PathBuf};

use crate::error::ConfigError;
use crate::zone::{ZoneConfig, valid_realm_name};

/// The files of the default config directory, as `(file name, text)`. The
/// server embeds them (so it runs with no config directory) and `init` writes
/// them, so the two cannot differ.
pub const DEFAULT_FILES: &[(&str, &str)] = &[("zone.ron", include_str!("../default/zone.ron"))];

/// The name of the zone file in a config directory.
pub const ZONE_FILE: &str = "zone.ron";

/// A loaded, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `zone.ron`.
    pub zone: ZoneConfig,
    /// The directory it came from; `None` for the embedded default.
    pub dir: Option<PathBuf>,
    /// The zone file's path (`<embedded>/zone.ron` for the default) and text,
    /// to place errors found after loading, such as an unknown component.
    pub zone_source: (PathBuf, String),
}

impl Config {
    /// The embedded default config.
    ///
    /// # Errors
    /// Only if the shipped default is broken, which a test rules out.
    pub fn embedded() -> Result<Config, ConfigError> {
        let path = PathBuf::from("<embedded>/zone.ron");
        let text = default_text(ZONE_FILE);
        let zone = parse_zone(&path, text)?;
        Ok(Config { zone, dir: None, zone_source: (path, text.to_owned()) })
    }

    /// A config built in code rather than read from a file: errors found later
    /// point at `<built-in>/zone.ron:1:1`.
    pub fn from_zone(zone: ZoneConfig) -> Config {
        Config { zone, dir: None, zone_source: (PathBuf::from("<built-in>/zone.ron"), String::new()) }
    }

    /// Checks that every component the zone file attaches is one of `known`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] at the first unknown name, listing the known ones.
    pub fn check_components(&self, known: &[&str]) -> Result<(), ConfigError> {
        let zone = &self.zone;
        let named = zone.components.iter().chain(zone.realms.iter().flat_map(|realm| {
            realm.components.iter().chain(realm.games.iter().flat_map(|game| game.components.iter()))
        }));
        for name in named {
            if !known.contains(&name.as_str()) {
                let (path, text) = &self.zone_source;
                return Err(ConfigError::invalid(
                    path.clone(),
                    text,
                    &[at(format!("\"{name}\""))],
                    format!("there is no component called '{name}'; the components are {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Loads and validates the config directory `dir`.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when a file cannot be read, [`ConfigError::Parse`] and
    /// [`ConfigError::Invalid`] with the file, line and column at fault.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let path = dir.join(ZONE_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| ConfigError::Io { path: path.clone(), source })?;
        let zone = parse_zone(&path, &text)?;
        Ok(Config { zone, dir: Some(dir.to_owned()), zone_source: (path, text) })
    }
}

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

/// Checks the rules serde cannot: on failure, the places to point at (tried
/// in turn) and the problem.
fn validate_zone(zone: &ZoneConfig) -> Result<(), (Vec<(String, usize)>, String)> {
    if zone.cmd_chars.is_empty() {
        return Err((vec![at("cmd_chars")], "cmd_chars needs at least one cmd char, such as '?'".into()));
    }
    for (i, &c) in zone.cmd_chars.iter().enumerate() {
        if !c.is_ascii_punctuation() || c == '|' || c == ':' {
            return Err((
                vec![at(format!("'{c}'")), at("cmd_chars")],
                format!("'{c}' cannot be a cmd char: use ASCII punctuation other than '|' and ':'"),
            ));
        }
        if zone.cmd_chars[..i].contains(&c) {
            return Err((vec![at("cmd_chars")], format!("cmd char '{c}' is listed twice")));
        }
    }
    let limits = &zone.limits;
    let positive = [
        ("line_length", limits.line_length as u64),
        ("lines_per_second", limits.lines_per_second as u64),
        ("connections", limits.connections as u64),
        ("login_timeout_secs", limits.login_timeout_secs),
        ("outbound_queue", limits.outbound_queue as u64),
        ("keepalive_secs", limits.keepalive_secs),
        ("name_length", limits.name_length as u64),
        ("realm_name_length", limits.realm_name_length as u64),
        ("realms", limits.realms as u64),
        ("multi_commands", limits.multi_commands as u64),
    ];
    if let Some((field, _)) = positive.iter().find(|(_, value)| *value == 0) {
        return Err((vec![at(format!("{field}:"))], format!("limits.{field} must be at least 1")));
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
