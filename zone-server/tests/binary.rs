//! The `zone-server` binary as an operator runs it: `init`, `--config`,
//! `--listen`, `--data`, config errors with positions, and SIGTERM.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_zone-server");

#[allow(unreachable_pub, dead_code)]
#[path = "../../tests/common/debian.rs"]
mod debian;
#[allow(unreachable_pub, dead_code)]
#[path = "../../tests/common/postgres.rs"]
mod postgres;

/// Starts the binary and returns it with the address from its
/// `listening on ADDR` log line. The caller waits for the child; a panic on
/// the way ends the test process, which reaps it.
fn start(args: &[&str]) -> (Child, String, BufReader<ChildStderr>) {
    start_logging(args, "info")
}

/// [`start`] with `RUST_LOG` set to `level`.
fn start_logging(args: &[&str], level: &str) -> (Child, String, BufReader<ChildStderr>) {
    start_env(args, &[("RUST_LOG", level)])
}

/// [`start`] with these environment variables.
fn start_env(args: &[&str], env: &[(&str, &str)]) -> (Child, String, BufReader<ChildStderr>) {
    let (mut child, mut stderr) = spawn(args, env);
    let (addr, _) = until_listening(&mut child, &mut stderr);
    (child, addr, stderr)
}

/// Starts the binary with `args` and `env` (`RUST_LOG=info` unless `env`
/// says otherwise, `TOKIO_WORKER_THREADS` removed); its stderr is the
/// caller's to read. The caller waits for the child; a panic on the way
/// ends the test process, which reaps it.
fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> (Child, BufReader<ChildStderr>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("TOKIO_WORKER_THREADS")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, stderr)
}

/// Reads the log up to its `listening on ADDR` line: the address, and the
/// lines before it.
fn until_listening(child: &mut Child, stderr: &mut BufReader<ChildStderr>) -> (String, Vec<String>) {
    let mut before = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            panic!("the server exited before listening: {status}");
        }
        if let Some((_, addr)) = line.trim_end().split_once("listening on ") {
            return (addr.to_owned(), before);
        }
        before.push(line.trim_end().to_owned());
    }
}

struct Client {
    lines: BufReader<TcpStream>,
    stream: TcpStream,
}

impl Client {
    fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client { lines: BufReader::new(stream.try_clone().unwrap()), stream }
    }

    fn send(&mut self, line: &str) {
        self.stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// The next line; `None` when the server closed the connection.
    fn recv(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.lines.read_line(&mut line).unwrap() {
            0 => None,
            _ => Some(line.trim_end().to_owned()),
        }
    }
}

#[test]
fn sigterm_notifies_players_and_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    let (mut child, addr, _stderr) = start(&["--listen", "127.0.0.1:0", "--data", data_arg]);
    let mut alice = Client::connect(&addr);
    alice.send("LOGIN:1;test:Alice:pw");
    assert_eq!(alice.recv().as_deref(), Some("LOGINOK:Alice"));
    assert!(alice.recv().unwrap().starts_with("MSG:ARENA:Welcome to zone-server, Alice."));

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert_eq!(alice.recv().as_deref(), Some("MSG:ARENA:The zone is shutting down. Goodbye."));
    assert_eq!(alice.recv(), None);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(data.path().join("zone.db").exists());
}

