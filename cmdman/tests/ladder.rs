//! The fast path ([`Compiled`]) decides exactly as the reference model
//! ([`Policy::decide`]) on random group graphs, rules and commands.
#![allow(clippy::unwrap_used)]

use cmdman::ladder::rule_name;
use cmdman::{
    CommandDef, CommandResult, Compiled, Ctx, Effect, Forms, GroupSpec, Handler, Policy, Registry, RuleKey,
    Settings, TargetForm,
};
use proptest::prelude::*;

const NAMES: [&str; 4] = ["usage", "kick", "warn", "go"];
const COMMAND_GROUPS: [&str; 3] = ["default", "mod", "sysop"];

fn noop(_: &mut Ctx<'_>) -> CommandResult {
    Ok(())
}

/// A command: name, bound to `*` or not, accepted forms, command group per form.
fn command() -> impl Strategy<Value = (usize, bool, u8, [Option<usize>; 5])> {
    (
        0..NAMES.len(),
        any::<bool>(),
        1u8..32,
        proptest::array::uniform5(proptest::option::of(0..COMMAND_GROUPS.len())),
    )
}

fn rule() -> impl Strategy<Value = (usize, bool, Option<usize>, bool)> {
    // name, with `*`, form, grant?
    (0..NAMES.len(), any::<bool>(), proptest::option::of(0..TargetForm::COUNT), any::<bool>())
}

/// Group `i` may inherit only from groups before it, so graphs have no cycles.
fn groups() -> impl Strategy<Value = Vec<GroupSpec>> {
    proptest::collection::vec(
        (
            proptest::collection::vec(0usize..8, 0..3),
            proptest::collection::vec(0..COMMAND_GROUPS.len(), 0..3),
            proptest::collection::vec(rule(), 0..6),
            proptest::bool::weighted(0.15),
        ),
        1..8,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (parents, command_groups, rules, all_access))| {
                let mut inherits: Vec<String> = Vec::new();
                for parent in parents.into_iter().filter(|&p| p < i) {
                    let name = format!("g{parent}");
                    if !inherits.contains(&name) {
                        inherits.push(name);
                    }
                }
                let mut own: Vec<(RuleKey, Effect)> = Vec::new();
                for (name, star, form, grant) in rules {
                    let command = if star { format!("*{}", NAMES[name]) } else { NAMES[name].to_owned() };
                    let key = RuleKey { command, form: form.map(|f| TargetForm::ALL[f]) };
                    // One rule per key: the first drawn stays.
                    if !own.iter().any(|(k, _)| *k == key) {
                        own.push((key, if grant { Effect::Grant } else { Effect::Deny }));
                    }
                }
                GroupSpec {
                    name: format!("g{i}"),
                    inherits,
                    command_groups: command_groups
                        .into_iter()
                        .map(|g| COMMAND_GROUPS[g].to_owned())
                        .collect(),
                    rules: own,
                    all_access,
                    rank: 0,
                }
            })
            .collect()
    })
}

fn registry(commands: &[(usize, bool, u8, [Option<usize>; 5])]) -> Registry {
    let defs = commands.iter().enumerate().map(|(i, (name, star, forms, groups))| {
        let forms = TargetForm::ALL
            .into_iter()
            .filter(|form| forms & (1 << form.index()) != 0 && *form != TargetForm::External)
            .fold(Forms::EMPTY, Forms::with);
        let forms = if forms.is_empty() { Forms::EMPTY.with(TargetForm::Pub) } else { forms };
        let groups = groups.map(|g| g.map(|g| COMMAND_GROUPS[g]));
        let def: &'static CommandDef = Box::leak(Box::new(CommandDef {
            name: NAMES[*name],
            aliases: &[],
            // One component per command: the same name may come twice.
            component: Some(Box::leak(format!("c{i}").into_boxed_str())),
            module_path: "ladder",
            cmd_char: star.then_some('*'),
            source_in_scope: true,
            target_in_scope: true,
            forms,
            groups,
            stealth: false,
            catch_all: false,
            args: None,
            params: &[],
            help: "",
            file: "ladder.rs",
            line: 1,
            handler: Handler::Sync(noop),
        }));
        def
    });
    Registry::new(defs.collect::<Vec<_>>(), Settings::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_fast_path_decides_as_the_reference_model(
        groups in groups(),
        commands in proptest::collection::vec(command(), 1..10),
    ) {
        let policy = Policy::new(groups).unwrap();
        let registry = registry(&commands);
        let tables = registry.tables();
        let compiled = Compiled::build(&policy, tables.commands());
        for group in policy.groups() {
            let g = policy.index_of(&group.name).unwrap();
            for (c, command) in tables.commands().iter().enumerate() {
                let def = command.def();
                for form in TargetForm::ALL {
                    let fast = compiled.allows(g, c, form);
                    if !def.forms.contains(form) {
                        prop_assert!(!fast, "a form the command does not take is never allowed");
                        continue;
                    }
                    let reference = policy.decide(&group.name, &rule_name(def), def.group(form), form);
                    prop_assert_eq!(
                        fast,
                        reference.allowed(),
                        "group {} command {} form {}: reference {:?}",
                        group.name, rule_name(def), form, reference
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// An edit rebuilds only the edited group and those inheriting from
    /// it; the result decides as a build from scratch and as the reference
    /// model, edit after edit.
    #[test]
    fn an_edit_rebuilds_as_a_build_from_scratch(
        groups in groups(),
        commands in proptest::collection::vec(command(), 1..10),
        edits in proptest::collection::vec((0usize..8, rule(), any::<bool>()), 1..8),
    ) {
        let mut policy = Policy::new(groups).unwrap();
        let registry = registry(&commands);
        let tables = registry.tables();
        let mut compiled = Compiled::build(&policy, tables.commands());
        for (group, (name, star, form, grant), revoke) in edits {
            let group = group % policy.groups().len();
            let command = if star { format!("*{}", NAMES[name]) } else { NAMES[name].to_owned() };
            let key = RuleKey { command, form: form.map(|f| TargetForm::ALL[f]) };
            let effect = (!revoke).then_some(if grant { Effect::Grant } else { Effect::Deny });
            let name = policy.groups()[group].name.clone();
            policy = policy.with_rule(&name, &key, effect).unwrap();
            compiled = compiled.rebuild(&policy, tables.commands(), group);
            let fresh = Compiled::build(&policy, tables.commands());
            for spec in policy.groups() {
                let g = policy.index_of(&spec.name).unwrap();
                for (c, command) in tables.commands().iter().enumerate() {
                    let def = command.def();
                    for form in def.forms.iter() {
                        let reference = policy.decide(&spec.name, &rule_name(def), def.group(form), form);
                        prop_assert_eq!(compiled.allows(g, c, form), fresh.allows(g, c, form));
                        prop_assert_eq!(compiled.allows(g, c, form), reference.allowed());
                    }
                }
            }
        }
    }
}
