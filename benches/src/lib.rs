//! The fixture the dispatch and access benches share (issue 5): 1,000
//! commands across 20 components, 50 player groups with inheritance three
//! deep, 2,000 grant and deny rules; a world whose access check is the
//! ladder's compiled table; a sink that drops replies. Built the same way
//! every time (a fixed pseudo-random sequence), so runs compare.
//!
//! The no-allocation test (`tests/alloc.rs`) uses it too, so it is a normal
//! library; the benches themselves need `--features bench`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cmdman::ladder::rule_name;
use cmdman::{
    Addressee, Arg, BoxFuture, CommandDef, CommandRef, CommandResult, Compiled, Ctx, Effect, Forms,
    GroupSpec, Handler, Location, Player, PlayerId, Policy, RealmId, Recipient, Registry, ReplySink, Request,
    RuleKey, Scope, Settings, TargetForm, World,
};

/// Commands registered.
pub const COMMANDS: usize = 1_000;
/// Components they are spread over.
pub const COMPONENTS: usize = 20;
/// Player groups.
pub const GROUPS: usize = 50;
/// Grant and deny rules over all groups.
pub const RULES: usize = 2_000;
/// The command groups commands register under.
pub const COMMAND_GROUPS: [&str; 5] = ["default", "mod", "smod", "sysop", "extra"];

/// A fixed pseudo-random sequence (64-bit LCG, Knuth's constants).
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// The handler every fixture command runs: parses one number, does nothing.
fn handler(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut args = ctx.args(&[]);
    let n = <u32 as Arg<'_>>::parse(&mut args, "n")?;
    args.finish()?;
    std::hint::black_box(n);
    Ok(())
}

/// A world whose access check is one lookup in the compiled ladder table,
/// for a player of one group.
pub struct BenchWorld {
    /// The compiled policy.
    pub compiled: Compiled,
    /// The player's group (index into the policy).
    pub group: usize,
}

impl World for BenchWorld {
    fn allows(&self, _: &Player<'_>, command: CommandRef<'_>, form: TargetForm, _: Option<RealmId>) -> bool {
        self.compiled.allows(self.group, command.index, form)
    }
}

/// Drops every reply line.
pub struct NullSink;

impl ReplySink for NullSink {
    fn line(&mut self, _: Recipient, _: &str) {}
}

/// The same policy for casbin: `p` rules (subject, object, action, effect),
/// `g` (group inherits group, player in group) and `g2` (command form in
/// command group).
pub struct CasbinPolicy {
    /// `p, group, command:form, run, allow|deny`.
    pub p: Vec<Vec<String>>,
    /// `g, child, parent` and `g, player, group`.
    pub g: Vec<Vec<String>>,
    /// `g2, command:form, command group` and `p, group, command group, run, allow`.
    pub g2: Vec<Vec<String>>,
}

/// Everything a bench needs.
pub struct Fixture {
    /// The registry, every component attached zone-wide.
    pub registry: Registry,
    /// The player groups.
    pub policy: Policy,
    /// The world dispatch asks.
    pub world: BenchWorld,
    /// The player sending lines: in a realm, in group `g45` (three deep).
    pub player: Player<'static>,
    /// A command line the player may run in public: `?cmdNNNN 42`.
    pub line: String,
    /// That command's index in the registry.
    pub command: usize,
    /// Every command name, in registry order.
    pub names: Vec<&'static str>,
    /// The policy as casbin rules.
    pub casbin: CasbinPolicy,
}

impl Fixture {
    /// The fixture's line from its player, in public.
    pub fn request(&self) -> Request<'_> {
        Request {
            sender: self.player,
            addressee: Addressee::Pub,
            line: &self.line,
            world: &self.world,
            via: cmdman::Via::Command,
        }
    }
}

/// Builds the fixture.
///
/// # Panics
/// If the fixed declarations do not register, which a test rules out.
pub fn fixture() -> Fixture {
    build(Handler::Sync(handler))
}

/// The fixture with every handler async: the same handler (parse the
/// `u32`, do nothing) in a future that never waits, as `?setfreq` and the
/// moderation commands are declared.
///
/// # Panics
/// As [`fixture`].
pub fn async_fixture() -> Fixture {
    build(Handler::Async(async_handler))
}

/// [`handler`] behind a future.
fn async_handler<'a>(ctx: &'a mut Ctx<'_>) -> BoxFuture<'a, CommandResult> {
    Box::pin(async move { handler(ctx) })
}

