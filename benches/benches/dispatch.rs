//! Issue 5's criterion benches, in one run so they compare:
//!
//! - `dispatch/full_line`: a whole command line through `cmdman`'s
//!   synchronous path, `try_dispatch` (split, lookup through the scope
//!   tables, scope and form checks, the ladder, parsing a `u32` argument,
//!   calling a handler that does nothing), with 1,000 commands in 20
//!   components, 50 player groups three deep and 2,000 rules;
//! - `dispatch/full_line_async`: the same through the async `dispatch`,
//!   polled once;
//! - `dispatch/full_line_two_threads`: `dispatch/full_line` on two threads
//!   at once (the wall time of both running it `iters` times), as the
//!   zone's two runtime threads do when players on both run one command:
//!   what the threads share (the tables, the command's statistics) costs
//!   here;
//! - `dispatch/async_handler_line`: the same line and fixture with every
//!   handler async (a future that never waits), through `dispatch`, polled
//!   once: the boxed future an async handler's line needs;
//! - `access/ladder_table`: the access check alone (the compiled ladder);
//! - `dispatch/full_line_metrics_on`: the same with the zone's metrics on
//!   (`Registry::keep_latency`: the sampled handler timings also feed the
//!   latency histogram the Prometheus endpoint reads);
//! - `floor/hashmap_lookup`: one `HashMap<&str, _>` lookup of the name;
//! - `access/casbin_cached`: casbin's `CachedEnforcer` on the same groups,
//!   rules and command groups as an RBAC policy with deny rules.
//!
//! Run: `cargo bench -p zone-benches --features bench`.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use casbin::{CachedEnforcer, CoreApi, DefaultModel, MemoryAdapter, MgmtApi};
use cmdman::{Dispatched, Outcome, TargetForm};
use criterion::{Criterion, criterion_group, criterion_main};
use zone_benches::{Fixture, NullSink, fixture, poll_once};

/// RBAC with group inheritance (`g`), commands in command groups (`g2`) and
/// deny-override: allowed when some rule allows and none denies.
const CASBIN_MODEL: &str = "
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && (r.obj == p.obj || g2(r.obj, p.obj)) && r.act == p.act
";

fn casbin_enforcer(fixture: &Fixture) -> CachedEnforcer {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    runtime.block_on(async {
        let model = DefaultModel::from_str(CASBIN_MODEL).await.expect("model");
        let mut enforcer = CachedEnforcer::new(model, MemoryAdapter::default()).await.expect("enforcer");
        enforcer.add_policies(fixture.casbin.p.clone()).await.expect("p");
        enforcer.add_grouping_policies(fixture.casbin.g.clone()).await.expect("g");
        enforcer.add_named_grouping_policies("g2", fixture.casbin.g2.clone()).await.expect("g2");
        enforcer
    })
}

/// The outcome of a line that ran synchronously.
fn done(dispatched: Dispatched<'_>) -> Outcome {
    match dispatched {
        Dispatched::Done(outcome) => outcome,
        Dispatched::Pending(_) => panic!("the fixture's handler does not await"),
    }
}

fn benches(c: &mut Criterion) {
    let fixture = fixture();
    let request = fixture.request();
    assert_eq!(poll_once(cmdman::dispatch(&fixture.registry, request, &mut NullSink)), Outcome::Ran);
    assert!(matches!(
        cmdman::try_dispatch(&fixture.registry, request, &mut NullSink),
        Dispatched::Done(Outcome::Ran)
    ));

    // The zone's path for a handler that never awaits: no future.
    c.bench_function("dispatch/full_line", |b| {
        b.iter(|| done(cmdman::try_dispatch(&fixture.registry, black_box(request), &mut NullSink)));
    });

    // Two threads at once, each running the line `iters` times, as the
    // zone's two runtime threads do when players on both run one command:
    // the time a line takes on each while the other runs too.
    c.bench_function("dispatch/full_line_two_threads", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        for _ in 0..iters {
                            done(cmdman::try_dispatch(&fixture.registry, black_box(request), &mut NullSink));
                        }
                    });
                }
            });
            started.elapsed()
        });
    });

    // The same through the async entry point, polled once.
    c.bench_function("dispatch/full_line_async", |b| {
        b.iter(|| poll_once(cmdman::dispatch(&fixture.registry, black_box(request), &mut NullSink)));
    });

    // A line whose handler is async: checked on the synchronous path, then
    // run by a boxed future, polled once.
    let async_fixture = zone_benches::async_fixture();
    let async_request = async_fixture.request();
    assert!(matches!(
        cmdman::try_dispatch(&async_fixture.registry, async_request, &mut NullSink),
        Dispatched::Pending(_)
    ));
    assert_eq!(
        poll_once(cmdman::dispatch(&async_fixture.registry, async_request, &mut NullSink)),
        Outcome::Ran
    );
    c.bench_function("dispatch/async_handler_line", |b| {
        b.iter(|| {
            poll_once(cmdman::dispatch(&async_fixture.registry, black_box(async_request), &mut NullSink))
        });
    });

    fixture.registry.keep_latency(true);
    let mut measured = false;
    c.bench_function("dispatch/full_line_metrics_on", |b| {
        measured = true;
        b.iter(|| done(cmdman::try_dispatch(&fixture.registry, black_box(request), &mut NullSink)));
    });
    // Only when that bench ran (a filter on the command line may skip it).
    assert!(!measured || fixture.registry.latency().count() > 0, "the histogram saw no call");
    fixture.registry.keep_latency(false);

    let group = fixture.world.group;
    let command = fixture.command;
    c.bench_function("access/ladder_table", |b| {
        b.iter(|| {
            fixture.world.compiled.allows(black_box(group), black_box(command), black_box(TargetForm::Pub))
        });
    });

    let table: HashMap<&str, usize> = fixture.names.iter().enumerate().map(|(i, name)| (*name, i)).collect();
    let name = fixture.names[command];
    c.bench_function("floor/hashmap_lookup", |b| b.iter(|| table.get(black_box(name)).copied()));

    let enforcer = casbin_enforcer(&fixture);
    let object = format!("{name}:pub");
    let expected = fixture.world.compiled.allows(group, command, TargetForm::Pub);
    assert_eq!(enforcer.enforce(("Bencher", object.as_str(), "run")).expect("enforce"), expected);
    c.bench_function("access/casbin_cached", |b| {
        b.iter(|| enforcer.enforce(black_box(("Bencher", object.as_str(), "run"))).expect("enforce"));
    });
}

criterion_group! {
    name = dispatch;
    config = Criterion::default();
    targets = benches
}
criterion_main!(dispatch);
