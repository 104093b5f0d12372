//! Issue 13's criterion bench: a script command against a compiled one
//! through the same dispatch (split, lookup in the read-copy-update tables,
//! scope and form checks, access, typed arguments, the call, statistics).
//! Both parse one whole number and do nothing with it; the world allows
//! everything, so the access check costs the same.
//!
//! - `dispatch/compiled_command`: `?compiled 42`, a `fn` handler;
//! - `dispatch/script_command`: `?scripted 42`, a Luau handler in a
//!   sandboxed VM with its step budget (`run = function(ctx, n) end`);
//! - `dispatch/script_reply`: `?greet 42`, a Luau handler that builds a
//!   string and replies with it.
//!
//! Run: `cargo bench -p zone-benches --features bench --bench script`.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use cmdman::{
    Addressee, Arg, CommandDef, CommandRef, CommandResult, Ctx, Forms, Handler, Location, Outcome, Player,
    PlayerId, RealmId, Registry, Request, Scope, Settings, TargetForm, World,
};
use criterion::{Criterion, criterion_group, criterion_main};
use zone_benches::{NullSink, poll_once};
use zone_server::script::{Places, ScriptComponent, ZoneLink};

/// Every player may run everything: the access check is not what is compared.
struct Open;

impl World for Open {
    fn allows(&self, _: &Player<'_>, _: CommandRef<'_>, _: TargetForm, _: Option<RealmId>) -> bool {
        true
    }
}

/// The compiled twin of the script command: parses one number.
fn compiled(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut args = ctx.args(&[]);
    let n = <i64 as Arg<'_>>::parse(&mut args, "n")?;
    args.finish()?;
    black_box(n);
    Ok(())
}

static COMPILED: CommandDef = CommandDef {
    name: "compiled",
    aliases: &[],
    component: Some("native"),
    module_path: "bench",
    cmd_char: None,
    source_in_scope: true,
    target_in_scope: true,
    forms: Forms::new(true, false, false, false, false),
    groups: [Some("default"); TargetForm::COUNT],
    stealth: false,
    catch_all: false,
    args: None,
    params: &[cmdman::Param { name: "n", shape: cmdman::Shape::Word }],
    help: "Parses a number.",
    file: file!(),
    line: line!(),
    handler: Handler::Sync(compiled),
};

const SCRIPT: &str = r#"
command { name = "scripted", target_pub = true, group = "default", params = { "n: int" },
    help = "Parses a number.", run = function(ctx, n) end }
command { name = "greet", target_pub = true, group = "default", params = { "n: int" },
    help = "Replies.", run = function(ctx, n) ctx:reply("Hello " .. ctx.sender.name .. ", " .. n) end }
"#;

fn registry() -> Registry {
    let registry = Registry::new([&COMPILED], Settings::default()).expect("registry");
    let dir = std::env::temp_dir().join(format!("zone-bench-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    std::fs::write(dir.join("component.ron"), "(name: \"scripted\", version: \"1\")").expect("manifest");
    std::fs::write(dir.join("init.luau"), SCRIPT).expect("source");
    let places =
        Places { config_dir: None, files_root: dir.join("files"), limits: config::ScriptLimits::default() };
    let loaded = ScriptComponent::load(&dir, &places, &ZoneLink::default()).expect("the bench script loads");
    registry.install("scripted", loaded.commands).expect("install");
    registry.attach("native", Scope::Zone).expect("attach");
    registry.attach("scripted", Scope::Zone).expect("attach");
    let _ = std::fs::remove_dir_all(&dir);
    registry
}

fn benches(c: &mut Criterion) {
    let registry = registry();
    let player = Player { id: PlayerId(1), name: "Bencher", location: Location::default(), freq: None };
    let request = |line| Request {
        sender: player,
        addressee: Addressee::Pub,
        line,
        world: &Open,
        via: cmdman::Via::Command,
    };
    for (name, line) in [
        ("dispatch/compiled_command", "?compiled 42"),
        ("dispatch/script_command", "?scripted 42"),
        ("dispatch/script_reply", "?greet 42"),
    ] {
        assert_eq!(
            poll_once(cmdman::dispatch(&registry, request(line), &mut NullSink)),
            Outcome::Ran,
            "{line}"
        );
        c.bench_function(name, |b| {
            b.iter(|| poll_once(cmdman::dispatch(&registry, black_box(request(line)), &mut NullSink)));
        });
    }
}

criterion_group! {
    name = script;
    config = Criterion::default();
    targets = benches
}
criterion_main!(script);