#[test]
fn init_writes_a_config_the_server_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("conf");
    let output = Command::new(BIN).arg("init").arg(&config_dir).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let zone_ron = std::fs::read_to_string(config_dir.join("zone.ron")).unwrap();
    assert!(zone_ron.contains("// "), "the written config is commented");
    // A second init refuses to overwrite.
    let again = Command::new(BIN).arg("init").arg(&config_dir).output().unwrap();
    assert!(!again.status.success());

    let data = dir.path().join("data");
    let args = [
        "--config",
        config_dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
    ];
    let (mut child, addr, _stderr) = start(&args);
    let mut bob = Client::connect(&addr);
    bob.send("LOGIN:1;test:Bob:pw");
    assert_eq!(bob.recv().as_deref(), Some("LOGINOK:Bob"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_config_error_names_file_line_and_column_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let zone_ron = dir.path().join("zone.ron");
    std::fs::write(&zone_ron, "(\n    name: \"z\",\n    realms: [(name: \"lobby\", pubic: true)],\n)\n")
        .unwrap();
    let output = Command::new(BIN)
        .args(["--config", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("{}:3:", zone_ron.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("pubic"), "{stderr}");
}

#[test]
fn an_unknown_component_in_the_config_is_reported_and_the_zone_runs_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let text = "(\n    realms: [\n        (name: \"duel\", games: [(name: \"final\", components: [\"usage\", \"dueling\"])]),\n    ],\n)\n";
    std::fs::write(dir.path().join("zone.ron"), text).unwrap();
    let staff = Command::new(BIN)
        .args(["staff", "set", "Root", "sysop", "--data", data.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(staff.status.success(), "{staff:?}");
    let mut child = Command::new(BIN)
        .args(["--config", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(["--data", data.path().to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut before = Vec::new();
    let addr = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the server exited before listening: {}\n{before:?}", child.wait().unwrap());
        }
        if let Some((_, addr)) = line.trim_end().split_once("listening on ") {
            break addr.to_owned();
        }
        before.push(line);
    };
    assert!(
        before.iter().any(|line| line.contains("zone.ron names the component 'dueling'")
            && line.contains("the zone runs without it")),
        "{before:?}"
    );
    // It serves, and ?health says what it runs without.
    let mut root = Client::login(&addr, "Root");
    root.send("SEND:CMD:?health");
    root.send("SEND:PRIV:Root:done");
    let mut health = Vec::new();
    while let Some(line) = root.recv() {
        if line == "MSG:PRIV:Root:done" {
            break;
        }
        health.push(line);
    }
    assert!(health.iter().any(|line| line.contains("zone.ron names the component 'dueling'")), "{health:?}");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().unwrap().success());
}

impl Client {
    /// Logs in as `name` (password `pw`) and reads past the welcome line.
    fn login(addr: &str, name: &str) -> Client {
        Client::login_with(addr, name, "pw")
    }

    /// Logs in as `name` with `password` and reads past the welcome line.
    fn login_with(addr: &str, name: &str, password: &str) -> Client {
        let mut client = Client::connect(addr);
        client.send(&format!("LOGIN:1;test:{name}:{password}"));
        assert_eq!(client.recv().as_deref(), Some(format!("LOGINOK:{name}").as_str()));
        assert!(client.recv().unwrap().starts_with("MSG:ARENA:Welcome to "));
        client
    }

    /// Sends `line` as `me` and returns what arrives before a private
    /// message to oneself comes back.
    fn command(&mut self, me: &str, line: &str) -> Vec<String> {
        self.send(line);
        self.send(&format!("SEND:PRIV:{me}:barrier"));
        let marker = format!("MSG:PRIV:{me}:barrier");
        let mut lines = Vec::new();
        loop {
            let line = self.recv().unwrap();
            if line == marker {
                return lines;
            }
            if line != "NOOP" {
                lines.push(line);
            }
        }
    }
}

/// Issue 4's test: with the default config and `zone-server staff set Mod
/// mod`, a default player is denied a private `?usage` on Mod while Mod's
/// private `?usage` on them works; a membership and a rule set at runtime
/// hold too, and a ban; and all of it still holds after `kill -9` and a
/// restart.
#[test]
fn staff_set_and_runtime_edits_survive_kill_dash_nine() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    for (name, group) in [("Mod", "mod"), ("Root", "sysop")] {
        let output =
            Command::new(BIN).args(["staff", "set", name, group, "--data", data_arg]).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let said = String::from_utf8_lossy(&output.stdout);
        assert_eq!(said.trim(), format!("{name} is in group {group} zone-wide."));
    }
    let refused =
        Command::new(BIN).args(["staff", "set", "X", "admins", "--data", data_arg]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("there is no player group 'admins'"));

    let check = |addr: &str| {
        let mut pleb = Client::login(addr, "Pleb");
        let mut moderator = Client::login(addr, "Mod");
        assert_eq!(
            pleb.command("Pleb", "SEND:PRIVCMD:Mod:?usage"),
            ["MSG:ARENA:You may not use ?usage to a player."]
        );
        let reply = moderator.command("Mod", "SEND:PRIVCMD:Pleb:?usage");
        assert!(reply.len() == 1 && reply[0].starts_with("MSG:ARENA:Pleb: session "), "{reply:?}");
    };

    let (mut child, addr, _stderr) = start(&["--listen", "127.0.0.1:0", "--data", data_arg]);
    check(&addr);
    let mut root = Client::login(&addr, "Root");
    assert_eq!(
        root.command("Root", "SEND:PRIVCMD:Helper:?setgroup mod"),
        ["MSG:ARENA:Set Helper's group zone-wide to mod."]
    );
    assert_eq!(
        root.command("Root", "SEND:CMD:?deny default uptime"),
        ["MSG:ARENA:Denied uptime to default."]
    );
    drop(Client::login(&addr, "Villain"));
    assert_eq!(
        root.command("Root", "SEND:CMD:?ban Villain perm cheating"),
        ["MSG:SYSOP:Root banned Villain for good: cheating.", "MSG:ARENA:Banned Villain for good: cheating."]
    );
    // SIGKILL: no shutdown, no chance to save anything more.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, addr, _stderr) = start(&["--listen", "127.0.0.1:0", "--data", data_arg]);
    check(&addr);
    let mut helper = Client::login(&addr, "Helper");
    assert_eq!(helper.command("Helper", "SEND:CMD:?getgroup"), ["MSG:ARENA:You are in group mod."]);
    let mut pleb = Client::login(&addr, "Pleb2");
    assert_eq!(pleb.command("Pleb2", "SEND:CMD:?uptime"), ["MSG:ARENA:You may not use ?uptime."]);
    let mut villain = Client::connect(&addr);
    villain.send("LOGIN:1;test:Villain:pw");
    assert_eq!(villain.recv().as_deref(), Some("LOGINBAD:banned: cheating"));
    child.kill().unwrap();
    child.wait().unwrap();

    let listed = Command::new(BIN).args(["staff", "list", "--data", data_arg]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("Helper: mod zone-wide (set by Root at "), "{listed}");
    assert!(listed.contains("Mod: mod zone-wide (set by console at "), "{listed}");
}

/// Issue 9: online time is checkpointed, so `kill -9` loses at most one
/// period of it; every close is in the info log with its reason.
#[test]
fn usage_survives_kill_dash_nine_and_closes_are_logged_with_reasons() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("zone.ron"),
        "(accounts: (usage_checkpoint: \"500ms\"), limits: (login_timeout: \"500ms\"))\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let args = [
        "--config",
        config.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.path().to_str().unwrap(),
    ];
    let (mut child, addr, mut stderr) = start(&args);
    // Two closes with their reasons: a login that times out, a session
    // replaced by a new login (whose time is saved then).
    let mut idle = Client::connect(&addr);
    assert_eq!(idle.recv().as_deref(), Some("LOGINBAD:login timed out"));
    let mut first = Client::login(&addr, "Alice");
    let second = Client::login(&addr, "Alice");
    assert_eq!(
        first.recv().as_deref(),
        Some("MSG:ARENA:Disconnected: you logged in from another connection.")
    );
    assert_eq!(first.recv(), None);
    let mut wanted = vec!["login timeout", "replaced by a new login"];
    let mut line = String::new();
    while !wanted.is_empty() {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the log ended; still missing {wanted:?}");
        wanted.retain(|reason| !(line.contains(" INFO ") && line.contains(reason)));
    }
    // The second session stays online; a checkpoint writes a whole second of
    // it, which only a checkpoint can (the first session was far shorter).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let store = zone_server::store::SqliteStore::open(data.path()).unwrap();
        let total = zone_server::store::Store::account(&store, "Alice").unwrap().unwrap().total;
        if total >= Duration::from_secs(1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no checkpoint was written");
        std::thread::sleep(Duration::from_millis(200));
    }

    // SIGKILL with Alice online: her time up to the last checkpoint is kept.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(second);
    let (mut child, addr, _stderr) = start(&args);
    let mut alice = Client::login(&addr, "Alice");
    let usage = alice.command("Alice", "SEND:CMD:?usage");
    let total = usage[0].split(", ").nth(1).unwrap();
    assert!(total != "total 0:00:00", "{usage:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Issue 16: no password reaches the log at any level, at `RUST_LOG=trace`:
/// a new account's, a wrong one, `?passwd`'s old and new, a reset's
/// one-time password, and `?grplogin`'s.
#[test]
fn no_password_appears_in_the_log_even_at_trace_level() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    let output =
        Command::new(BIN).args(["staff", "set", "Sam", "smod", "--data", data_arg]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let (mut child, addr, mut stderr) =
        start_logging(&["--listen", "127.0.0.1:0", "--data", data_arg], "trace");
    // Read the log as it comes, so a full pipe never holds the server up.
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        text
    });

    let mut alice = Client::login_with(&addr, "Alice", "Login-Pass-1");
    let mut wrong = Client::connect(&addr);
    wrong.send("LOGIN:1;test:Alice:Wrong-Pass-2");
    assert_eq!(wrong.recv().as_deref(), Some("LOGINBAD:wrong password"));
    let changed = alice.command("Alice", "SEND:CMD:?passwd Login-Pass-1 Changed-Pass-3");
    assert_eq!(changed, ["MSG:ARENA:Your password is changed; log in with the new one from now on."]);
    let mut sam = Client::login_with(&addr, "Sam", "Sam-Pass-4");
    let reset = sam.command("Sam", "SEND:PRIVCMD:Alice:?resetpw");
    let one_time = reset[0]
        .strip_prefix("MSG:ARENA:Reset Alice's password. Their one-time password is ")
        .and_then(|rest| rest.split_once(':'))
        .map(|(password, _)| password.to_owned())
        .unwrap_or_else(|| panic!("{reset:?}"));
    assert!(alice.recv().unwrap().starts_with("MSG:ARENA:Disconnected: your password was reset by Sam"));
    let mut alice = Client::login_with(&addr, "Alice", &one_time);
    assert!(alice.recv().unwrap().starts_with("MSG:ARENA:Your password was reset by staff."));
    alice.send(&format!("SEND:CMD:?passwd {one_time} Final-Pass-5"));
    assert_eq!(
        alice.recv().as_deref(),
        Some("MSG:ARENA:Your password is changed; log in with the new one from now on.")
    );
    let group = alice.command("Alice", "SEND:CMD:?grplogin mod Group-Pass-6");
    assert_eq!(group, ["MSG:ARENA:Wrong group or password."]);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let log = log.join().unwrap();
    assert!(log.contains(" TRACE ") && log.contains(" DEBUG "), "not logged at trace level: {log}");
    assert!(log.contains("logged in") && log.contains("Alice"), "the log says nothing of Alice");
    let passwords = [
        "Login-Pass-1",
        "Wrong-Pass-2",
        "Changed-Pass-3",
        "Sam-Pass-4",
        "Final-Pass-5",
        "Group-Pass-6",
        &one_time,
    ];
    for password in passwords {
        assert!(!log.contains(password), "{password} is in the log");
    }
}

/// Issue 12: three zone-server processes on one PostgreSQL database (chosen
/// by `DATABASE_URL`) list each other's players; one is killed with
/// `kill -9`, and the others soon stop listing its players, who may log in
/// elsewhere at once; a command sent to one of them meanwhile is reported
/// unanswered.
#[test]
fn a_zone_killed_with_kill_dash_nine_leaves_the_network() {
    let database = postgres::Postgres::start();
    let url = database.url();
    let zone = |name: &str| {
        let config = tempfile::tempdir().unwrap();
        std::fs::write(config.path().join("zone.ron"), format!("(name: \"{name}\")\n")).unwrap();
        (config, tempfile::tempdir().unwrap())
    };
    let ((alpha_config, alpha_data), (beta_config, beta_data)) = (zone("alpha"), zone("beta"));
    let (gamma_config, gamma_data) = zone("gamma");
    let args = |config: &tempfile::TempDir, data: &tempfile::TempDir| {
        let path = |dir: &tempfile::TempDir| dir.path().to_str().unwrap().to_owned();
        [
            "--config".to_owned(),
            path(config),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data".into(),
            path(data),
        ]
    };
    let start = |args: [String; 6]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        start_env(&args, &[("DATABASE_URL", &url)])
    };
    let (mut alpha, alpha_addr, _alpha_log) = start(args(&alpha_config, &alpha_data));
    let (mut beta, beta_addr, _beta_log) = start(args(&beta_config, &beta_data));
    let (mut gamma, gamma_addr, _gamma_log) = start(args(&gamma_config, &gamma_data));
    let mut alice = Client::login(&alpha_addr, "Alice");
    let _bob = Client::login(&beta_addr, "Bob");
    let mut carol = Client::login(&gamma_addr, "Carol");
    let until = |alice: &mut Client, wanted: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let answer = alice.command("Alice", "SEND:CMD:?find Bob");
            if answer == [wanted] {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "still {answer:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    until(&mut alice, "MSG:ARENA:Bob is in zone beta.");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let who = carol.command("Carol", "SEND:CMD:?who");
        if who.contains(&"MSG:ARENA:zone alpha (1): Alice".to_owned())
            && who.contains(&"MSG:ARENA:zone beta (1): Bob".to_owned())
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "gamma's ?who: {who:?}");
        std::thread::sleep(Duration::from_millis(200));
    }

    beta.kill().unwrap();
    beta.wait().unwrap();
    // A command sent to Bob before the others see that beta is gone gets no
    // answer from there: the sender is told so.
    // Four may wait at once; the fifth is refused at once.
    for _ in 0..5 {
        carol.send("SEND:PRIVCMD:Bob:?usage");
    }
    let mut told = std::iter::from_fn(|| carol.recv()).filter(|line| line != "NOOP");
    let waiting = "MSG:ARENA:You have 4 commands waiting for other zones' answers; wait for them.";
    assert_eq!(told.next().as_deref(), Some(waiting));
    for _ in 0..4 {
        assert_eq!(
            told.next().as_deref(),
            Some("MSG:ARENA:Zone beta did not answer your command to Bob in time; it may not have run.")
        );
    }
    drop(told);
    until(&mut alice, "MSG:ARENA:Nobody called 'Bob' is online.");
    let _bob = Client::login(&alpha_addr, "Bob");
    assert!(data_is_empty(&alpha_data), "the zone keeps nothing in its data directory");

    for zone in [&mut alpha, &mut gamma] {
        let killed = Command::new("kill").args(["-TERM", &zone.id().to_string()]).status().unwrap();
        assert!(killed.success());
        assert_eq!(zone.wait().unwrap().code(), Some(0));
    }
}

