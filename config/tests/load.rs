//! Loading config directories: the embedded default, `init`, and errors that
//! name file, line and column.
#![allow(clippy::unwrap_used)]

use zone_config::{Config, ConfigError, GroupsConfig, StaffConfig, ZoneConfig, load};

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
    assert_eq!(config.groups, GroupsConfig::default());
    assert_eq!(config.staff, StaffConfig::default());
    assert_eq!(config.dir, None);
}

#[test]
fn init_writes_a_directory_that_loads_to_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let written = load::init(dir.path()).unwrap();
    assert_eq!(written, ["zone.ron", "groups.ron", "staff.ron"].map(|name| dir.path().join(name)));
    let loaded = Config::load(dir.path()).unwrap();
    let embedded = Config::embedded().unwrap();
    assert_eq!(
        (&loaded.zone, &loaded.groups, &loaded.staff),
        (&embedded.zone, &embedded.groups, &embedded.staff)
    );
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
        ("(http: (connections_per_listener: 0))", "http.connections_per_listener must be at least 1"),
        ("(http: (sessions_per_account: 0))", "http.sessions_per_account must be at least 1"),
        ("(http: (body_bytes: 100))", "http.body_bytes must be at least 1024 bytes"),
        ("(http: (session_idle: \"10ms\"))", "http.session_idle must be between 100ms and 1d"),
        ("(runtime_threads: Some(0))", "runtime_threads must be between 1 and 1024, not 0"),
        ("(runtime_threads: Some(5000))", "runtime_threads must be between 1 and 1024, not 5000"),
    ] {
        let (dir, _) = write_zone(text);
        let error = Config::load(dir.path()).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { .. }), "{text}: {error}");
        assert!(error.to_string().contains(expect), "{text}: {error}");
    }
}

#[test]
fn an_http_limit_error_points_into_the_http_section() {
    let (dir, _) =
        write_zone("(\n  limits: (connections: 10),\n  http: (\n    header_timeout: \"2d\",\n  ),\n)");
    let error = Config::load(dir.path()).unwrap_err();
    let ConfigError::Invalid { line, column, problem, .. } = &error else { panic!("{error}") };
    assert_eq!((*line, *column), (4, 5), "{problem}");
    assert_eq!(problem, "http.header_timeout must be between 100ms and 1d, not 172800s");
}

#[test]
fn the_message_of_the_day_and_help_topics_refuse_control_characters_with_positions() {
    let (dir, _) = write_zone("(\n  name: \"z\",\n  motd: \"hello\\nbad\\tline\",\n)");
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(
        error.ends_with(
            "zone.ron:3:3: motd, line 2, column 4: the control character U+0009 (use spaces instead of tabs)"
        ),
        "{error}"
    );

    let (dir, _) = write_zone("(motd: \"Welcome!\\nRules: ?help rules\")");
    std::fs::create_dir(dir.path().join("help")).unwrap();
    std::fs::write(dir.path().join("help/rules.txt"), "Be nice.\n").unwrap();
    let config = Config::load(dir.path()).unwrap();
    assert_eq!(config.zone.motd, "Welcome!\nRules: ?help rules");
    assert_eq!(config.help.get("rules").unwrap().lines, ["Be nice."]);
    std::fs::write(dir.path().join("help/bad name.txt"), "x").unwrap();
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains("bad name.txt:1:1: 'bad name' cannot be a help topic"), "{error}");
}

#[test]
fn a_store_url_shows_no_password_in_debug_output() {
    let store = zone_config::StoreConfig::Postgres { url: "postgres://zone:hunter2@127.0.0.1/zones".into() };
    let shown = format!("{store:?}");
    assert_eq!(shown, "Postgres { url: \"postgres://zone:…@127.0.0.1/zones\" }");
    let keyed = zone_config::StoreConfig::Postgres { url: "host=db user=zone password=hunter2".into() };
    assert!(!format!("{keyed:?}").contains("hunter2"));
}

#[test]
fn missing_directory_is_an_io_error_naming_the_file() {
    let error = Config::load(std::path::Path::new("/nonexistent/zone-config")).unwrap_err();
    assert!(error.to_string().starts_with("/nonexistent/zone-config/zone.ron: "), "{error}");
}

/// A config directory with an empty `zone.ron` and the given groups and staff files.
fn write_access(groups: &str, staff: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zone.ron"), "()").unwrap();
    std::fs::write(dir.path().join("groups.ron"), groups).unwrap();
    std::fs::write(dir.path().join("staff.ron"), staff).unwrap();
    dir
}

fn access_error(groups: &str, staff: &str) -> String {
    let dir = write_access(groups, staff);
    let error = Config::load(dir.path()).unwrap_err().to_string();
    error.replace(&dir.path().display().to_string(), "DIR")
}

const GROUPS: &str = "(groups: [\n    (name: \"default\", command_groups: [\"default\"]),\n    (name: \"mod\", inherits: [\"default\"], grant: [\"usage:player\"]),\n])";

