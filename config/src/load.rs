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
}

impl Config {
    /// The embedded default config.
    ///
    /// # Errors
    /// Only if the shipped default is broken, which a test rules out.
    pub fn embedded() -> Result<Config, ConfigError> {
        let zone = parse_zone(Path::new("<embedded>/zone.ron"), default_text(ZONE_FILE))?;
        Ok(Config { zone, dir: None })
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
        Ok(Config { zone, dir: Some(dir.to_owned()) })
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
