//! The exact set of commands linked into the zone. linkme registration lives in
//! linker sections, which a build can silently drop: CI also runs this test
//! with `--release`.

use cmdman::{Location, Registry, Scope, Settings};

#[test]
fn the_zone_registers_exactly_these_commands() {
    // Referencing the server crate links it, commands and all.
    let _parse = zone_server::chatnet::message::parse;
    let registry = Registry::linked(Settings::default()).unwrap();
    let tables = registry.tables();
    let names: Vec<(&str, &str)> =
        tables.commands().iter().map(|command| (command.component(), command.name())).collect();
    assert_eq!(
        names,
        [
            ("account", "passwd"),
            ("account", "resetpw"),
            ("announce", "a"),
            ("announce", "az"),
            ("announce", "version"),
            ("announce", "zone"),
            ("channels", "chat"),
            ("components", "attach"),
            ("components", "detach"),
            ("components", "health"),
            ("components", "insmod"),
            ("components", "lsmod"),
            ("components", "rmmod"),
            ("find", "find"),
            ("game", "games"),
            ("game", "join"),
            ("game", "leave"),
            ("groups", "deny"),
            ("groups", "grant"),
            ("groups", "grants"),
            ("groups", "reloadconf"),
            ("groups", "revoke"),
            ("groups", "why"),
            ("help", "commands"),
            ("help", "man"),
            ("ignore", "ignore"),
            ("ignore", "unignore"),
            ("info", "info"),
            ("info", "seen"),
            ("info", "who"),
            ("messages", "message"),
            ("messages", "messages"),
            ("moderation", "ban"),
            ("moderation", "bans"),
            ("moderation", "kick"),
            ("moderation", "mute"),
            ("moderation", "unban"),
            ("moderation", "unmute"),
            ("moderation", "warn"),
            ("moderation", "warnings"),
            ("realm", "arena"),
            ("realm", "go"),
            ("staff", "adminpage"),
            ("staff", "auditlog"),
            ("staff", "getgroup"),
            ("staff", "grplogin"),
            ("staff", "listmod"),
            ("staff", "rmgroup"),
            ("staff", "setgroup"),
            ("staffchat", "modchat"),
            ("stats", "cmdstats"),
            ("teams", "lock"),
            ("teams", "setfreq"),
            ("teams", "specall"),
            ("teams", "unlock"),
            ("uptime", "uptime"),
            ("usage", "usage"),
        ]
    );
    // Every built-in component is one the default config may name.
    let components: Vec<&str> = tables.components().iter().map(|component| component.name()).collect();
    let mut built_in = config::BUILT_IN_COMPONENTS.to_vec();
    built_in.sort_unstable();
    assert_eq!(components, built_in);

    // Attached zone-wide, `help` finds `man` anywhere.
    assert!(registry.tables().find(Location::default(), '?', "help").is_none());
    registry.attach("help", Scope::Zone).unwrap();
    let tables = registry.tables();
    let found = tables.find(Location::default(), '?', "help");
    assert_eq!(found.map(|(command, scope)| (command.name(), scope)), Some(("man", Scope::Zone)));
}