/// Whether `dir` holds no `zone.db`.
fn data_is_empty(dir: &tempfile::TempDir) -> bool {
    !dir.path().join("zone.db").exists()
}

/// Issue 12: `zone-server store migrate` copies a single zone's SQLite
/// store into PostgreSQL, and refuses (writing nothing) when the names are
/// in the network already.
#[test]
fn store_migrate_moves_a_zone_into_a_network_and_refuses_name_clashes() {
    use zone_server::sanction::{Kind, Sanction};
    use zone_server::store::{PgStore, SqliteStore, Store};
    let database = postgres::Postgres::start();
    let data = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(data.path()).unwrap();
        store.create_account("Alice", "$argon2id$alice").unwrap();
        store.add_usage(&[("alice".to_owned(), Duration::from_secs(90))]).unwrap();
        store.set_membership("Alice", None, Some("mod"), "console", "set Alice's group to mod").unwrap();
        store
            .set_rule("default", &"lsmod".parse().unwrap(), Some(cmdman::Effect::Grant), "Alice", "granted")
            .unwrap();
        let ban = Sanction {
            name: "Bob".into(),
            kind: Kind::Ban,
            until: None,
            reason: "cheating".into(),
            by: "Alice".into(),
            at: 100,
        };
        store.set_sanction(&ban, "banned Bob for good: cheating").unwrap();
        store.set_channels("alice", &["news".to_owned()]).unwrap();
    }
    let migrate = || {
        Command::new(BIN)
            .args(["store", "migrate", "--from", data.path().to_str().unwrap(), "--to", &database.url()])
            .output()
            .unwrap()
    };
    let output = migrate();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.starts_with("copied 1 accounts, 1 rule edits, 1 memberships, 1 sanctions"), "{said}");

    let network = PgStore::open(&database.url()).unwrap();
    let (alice, hash) = network.credentials("ALICE").unwrap().unwrap();
    assert_eq!(
        (alice.name.as_str(), hash.as_str(), alice.total),
        ("Alice", "$argon2id$alice", Duration::from_secs(90))
    );
    assert_eq!(network.memberships().unwrap().rows[0].group.as_deref(), Some("mod"));
    assert_eq!(network.rule_edits().unwrap().rows[0].key.to_string(), "lsmod");
    assert_eq!(network.sanctions().unwrap()[0].reason, "cheating");
    assert_eq!(network.channels("Alice").unwrap(), ["news"]);
    let audit_rows = network.audit_log(100).unwrap().len();

    // Again: every name is there already.
    let output = migrate();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("refused, nothing was copied"), "{error}");
    assert!(error.contains("1 accounts: Alice") && error.contains("1 memberships: Alice"), "{error}");
    assert!(error.contains("1 rule edits: default lsmod"), "{error}");
    assert_eq!(network.audit_log(100).unwrap().len(), audit_rows, "nothing was written");
}

