//! Issue 15's criterion bench of one moderator edit (`?grant` and
//! `?revoke` in turn, through `AccessControl::edit_rule`: the ladder and rank
//! checks, the SQLite write with its audit row, and the new access snapshot
//! every player's next command reads), with the zone's commands, at 100,
//! 1,000 and 10,000 stored rule edits over 50 and 1,000 player groups.
//!
//! The groups form one inheritance chain, `g0` at the root; the stored
//! rules are spread evenly over them, each naming a command (or a command
//! and form) of the zone. The editor is a sysop, ranked above them all.
//!
//! - `edit/leaf/G groups/R rules`: the edit is to the last group of the
//!   chain, which no group inherits from: it should cost the same whatever
//!   the unrelated rules;
//! - `edit/root/1000 groups/10000 rules`: the edit is to `g0`, which every
//!   group inherits from: the most an edit can reach;
//! - `edit/rebuild/1000 groups/10000 rules`: the whole snapshot built again
//!   from the config and every stored edit, as at start-up, `?reloadconf`,
//!   a component installed, or an edit from another zone of a network.
//!
//! Run: `cargo bench -p zone-benches --features bench --bench edit`.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::sync::Arc;

use cmdman::{Registry, RuleKey, Settings};
use config::{Config, GroupConfig};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use zone_server::access::{AccessControl, Editor};
use zone_server::store::{SqliteStore, Store, StoreHandle};

/// A zone's access control with `groups` groups in a chain and `rules`
/// stored edits, its store, and its registry.
struct Zone {
    access: AccessControl,
    store: StoreHandle,
    registry: Registry,
    _data: tempfile::TempDir,
}

fn zone(runtime: &tokio::runtime::Runtime, groups: usize, rules: usize) -> Zone {
    let settings = Settings { cmd_chars: vec!['?', '*'], multi_limit: 5 };
    let registry = Registry::linked(settings).expect("registry");
    let mut config = Config::embedded().expect("config");
    let chain = (0..groups).map(|i| GroupConfig {
        name: format!("g{i}"),
        inherits: if i == 0 { vec!["default".to_owned()] } else { vec![format!("g{}", i - 1)] },
        command_groups: Vec::new(),
        grant: Vec::new(),
        deny: Vec::new(),
        all_access: false,
        rank: u32::try_from(i).expect("rank") + 1,
    });
    config.groups.groups.extend(chain);
    let sysop = config.groups.groups.iter_mut().find(|group| group.name == "sysop").expect("sysop");
    sysop.rank = u32::MAX;
    // Every key a rule may name: each command in general and in each form.
    let tables = registry.tables();
    let keys: Vec<RuleKey> = tables
        .commands()
        .iter()
        .flat_map(|command| {
            let def = command.def();
            let name = cmdman::ladder::rule_name(def);
            std::iter::once(RuleKey::general(name.clone()))
                .chain(def.forms.iter().map(move |form| RuleKey::exact(name.clone(), form)))
        })
        .collect();
    let data = tempfile::tempdir().expect("data dir");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(data.path()).expect("store"));
    for n in 0..rules {
        let group = format!("g{}", n % groups);
        // Past the keys of the zone's commands, rules for commands it does
        // not have (a script component's, say): still rules to carry.
        let nth = n / groups;
        let extra;
        let key = match keys.get(nth) {
            Some(key) => key,
            None => {
                extra = RuleKey::general(format!("absent{nth}"));
                &extra
            }
        };
        let effect = if n % 3 == 0 { cmdman::Effect::Deny } else { cmdman::Effect::Grant };
        store.set_rule(&group, key, Some(effect), "Setup", "set up").expect("rule");
    }
    let store = StoreHandle::new(store);
    let (rule_rows, member_rows) = runtime.block_on(store.edits()).expect("edits");
    assert_eq!(rule_rows.rows.len(), rules);
    let access = AccessControl::new(config, rule_rows, member_rows, &registry);
    Zone { access, store, registry, _data: data }
}

/// One grant, then one revoke, of `lsmod` to `group`, as a sysop.
fn edit(runtime: &tokio::runtime::Runtime, zone: &Zone, group: &str, grant: bool) {
    let sysop = || Arc::<str>::from("sysop");
    let editor = Editor { name: "Root", group: &sysop };
    let key: RuleKey = "lsmod".parse().expect("key");
    let effect = grant.then_some(cmdman::Effect::Grant);
    let done =
        runtime.block_on(zone.access.edit_rule(editor, group, key, effect, &zone.store, &zone.registry));
    assert!(done.is_ok(), "{done:?}");
}

fn benches(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let mut bench = c.benchmark_group("edit");
    bench.sample_size(30);
    for groups in [50, 1000] {
        for rules in [100, 1000, 10_000] {
            let zone = zone(&runtime, groups, rules);
            let leaf = format!("g{}", groups - 1);
            let mut grant = true;
            let id = BenchmarkId::new("leaf", format!("{groups} groups/{rules} rules"));
            bench.bench_function(id, |b| {
                b.iter(|| {
                    edit(&runtime, &zone, &leaf, grant);
                    grant = !grant;
                });
            });
            if (groups, rules) == (1000, 10_000) {
                let mut grant = true;
                bench.bench_function(BenchmarkId::new("root", "1000 groups/10000 rules"), |b| {
                    b.iter(|| {
                        edit(&runtime, &zone, "g0", grant);
                        grant = !grant;
                    });
                });
                bench.bench_function(BenchmarkId::new("rebuild", "1000 groups/10000 rules"), |b| {
                    b.iter(|| zone.access.commands_changed(&zone.registry));
                });
            }
        }
    }
    bench.finish();
}

criterion_group! {
    name = edit_bench;
    config = Criterion::default();
    targets = benches
}
criterion_main!(edit_bench);
