//! Script components over real TCP (issue 13, DESIGN §12): installed with
//! `?insmod`, attached, run through the ladder, explained by `?man`,
//! uninstalled; kept across a restart with their attachments; illegal
//! declarations, clashes and unknown names reported by `?health`; scripts
//! that loop or allocate without end cut off while chat goes on; files
//! outside a component's folder refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{TestZone, ask, test_config, with_staff};

/// The example component of the README.
fn dice() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/components/dice")
}

/// Writes a component called `name` whose main source is `source` into a
/// folder under `root`, and returns the folder.
fn component(root: &Path, name: &str, source: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("component.ron"),
        format!("(name: \"{name}\", version: \"0.1.0\", description: \"A test component.\")"),
    )
    .unwrap();
    std::fs::write(dir.join("init.luau"), source).unwrap();
    dir
}

/// Alice plays, Root is a sysop.
fn staffed() -> config::Config {
    with_staff(test_config(), &[("Root", "sysop", None)])
}

#[tokio::test]
async fn a_script_component_installs_runs_through_the_ladder_and_uninstalls() {
    let sources = tempfile::tempdir().unwrap();
    let gated = component(
        sources.path(),
        "gated",
        r#"command {
            name = "secret",
            target_pub = true,
            group = "fun",
            help = "Tells a secret.",
            run = function(ctx) ctx:reply("The secret is " .. ctx.sender.name .. ".") end,
        }"#,
    );
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut root = zone.login("Root").await;
    let mut alice = zone.login("Alice").await;

    assert_eq!(
        ask(&mut root, &format!("SEND:CMD:?insmod {}", dice().display())).await,
        "Installed dice 1.0.0 (?roll ?note). Attach it with ?attach dice [realm[/game]]."
    );
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?roll").await,
        "Unknown command '?roll'. Type ?commands for a list."
    );
    assert_eq!(ask(&mut root, "SEND:CMD:?attach dice").await, "Attached dice to the zone.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?roll 1").await, "Alice rolls 1 (1-1).");
    let roll = ask(&mut alice, "SEND:CMD:?roll").await;
    assert!(roll.starts_with("Alice rolls ") && roll.ends_with(" (1-6)."), "{roll}");
    assert_eq!(ask(&mut alice, "SEND:CMD:?roll 0").await, "Pick a max from 1 to 1000000.");
    assert_eq!(
        alice.command("SEND:CMD:?roll six").await,
        [
            "MSG:ARENA:<max> is a whole number from -9223372036854775808 to 9223372036854775807, not 'six'.",
            "MSG:ARENA:Usage: ?roll [max]",
        ]
    );
    let man = alice.command("SEND:CMD:?man roll").await;
    assert_eq!(
        man[..4],
        [
            "MSG:ARENA:?roll - Rolls a die: a whole number from 1 to max, shown to you.",
            "MSG:ARENA:Usage: ?roll [max]",
            "MSG:ARENA:Targets: pub (in public)",
            "MSG:ARENA:Command group: default",
        ]
    );
    assert!(man.iter().any(|line| line.contains("default_max sides")), "{man:?}");
    let commands = alice.command("SEND:CMD:?commands").await;
    assert!(commands.iter().any(|line| line.contains("?roll [max] [pub] - Rolls a die")), "{commands:?}");

    // A command group no player group accepts: denied until granted.
    let installed = ask(&mut root, &format!("SEND:CMD:?insmod {}", gated.display())).await;
    assert_eq!(installed, "Installed gated 0.1.0 (?secret). Attach it with ?attach gated [realm[/game]].");
    ask(&mut root, "SEND:CMD:?attach gated").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?secret").await, "You may not use ?secret. Did you mean ?seen?");
    assert_eq!(ask(&mut root, "SEND:CMD:?grant default secret").await, "Granted secret to default.");
    assert_eq!(ask(&mut alice, "SEND:CMD:?secret").await, "The secret is Alice.");

    let stats = root.command("SEND:CMD:?cmdstats roll").await;
    assert!(stats.iter().any(|line| line.starts_with("MSG:ARENA:  ?roll (dice): 4, 2, ")), "{stats:?}");

    assert_eq!(ask(&mut root, "SEND:CMD:?rmmod dice").await, "Uninstalled dice.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?roll").await,
        "Unknown command '?roll'. Type ?commands for a list."
    );
    assert!(!zone.data_dir().join("components/dice").exists());
    assert_eq!(
        ask(&mut root, "SEND:CMD:?rmmod usage").await,
        "usage is compiled into the server; detach it with ?detach instead."
    );
    // A path is not a component's name: nothing outside the data directory goes.
    let typed = gated.display().to_string().to_ascii_lowercase();
    assert_eq!(
        ask(&mut root, &format!("SEND:CMD:?rmmod {}", gated.display())).await,
        format!("{typed} was not uninstalled: '{typed}' is not a component name.")
    );
    assert!(gated.join("component.ron").exists());
}