#[test]
fn missing_groups_and_staff_files_mean_the_defaults() {
    let (dir, _) = write_zone("()");
    let config = Config::load(dir.path()).unwrap();
    assert_eq!(config.groups, GroupsConfig::default());
    assert_eq!(config.staff, StaffConfig::default());
    let dir = write_access(GROUPS, "(members: [(name: \"Mo\", group: \"mod\", realm: \"duel\")])");
    let config = Config::load(dir.path()).unwrap();
    assert_eq!(config.groups.groups.len(), 2);
    assert_eq!(config.staff.members[0].realm.as_deref(), Some("duel"));
}

#[test]
fn group_errors_name_the_place_and_the_problem() {
    let cycle = "(groups: [\n  (name: \"default\"),\n  (name: \"a\", inherits: [\"b\"]),\n  (name: \"b\", inherits: [\"a\"]),\n])";
    assert_eq!(
        access_error(cycle, "()"),
        "DIR/groups.ron:3:4: player groups inherit in a circle: a -> b -> a"
    );
    let parent = "(groups: [\n  (name: \"default\", inherits: [\"root\"]),\n])";
    assert_eq!(
        access_error(parent, "()"),
        "DIR/groups.ron:2:32: player group 'default' inherits 'root', which is not a player group"
    );
    let form = "(groups: [(name: \"default\", grant: [\"usage:players\"])])";
    assert_eq!(
        access_error(form, "()"),
        "DIR/groups.ron:1:37: rule 'usage:players': 'players' is not a target form: use pub, team, remote_team, player or external"
    );
    let no_default = "(groups: [(name: \"mod\")])";
    assert!(
        access_error(no_default, "()")
            .ends_with("there must be a player group 'default': it is every player's group until one is set")
    );
    let both = "(groups: [(name: \"default\", grant: [\"go\"], deny: [\"go\"])])";
    assert!(access_error(both, "()").ends_with("player group 'default' both grants and denies 'go'"));
}

#[test]
fn staff_errors_name_the_place_and_the_problem() {
    assert_eq!(
        access_error(GROUPS, "(members: [(name: \"Mo\", group: \"smod\")])"),
        "DIR/staff.ron:1:32: there is no player group 'smod'"
    );
    assert_eq!(
        access_error(GROUPS, "(group_passwords: [(group: \"mod\", hash: \"plain\")])"),
        "DIR/staff.ron:1:41: not an argon2 hash in PHC form; make one with `zone-server hash-password`"
    );
    // A name no login could use (`:` separates ChatNet fields) is refused,
    // as `zone-server staff set` and logins refuse it (issue 11).
    assert_eq!(
        access_error(GROUPS, "(members: [(name: \"Al:ice\", group: \"mod\")])"),
        "DIR/staff.ron:1:19: 'Al:ice' is not a player name: a name is 1 to 20 characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit"
    );
    let twice = "(members: [(name: \"Mo\", group: \"mod\"), (name: \"mo\", group: \"default\")])";
    assert!(access_error(GROUPS, twice).ends_with("mo is listed twice for the same place"));
}

#[test]
fn rules_and_command_groups_are_checked_against_the_commands() {
    let dir = write_access(GROUPS, "()");
    let config = Config::load(dir.path()).unwrap();
    let usage = ("usage".to_owned(), zone_ladder::Forms::new(true, false, false, true, false));
    assert!(config.check_commands(std::slice::from_ref(&usage), &["default"]).is_ok());
    let error = config.check_commands(&[("uptime".to_owned(), usage.1)], &["default"]).unwrap_err();
    assert!(error.to_string().contains("groups.ron:3:50: there is no command 'usage'"), "{error}");
    let error = config.check_commands(std::slice::from_ref(&usage), &["mod"]).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("no command is registered under command group 'default'; the command groups are mod"),
        "{error}"
    );
    let team_only = ("usage".to_owned(), zone_ladder::Forms::new(false, true, false, false, false));
    let error = config.check_commands(&[team_only], &["default"]).unwrap_err();
    assert!(error.to_string().ends_with("usage does not take the player form; it takes team"), "{error}");
}

#[test]
fn durations_are_written_with_units_or_as_seconds() {
    let (dir, path) = write_zone(
        "(limits: (login_timeout: \"500ms\", keepalive: 90), accounts: (usage_checkpoint: \"1m30s\"))",
    );
    let config = Config::load(dir.path()).unwrap();
    assert_eq!(config.zone.limits.login_timeout, std::time::Duration::from_millis(500));
    assert_eq!(config.zone.limits.keepalive, std::time::Duration::from_secs(90));
    assert_eq!(config.zone.accounts.usage_checkpoint, std::time::Duration::from_secs(90));
    std::fs::write(&path, "(limits: (login_timeout: \"soon\"))").unwrap();
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains("zone.ron:1:"), "{error}");
    assert!(error.contains("'soon' is not a duration"), "{error}");
    // A period too short spins timers; one too long overflows them.
    std::fs::write(&path, "(limits: (keepalive: \"1ms\"))").unwrap();
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains("zone.ron:1:"), "{error}");
    assert!(error.contains("limits.keepalive must be between 100ms and 1d, not 1ms"), "{error}");
    std::fs::write(&path, "(accounts: (usage_checkpoint: \"100000000d\"))").unwrap();
    let error = Config::load(dir.path()).unwrap_err().to_string();
    assert!(error.contains("accounts.usage_checkpoint must be between 100ms and 1d"), "{error}");
}