#[test]
fn component_install_list_and_uninstall_work_on_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/components");
    let run = |args: &[&str]| {
        let output = Command::new(BIN).args(args).args(["--data", data_arg]).output().unwrap();
        let text =
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    };

    let dice = examples.join("dice");
    let (ok, text) = run(&["component", "install", dice.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("installed dice 1.0.0 into"), "{text}");
    let (ok, text) = run(&["component", "install", dice.to_str().unwrap()]);
    assert!(!ok && text.contains("a component called dice is installed already"), "{text}");

    // A zip of the greeter, its folder inside, as an author would pack it.
    let zip_path = data.path().join("greeter.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for name in ["component.ron", "init.luau"] {
            zip.start_file(format!("greeter/{name}"), options).unwrap();
            std::io::Write::write_all(&mut zip, &std::fs::read(examples.join("greeter").join(name)).unwrap())
                .unwrap();
        }
        zip.finish().unwrap();
    }
    let (ok, text) = run(&["component", "install", zip_path.to_str().unwrap()]);
    assert!(ok, "{text}");
    // A zip whose entry would leave its folder is refused whole.
    let evil = data.path().join("evil.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
        zip.start_file("../component.ron", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, b"(name: \"evil\", version: \"1\")").unwrap();
        zip.finish().unwrap();
    }
    let (ok, text) = run(&["component", "install", evil.to_str().unwrap()]);
    assert!(!ok && text.contains("which would leave its folder"), "{text}");

    // One that does not load: listed with its reason, with file and line.
    let broken = data.path().join("components/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("component.ron"), "(name: \"broken\", version: \"2.0\")").unwrap();
    std::fs::write(broken.join("init.luau"), "command {\n  name = \"x\",\n  target_pub = 1,\n}\n").unwrap();
    let (ok, text) = run(&["component", "list"]);
    assert!(ok, "{text}");
    assert!(text.contains("dice 1.0.0: loads - ?roll ?note"), "{text}");
    assert!(text.contains("greeter 1.0.0: loads - ?greeting"), "{text}");
    assert!(
        text.contains("broken 2.0: does not load - ")
            && text.contains("init.luau:1: target_pub must be true or false"),
        "{text}"
    );

    let (ok, text) = run(&["component", "uninstall", "dice"]);
    assert!(ok, "{text}");
    assert!(!data.path().join("components/dice").exists());
    let (ok, text) = run(&["component", "uninstall", "dice"]);
    assert!(!ok && text.contains("no script component called dice is installed"), "{text}");
}