#[tokio::test]
async fn a_component_of_event_handlers_only_attaches_and_a_script_command_decides_no_staff_rule() {
    let sources = tempfile::tempdir().unwrap();
    let watcher = component(
        sources.path(),
        "watcher",
        r#"on("enter", function(event) zone.tell(event.player, "watched " .. event.player) end)"#,
    );
    // A script command called lock, in a component whose name sorts before
    // the compiled one's: ?lock's rule (who may enter a locked realm) is
    // still the compiled command's.
    let lockpick = component(
        sources.path(),
        "alock",
        r#"command { name = "lock", target_pub = true, group = "default", help = "Not the zone's.", run = function(ctx) end }"#,
    );
    let mut config = staffed();
    config.staff.members.push(config::Member { name: "Mod".into(), group: "mod".into(), realm: None });
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let mut root = zone.login("Root").await;
    assert_eq!(
        ask(&mut root, &format!("SEND:CMD:?insmod {}", watcher.display())).await,
        "Installed watcher 0.1.0 (no commands). Attach it with ?attach watcher [realm[/game]]."
    );
    assert_eq!(ask(&mut root, "SEND:CMD:?attach watcher").await, "Attached watcher to the zone.");
    ask(&mut root, &format!("SEND:CMD:?insmod {}", lockpick.display())).await;
    assert_eq!(
        root.command("SEND:CMD:?attach alock").await,
        [
            "MSG:ARENA:Attached alock to the zone.",
            "MSG:ARENA:Conflict: lock is not available from alock there; teams offers it already.",
        ]
    );

    let mut alice = zone.login("Alice").await;
    alice.send("GO:lobby").await;
    let lines = alice.recv_until(|line| line.starts_with("MSG:ARENA:watched")).await;
    assert_eq!(lines.last().unwrap(), "MSG:ARENA:watched Alice");

    let mut moderator = zone.enter("Mod", "duel").await;
    moderator.command("SEND:CMD:?lock").await;
    let mut bob = zone.login("Bob").await;
    bob.send("GO:duel").await;
    let refused = bob.recv_until(|line| line.contains("locked")).await;
    assert!(refused.last().unwrap().contains("realm duel is locked"), "{refused:?}");
}

