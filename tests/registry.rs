//! The exact set of commands linked into the zone. linkme registration lives in
//! linker sections, which a build can silently drop: CI also runs this test
//! with `--release`.

use cmdman::{Registry, Settings};

#[test]
fn the_zone_registers_exactly_these_commands() {
    // Referencing the server crate links it, commands and all.
    let _parse = zone_server::chatnet::message::parse;
    let registry = Registry::linked(Settings::default()).unwrap();
    let names: Vec<(&str, &str)> =
        registry.commands().iter().map(|command| (command.component(), command.name())).collect();
    assert_eq!(
        names,
        [
            ("realm", "arena"),
            ("help", "commands"),
            ("find", "find"),
            ("realm", "go"),
            ("help", "man"),
            ("uptime", "uptime"),
            ("usage", "usage"),
        ]
    );
    assert_eq!(registry.find('?', "help").map(|command| command.name()), Some("man"));
}