/// The fixture, every command running `handler`.
fn build(handler: Handler) -> Fixture {
    let mut random = Sequence(0x5eed);
    let defs: Vec<&'static CommandDef> = (0..COMMANDS)
        .map(|i| {
            let name: &'static str = Box::leak(format!("cmd{i:04}").into_boxed_str());
            let component: &'static str =
                Box::leak(format!("component{:02}", i % COMPONENTS).into_boxed_str());
            let group = COMMAND_GROUPS[random.next(COMMAND_GROUPS.len())];
            let def: &'static CommandDef = Box::leak(Box::new(CommandDef {
                name,
                aliases: &[],
                component: Some(component),
                module_path: "zone_benches",
                cmd_char: None,
                source_in_scope: true,
                target_in_scope: true,
                forms: Forms::new(true, false, false, true, false),
                groups: [Some(group), None, None, Some(group), None],
                stealth: false,
                catch_all: false,
                args: Some("<n>"),
                params: &[],
                help: "A bench command.",
                file: file!(),
                line: line!(),
                handler,
            }));
            def
        })
        .collect();
    let registry = Registry::new(defs, Settings::default()).expect("the fixture's commands register");
    for component in registry.tables().components() {
        registry.attach(component.name(), Scope::Zone).expect("attach");
    }
    let tables = registry.tables();
    let names: Vec<&'static str> = tables.commands().iter().map(|command| command.def().name).collect();

    // Groups: 10 roots, 20 children of roots, 20 grandchildren.
    let mut specs: Vec<GroupSpec> = (0..GROUPS)
        .map(|i| {
            let parents = match i {
                0..10 => Vec::new(),
                10..30 => vec![format!("g{}", random.next(10)), format!("g{}", random.next(10))],
                _ => vec![format!("g{}", 10 + random.next(20))],
            };
            let mut inherits: Vec<String> = Vec::new();
            for parent in parents {
                if !inherits.contains(&parent) {
                    inherits.push(parent);
                }
            }
            GroupSpec {
                name: format!("g{i}"),
                inherits,
                command_groups: vec![COMMAND_GROUPS[random.next(COMMAND_GROUPS.len())].to_owned()],
                rules: Vec::new(),
                all_access: false,
                rank: 0,
            }
        })
        .collect();
    let mut placed = 0;
    while placed < RULES {
        let group = random.next(GROUPS);
        let command = names[random.next(COMMANDS)];
        let form = match random.next(3) {
            0 => Some(TargetForm::Pub),
            1 => Some(TargetForm::Player),
            _ => None,
        };
        let key = RuleKey { command: command.to_owned(), form };
        let effect = if random.next(3) == 0 { Effect::Deny } else { Effect::Grant };
        let rules = &mut specs[group].rules;
        if !rules.iter().any(|(k, _)| *k == key) {
            rules.push((key, effect));
            placed += 1;
        }
    }
    let policy = Policy::new(specs).expect("the fixture's groups are a valid graph");
    let group = policy.index_of("g45").expect("g45");
    let world = BenchWorld { compiled: Compiled::build(&policy, tables.commands()), group };
    let player = Player {
        id: PlayerId(1),
        name: "Bencher",
        location: Location { realm: Some(RealmId(1)), game: None },
        freq: Some(0),
    };
    let command = (COMMANDS / 2..COMMANDS)
        .chain(0..COMMANDS / 2)
        .find(|&c| world.compiled.allows(group, c, TargetForm::Pub))
        .expect("g45 may run some command");
    let line = format!("?{} 42", names[command]);
    let casbin = casbin_policy(&policy, &registry);
    Fixture { registry, policy, world, player, line, command, names, casbin }
}

fn casbin_policy(policy: &Policy, registry: &Registry) -> CasbinPolicy {
    let mut p = Vec::new();
    let mut g = Vec::new();
    let mut g2 = Vec::new();
    let row = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    for spec in policy.groups() {
        for parent in &spec.inherits {
            g.push(row(&[&spec.name, parent]));
        }
        for command_group in &spec.command_groups {
            p.push(row(&[&spec.name, command_group, "run", "allow"]));
        }
        for (key, effect) in &spec.rules {
            let effect = if *effect == Effect::Grant { "allow" } else { "deny" };
            let forms = match key.form {
                Some(form) => vec![form],
                None => vec![TargetForm::Pub, TargetForm::Player],
            };
            for form in forms {
                p.push(row(&[&spec.name, &format!("{}:{form}", key.command), "run", effect]));
            }
        }
    }
    g.push(row(&["Bencher", "g45"]));
    for command in registry.tables().commands() {
        let def = command.def();
        for form in def.forms.iter() {
            if let Some(command_group) = def.group(form) {
                g2.push(row(&[&format!("{}:{form}", rule_name(def)), command_group]));
            }
        }
    }
    CasbinPolicy { p, g, g2 }
}

/// Polls `future` once: the fixture's handlers never wait.
///
/// # Panics
/// If the future is not ready after one poll.
pub fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited"),
    }
}