#[tokio::test]
async fn installed_components_and_attachment_changes_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let zone = TestZone::start_config(staffed(), data).await;
    let mut root = zone.login("Root").await;
    ask(&mut root, &format!("SEND:CMD:?insmod {}", dice().display())).await;
    ask(&mut root, "SEND:CMD:?attach dice lobby").await;
    assert_eq!(ask(&mut root, "SEND:CMD:?detach usage").await, "Detached usage from the zone.");
    root.go("lobby").await;
    assert_eq!(ask(&mut root, "SEND:CMD:?note remember the milk").await, "Noted (1 of 20).");
    drop(root);
    let data = zone.stop().await;

    let zone = TestZone::start_config(staffed(), data).await;
    let mut alice = zone.enter("Alice", "lobby").await;
    assert_eq!(ask(&mut alice, "SEND:CMD:?roll 1").await, "Alice rolls 1 (1-1).");
    assert!(ask(&mut alice, "SEND:CMD:?usage").await.starts_with("Unknown command '?usage'."));
    // Attached to lobby only: not there outside it.
    let mut root = zone.login("Root").await;
    assert!(ask(&mut root, "SEND:CMD:?roll").await.starts_with("Unknown command '?roll'."));
    root.go("lobby").await;
    assert_eq!(ask(&mut root, "SEND:CMD:?note").await, "1. remember the milk");
    let lsmod = root.command("SEND:CMD:?lsmod").await;
    assert!(
        lsmod.contains(&"MSG:ARENA:dice (script 1.0.0): realm lobby - ?note ?roll".to_owned()),
        "{lsmod:?}"
    );
}