/// `--log-format json` writes one JSON object a line, for log shippers, and
/// `metrics_listen` serves Prometheus metrics that the log line points at.
#[test]
fn json_logs_and_the_metrics_endpoint_from_zone_ron() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = init_with(dir.path(), "metrics_listen: None,", "metrics_listen: Some(\"127.0.0.1:0\"),");
    let data = dir.path().join("data");
    let mut args = vec![std::ffi::OsString::from("--log-format"), "json".into()];
    args.extend(on_free_port(&config_dir, &data));
    let (mut child, mut stderr) = spawn(&args, &[]);
    let (mut metrics, mut chatnet) = (None, None);
    let mut line = String::new();
    while metrics.is_none() || chatnet.is_none() {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "the server exited before listening");
        let object: serde_json::Value =
            serde_json::from_str(line.trim_end()).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(object["timestamp"].is_string() && object["level"].is_string(), "{line}");
        let message = object["message"].as_str().unwrap_or_default();
        if let Some(url) = message.strip_prefix("metrics on http://") {
            metrics = Some(url.trim_end_matches("/metrics").to_owned());
        }
        if let Some(addr) = message.strip_prefix("listening on ") {
            chatnet = Some(addr.to_owned());
        }
    }
    let mut client = Client::connect(&chatnet.unwrap());
    client.send("LOGIN:1;test:Ann:pw");
    assert_eq!(client.recv().unwrap(), "LOGINOK:Ann");
    let mut http = TcpStream::connect(metrics.unwrap()).unwrap();
    http.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    http.write_all(b"GET /metrics HTTP/1.1\r\nHost: zone\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut http, &mut body).unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("zone_logins_total{via=\"chatnet\",outcome=\"ok\"} 1"), "{body}");
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
    terminate(&mut child);
}

