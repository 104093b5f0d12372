//! Loading config directories: the embedded default, `init`, and errors that
//! name file, line and column.
#![allow(clippy::unwrap_used)]

use config::{Config, ConfigError, ZoneConfig, load};

fn write_zone(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone.ron");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn embedded_default_parses_and_equals_the_schema_defaults() {
    let config = Config::embedded().unwrap();
    assert_eq!(config.zone, ZoneConfig::default());
    assert_eq!(config.dir, None);
}

#[test]
fn init_writes_a_directory_that_loads_to_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let written = load::init(dir.path()).unwrap();
    assert_eq!(written, [dir.path().join("zone.ron")]);
    let loaded = Config::load(dir.path()).unwrap();
    assert_eq!(loaded.zone, Config::embedded().unwrap().zone);
    // A second init refuses to overwrite.
    let error = load::init(dir.path()).unwrap_err();
    assert!(matches!(error, ConfigError::Io { .. }), "{error}");
}

#[test]
fn an_empty_file_means_every_default() {
    let (dir, _) = write_zone("()");
    assert_eq!(Config::load(dir.path()).unwrap().zone, ZoneConfig::default());
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let (dir, path) = write_zone("(\n    name: \"z\",\n    listen: 5,\n)");
    let error = Config::load(dir.path()).unwrap_err();
    let ConfigError::Parse { path: at, line, column, .. } = &error else { panic!("{error}") };
    assert_eq!(at, &path);
    assert_eq!((*line, *column), (3, 13));
    assert!(error.to_string().starts_with(&format!("{}:3:13: ", path.display())), "{error}");
}

#[test]
fn unknown_field_is_refused_with_its_position() {
    let (dir, _) = write_zone("(\n  limits: (line_lenght: 100),\n)");
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains(":2:"), "{error}");
    assert!(error.contains("line_lenght"), "{error}");
}

#[test]
fn duplicate_realm_points_at_the_second_declaration() {
    let (dir, _) = write_zone("(\n  realms: [\n    (name: \"duel\"),\n    (name: \"duel\"),\n  ],\n)");
    let error = Config::load(dir.path()).unwrap_err();
    let ConfigError::Invalid { line, column, problem, .. } = &error else { panic!("{error}") };
    assert_eq!((*line, *column), (4, 12));
    assert_eq!(problem, "realm 'duel' is declared twice");
}

#[test]
fn bad_values_are_invalid_with_a_reason() {
    for (text, expect) in [
        ("(cmd_chars: ['a'])", "'a' cannot be a cmd char"),
        ("(cmd_chars: [])", "at least one cmd char"),
        ("(realms: [(name: \"no spaces\")])", "realm name 'no spaces'"),
        ("(limits: (connections: 0))", "limits.connections must be at least 1"),
        ("(accounts: (password_hashing: (memory_kib: 1)))", "password_hashing"),
    ] {
        let (dir, _) = write_zone(text);
        let error = Config::load(dir.path()).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { .. }), "{text}: {error}");
        assert!(error.to_string().contains(expect), "{text}: {error}");
    }
}

#[test]
fn missing_directory_is_an_io_error_naming_the_file() {
    let error = Config::load(std::path::Path::new("/nonexistent/zone-config")).unwrap_err();
    assert!(error.to_string().starts_with("/nonexistent/zone-config/zone.ron: "), "{error}");
}