#[tokio::test]
async fn illegal_declarations_clashes_and_unknown_names_are_reported_and_the_zone_runs() {
    let data = tempfile::tempdir().unwrap();
    let installed = data.path().join("components");
    let bad = component(
        &installed,
        "bad",
        "\n\ncommand {\n  name = \"mail\",\n  target_external = true,\n  help = \"Mails.\",\n  run = function(ctx) end,\n}\n",
    );
    component(
        &installed,
        "clash",
        r#"command { name = "uptime", target_pub = true, group = "default", help = "Not the zone's.", run = function(ctx) ctx:reply("script uptime") end }
command { name = "wave", target_pub = true, group = "default", help = "Waves.", run = function(ctx) ctx:reply("You wave.") end }"#,
    );
    component(
        &installed,
        "usage",
        r#"command { name = "x", target_pub = true, help = "X.", run = function(ctx) end }"#,
    );
    let mut config = staffed();
    config.zone.components.push("clash".to_owned());
    config.zone.components.push("nosuch".to_owned());
    // A rule for the command of the component that does not load.
    let default = config.groups.groups.iter_mut().find(|group| group.name == "default").unwrap();
    default.grant.push("mail".to_owned());
    let zone = TestZone::start_config(config, data).await;
    let mut root = zone.login("Root").await;

    let health = root.command("SEND:CMD:?health").await;
    let bad_file = bad.join("init.luau");
    let expected = [
        "MSG:ARENA:Conflict in the zone: uptime of clash was not added; uptime offers it.".to_owned(),
        format!(
            "MSG:ARENA:Script component bad is not loaded: command 'mail' at {}:3 (component bad): \
             target_external needs target_in_scope = false",
            bad_file.display()
        ),
        "MSG:ARENA:Script component usage is not loaded: there is already a compiled component called 'usage'"
            .to_owned(),
        "MSG:ARENA:zone.ron names the component 'nosuch', which is neither compiled in nor an installed script \
         component that loaded; the zone runs without it"
            .to_owned(),
    ];
    for line in &expected {
        assert!(health.contains(line), "{line}\nnot in {health:?}");
    }
    assert!(
        health.iter().any(|line| line.contains("there is no command 'mail'")
            && line.ends_with("(a script component did not load, which may declare it; until it does, this applies to nothing)")),
        "{health:?}"
    );
    // The compiled ?uptime won; the rest of clash works.
    assert!(ask(&mut root, "SEND:CMD:?uptime").await.starts_with("Up "));
    assert_eq!(ask(&mut root, "SEND:CMD:?wave").await, "You wave.");

    // ?insmod checks before it installs, and names the file and line.
    let sources = tempfile::tempdir().unwrap();
    let broken = component(sources.path(), "broken", "command {\n  name = \"x\",\n  colour = \"red\",\n}\n");
    let answer = ask(&mut root, &format!("SEND:CMD:?insmod {}", broken.display())).await;
    assert!(
        answer.starts_with(&format!(
            "{} was not installed: {}:1: unknown key 'colour'",
            broken.display(),
            broken.join("init.luau").display()
        )),
        "{answer}"
    );
    let syntax = component(sources.path(), "syntax", "command {\n  name = \"x\"\n  oops\n");
    let answer = ask(&mut root, &format!("SEND:CMD:?insmod {}", syntax.display())).await;
    assert!(answer.contains(&format!("{}:3:", syntax.join("init.luau").display())), "{answer}");
    assert!(!zone.data_dir().join("components/broken").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_that_loop_or_allocate_without_end_are_cut_off_while_chat_goes_on() {
    let sources = tempfile::tempdir().unwrap();
    let hog = component(
        sources.path(),
        "hog",
        r#"command { name = "spin", target_pub = true, group = "default", help = "Spins.",
            run = function(ctx) while true do end end }
        command { name = "hoard", target_pub = true, group = "default", help = "Hoards.",
            run = function(ctx) local t = {} local i = 0 while true do i += 1 t[i] = string.rep("x", 1000) .. i end end }
        command { name = "oops", target_pub = true, group = "default", help = "Fails.",
            run = function(ctx) error("the script broke") end }
        command { name = "ok", target_pub = true, group = "default", help = "Works.",
            run = function(ctx) ctx:reply("still here") end }
        command { name = "shout", target_pub = true, group = "default", help = "Shouts.",
            run = function(ctx) for i = 1, 1000 do zone.announce("lobby", "shout " .. i) end end }"#,
    );
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut root = zone.login("Root").await;
    ask(&mut root, &format!("SEND:CMD:?insmod {}", hog.display())).await;
    ask(&mut root, "SEND:CMD:?attach hog").await;
    let mut alice = zone.enter("Alice", "lobby").await;
    let mut bob = zone.enter("Bob", "lobby").await;
    let mut carol = zone.enter("Carol", "lobby").await;
    alice.barrier().await;

    // Alice's scripts run while Bob and Carol chat.
    alice.send("SEND:CMD:?spin").await;
    alice.send("SEND:CMD:?hoard").await;
    for i in 0..20 {
        bob.send(&format!("SEND:PUB:hello {i}")).await;
    }
    for i in 0..20 {
        carol.expect(&format!("MSG:PUB:Bob:hello {i}")).await;
    }
    let cut_off = alice.recv_until(|line| line.contains("?hoard")).await;
    assert!(
        cut_off.contains(&"MSG:ARENA:Sorry, ?spin took too long and was stopped.".to_owned()),
        "{cut_off:?}"
    );
    assert_eq!(cut_off.last().unwrap(), "MSG:ARENA:Sorry, ?hoard ran out of memory and was stopped.");
    assert_eq!(
        ask(&mut alice, "SEND:CMD:?oops").await,
        "Sorry, ?oops failed (an error in component hog; the zone's log has it)."
    );
    // The component's VM goes on serving.
    assert_eq!(ask(&mut alice, "SEND:CMD:?ok").await, "still here");
    // Lines to others are bounded per call: 50 of the 1000, and nobody is
    // disconnected for not reading them.
    alice.command("SEND:CMD:?shout").await;
    let heard = carol.barrier().await;
    assert_eq!(heard.iter().filter(|line| line.starts_with("MSG:ARENA:shout ")).count(), 50, "{heard:?}");
    assert_eq!(heard.last().unwrap(), "MSG:ARENA:shout 50");
    let stats = root.command("SEND:CMD:?cmdstats spin").await;
    assert!(stats.iter().any(|line| line.starts_with("MSG:ARENA:  ?spin (hog): 1, 1, ")), "{stats:?}");
}

#[tokio::test]
async fn a_component_reads_and_writes_only_its_own_files_folder() {
    let sources = tempfile::tempdir().unwrap();
    let peek = component(
        sources.path(),
        "peek",
        r#"command { name = "peek", target_pub = true, group = "default", help = "Reads a file.",
            params = { "path: word" },
            run = function(ctx, path)
                local text, problem = files.read(path)
                if problem then ctx:reply("refused: " .. problem) else ctx:reply(tostring(text)) end
            end }
        command { name = "poke", target_pub = true, group = "default", help = "Writes a file.",
            params = { "path: word", "text: rest" },
            run = function(ctx, path, text)
                local ok, problem = files.write(path, text)
                ctx:reply(if ok then "written" else "refused: " .. problem)
            end }"#,
    );
    let zone = TestZone::start_config(staffed(), tempfile::tempdir().unwrap()).await;
    let mut root = zone.login("Root").await;
    ask(&mut root, &format!("SEND:CMD:?insmod {}", peek.display())).await;
    ask(&mut root, "SEND:CMD:?attach peek").await;
    let mut alice = zone.login("Alice").await;

    assert_eq!(ask(&mut alice, "SEND:CMD:?poke notes/a.txt hello there").await, "written");
    assert_eq!(ask(&mut alice, "SEND:CMD:?peek notes/a.txt").await, "hello there");
    assert_eq!(
        std::fs::read_to_string(zone.data_dir().join("component-files/peek/notes/a.txt")).unwrap(),
        "hello there"
    );
    for outside in ["../../zone.db", "/etc/passwd", "notes/../../dice/x"] {
        let answer = ask(&mut alice, &format!("SEND:CMD:?peek {outside}")).await;
        assert!(answer.starts_with(&format!("refused: '{outside}' is not a file name here")), "{answer}");
        let answer = ask(&mut alice, &format!("SEND:CMD:?poke {outside} x")).await;
        assert!(answer.starts_with("refused:"), "{answer}");
    }
    assert_eq!(ask(&mut alice, "SEND:CMD:?peek missing.txt").await, "nil");
}