#[test]
fn runtime_threads_in_zone_ron_sets_the_runtimes_threads() {
    let dir = tempfile::tempdir().unwrap();
    // Three: neither the default on a two-core machine nor one.
    let config_dir = init_with(dir.path(), "runtime_threads: None,", "runtime_threads: Some(3),");
    let zone_ron = config_dir.join("zone.ron");
    let data = dir.path().join("data");
    let (mut child, mut stderr) = spawn(&on_free_port(&config_dir, &data), &[]);
    let (addr, before) = until_listening(&mut child, &mut stderr);
    let threads = before.iter().find(|line| line.contains("runtime threads"));
    let threads = threads.expect("no 'runtime threads' line before 'listening on'");
    assert!(threads.ends_with("3 runtime threads (zone.ron's runtime_threads)"), "{threads}");
    let mut client = Client::connect(&addr);
    client.send("LOGIN:1;test:Ann:pw");
    assert_eq!(client.recv().unwrap(), "LOGINOK:Ann");
    terminate(&mut child);

    // Out of range: refused with its place, before anything starts.
    let text = std::fs::read_to_string(&zone_ron).unwrap();
    std::fs::write(&zone_ron, text.replace("runtime_threads: Some(3),", "runtime_threads: Some(0),"))
        .unwrap();
    let output =
        Command::new(BIN).arg("--config").arg(&config_dir).arg("--data").arg(&data).output().unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    let line = text.lines().position(|line| line.contains("runtime_threads: Some(3)")).unwrap() + 1;
    assert!(
        error.contains(&format!("zone.ron:{line}:5: runtime_threads must be between 1 and 1024, not 0")),
        "{error}"
    );
}

/// Runs `init` into `dir/config` and replaces `default`, which its
/// `zone.ron` must hold, with `value`; returns the config directory.
fn init_with(dir: &std::path::Path, default: &str, value: &str) -> std::path::PathBuf {
    let config_dir = dir.join("config");
    assert!(Command::new(BIN).arg("init").arg(&config_dir).output().unwrap().status.success());
    let zone_ron = config_dir.join("zone.ron");
    let text = std::fs::read_to_string(&zone_ron).unwrap();
    assert!(text.contains(default), "init did not write {default}");
    std::fs::write(&zone_ron, text.replace(default, value)).unwrap();
    config_dir
}

/// The arguments that run the binary on `config_dir` and `data`, listening
/// on a free port.
fn on_free_port(config_dir: &std::path::Path, data: &std::path::Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["--listen".into(), "127.0.0.1:0".into(), "--config".into()];
    args.extend([config_dir.into(), "--data".into(), data.into()]);
    args
}

/// Ends the child with SIGTERM and waits for it.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