/// A compiled component's listener: what the `usage` component hears.
struct Heard;

static HEARD: parking_lot::Mutex<Vec<String>> = parking_lot::Mutex::new(Vec::new());

impl zone_server::script::events::Listener for Heard {
    fn component(&self) -> &'static str {
        "usage"
    }

    fn kinds(&self) -> &'static [zone_server::script::events::EventKind] {
        &[zone_server::script::events::EventKind::Enter]
    }

    fn on(&self, _: &zone_server::zone::Zone, event: &zone_server::script::events::ZoneEvent) {
        if let zone_server::script::events::ZoneEvent::Enter { player, realm_name, .. } = event {
            HEARD.lock().push(format!("{player} entered {realm_name}"));
        }
    }
}

#[linkme::distributed_slice(zone_server::script::events::LISTENERS)]
static HEARD_LISTENER: &'static dyn zone_server::script::events::Listener = &Heard;

/// Waits until `HEARD` holds `line`.
async fn heard(line: &str) {
    tokio::time::timeout(common::PATIENCE, async {
        while !HEARD.lock().iter().any(|heard| heard == line) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never heard {line:?}"));
}

#[tokio::test]
async fn event_handlers_and_timers_fire_where_attached_and_stop_after_uninstall() {
    let config_dir = tempfile::tempdir().unwrap();
    config::load::init(config_dir.path()).unwrap();
    std::fs::create_dir_all(config_dir.path().join("components")).unwrap();
    std::fs::write(
        config_dir.path().join("components/greeter.ron"),
        "{ \"welcome\": \"Hi {player}, this is {realm}.\", \"announce_every\": 1 }",
    )
    .unwrap();
    let mut config = config::Config::load(config_dir.path()).unwrap();
    config.zone = test_config();
    config.staff.members.push(config::Member { name: "Root".into(), group: "sysop".into(), realm: None });
    let zone = TestZone::start_config(config, tempfile::tempdir().unwrap()).await;
    let mut root = zone.login("Root").await;
    let greeter = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/components/greeter");
    ask(&mut root, &format!("SEND:CMD:?insmod {}", greeter.display())).await;
    ask(&mut root, "SEND:CMD:?attach greeter").await;

    // The event: a welcome, with the operator's text from components/greeter.ron.
    let mut alice = zone.login("Alice").await;
    alice.send("GO:lobby").await;
    let welcome = alice.recv_until(|line| line.starts_with("MSG:ARENA:Hi ")).await;
    assert_eq!(welcome.last().unwrap(), "MSG:ARENA:Hi Alice, this is lobby.");
    let greeting = alice.command("SEND:CMD:?greeting").await;
    assert!(greeting.contains(&"MSG:ARENA:Hi Alice, this is lobby.".to_owned()), "{greeting:?}");
    // The timer: the announcement comes round every second.
    for _ in 0..2 {
        alice.recv_until(|line| line == "MSG:ARENA:Type ?commands to see what you can do here.").await;
    }

    // A compiled component hears the same events where it is attached.
    let mut lister = zone.login("Lister").await;
    lister.go("lobby").await;
    heard("Lister entered lobby").await;
    // (Everyone hears the announcements meanwhile.)
    root.command("SEND:CMD:?detach usage").await;
    let mut second = zone.login("Lister2").await;
    second.go("lobby").await;
    root.command("SEND:CMD:?attach usage").await;
    let mut third = zone.login("Lister3").await;
    third.go("lobby").await;
    // Events are delivered in order: Lister2's came before Lister3's.
    heard("Lister3 entered lobby").await;
    assert!(!HEARD.lock().iter().any(|line| line == "Lister2 entered lobby"));

    // Uninstalled: no more welcomes, no more announcements.
    let removed = root.command("SEND:CMD:?rmmod greeter").await;
    assert!(removed.contains(&"MSG:ARENA:Uninstalled greeter.".to_owned()), "{removed:?}");
    alice.barrier().await;
    let mut bob = zone.login("Bob").await;
    bob.go("lobby").await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let after = alice.barrier().await;
    assert!(!after.iter().any(|line| line.contains("Type ?commands")), "{after:?}");
    let bob_lines = bob.barrier().await;
    assert!(!bob_lines.iter().any(|line| line.starts_with("MSG:ARENA:Hi ")), "{bob_lines:?}");
}

#[tokio::test]
async fn a_reload_lets_a_rule_for_a_component_that_did_not_load_through_and_says_so() {
    let config_dir = tempfile::tempdir().unwrap();
    config::load::init(config_dir.path()).unwrap();
    let groups = config_dir.path().join("groups.ron");
    std::fs::write(
        config_dir.path().join("staff.ron"),
        "(members: [(name: \"Root\", group: \"sysop\")], group_passwords: [])",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    component(
        &data.path().join("components"),
        "broken",
        "command { name = \"mail\", target_pub = 1, help = \"x\", run = function() end }",
    );
    let mut config = config::Config::load(config_dir.path()).unwrap();
    config.zone = test_config();
    let zone = TestZone::start_config(config, data).await;
    let mut root = zone.login("Root").await;

    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(&groups, text.replacen("grant: [\"usage:pub\"]", "grant: [\"usage:pub\", \"mail\"]", 1))
        .unwrap();
    let reloaded = root.command("SEND:CMD:?reloadconf").await;
    assert!(reloaded[0].starts_with("MSG:ARENA:Reloaded "), "{reloaded:?}");
    assert!(
        reloaded.iter().any(|line| line.starts_with("MSG:ARENA:Note: ")
            && line.contains("there is no command 'mail'")
            && line.ends_with("a script component did not load, which may declare it (?health).")),
        "{reloaded:?}"
    );
    let health = root.command("SEND:CMD:?health").await;
    assert!(health.iter().any(|line| line.contains("there is no command 'mail'")), "{health:?}");
}
